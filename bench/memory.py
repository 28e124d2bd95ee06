"""Server memory, embedded default: RSS idle, peak while indexing a corpus of ``--chunks`` chunks
(the files are sized with the service's own splitter at the bench's chunk settings, and the
job's ``chunks_written`` is reported), after it, after
1,000 queries, and the embedding model's share in a bare process.

    python -m bench.memory [--chunks 20000] [--queries 1000] [--precision default|fp32|int8]
Targets: idle <= 300 MiB; never above 500 MiB during or after the run (the peak is sampled
every 0.1 s from /proc, and the server's VmHWM, the kernel's high-water mark, is read after
indexing and at the end: the peak is the larger). The run fails if the job wrote fewer chunks
than ``--chunks``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
from pathlib import Path

from bench._common import MODEL_DIR, report, rss_mib, server, tree_rss_mib
from memory_api.client import MemoryClient
from memory_api.embeddings.local import LocalEmbedder
from memory_api.ingestion.splitter import Splitter


class PeakSampler:
    """The highest RSS of a process tree, sampled in a thread until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self.peak = max(self.peak, tree_rss_mib(self.pid))
            except (OSError, ValueError):
                return

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def tree_hwm_mib(pid: int) -> float:
    """The highest VmHWM (the kernel's own RSS high-water mark) in a process tree."""
    mark = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            mark = int(line.split()[1]) / 1024
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        mark = max(mark, tree_hwm_mib(int(child)))
    return mark


def model_share(precision: str, cache: Path) -> float:
    """RSS growth of this process when the model is loaded and has embedded a batch."""
    before = rss_mib(os.getpid())
    embedder = LocalEmbedder(
        Path(MODEL_DIR), precision="fp32" if precision == "fp32" else "int8", cache_dir=cache
    )

    async def load() -> None:
        await embedder.start()
        await embedder.embed_documents(["warm-up text " * 50] * 32)

    asyncio.run(load())
    return rss_mib(os.getpid()) - before


CHUNK_SIZE = 120
PARAGRAPHS_PER_FILE = 20


def _file_text(i: int) -> str:
    return "\n\n".join(
        f"File {i} note {p}: " + " ".join(f"t{i}x{p}y{k}" for k in range(12))
        for p in range(PARAGRAPHS_PER_FILE)
    )


def write_corpus(docs: Path, chunks: int) -> None:
    """Files until the splitter, at the bench's settings, makes at least ``chunks`` chunks
    (it groups short paragraphs, so a paragraph is not a chunk)."""
    splitter = Splitter(CHUNK_SIZE, 0)
    made = i = 0
    while made < chunks:
        text = _file_text(i)
        made += len(splitter.split(text, ".md"))
        (docs / f"f{i:05d}.md").write_text(text)
        i += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--precision", choices=["default", "fp32", "int8"], default="default")
    args = parser.parse_args()
    precision = {} if args.precision == "default" else {
        "MEMORY_API_EMBEDDING_PRECISION": args.precision
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        docs = tmp / "docs"
        docs.mkdir()
        write_corpus(docs, args.chunks)
        api = server(
            tmp,
            MEMORY_API_INDEX_ROOTS=str(docs),
            MEMORY_API_CHUNK_SIZE=str(CHUNK_SIZE),
            MEMORY_API_CHUNK_OVERLAP="0",
            MEMORY_API_EMBEDDING_CACHE_DIR=str(tmp / "models"),
            **precision,
        )
        api.start()
        assert api.process is not None
        idle = tree_rss_mib(api.process.pid)
        sampler = PeakSampler(api.process.pid)
        with MemoryClient(api.url) as client:
            job = client.index_and_wait(str(docs), poll_interval=0.2, timeout=3600)
            after = tree_rss_mib(api.process.pid)
            hwm_indexing = tree_hwm_mib(api.process.pid)
            assert job.result is not None, job
            print(f"chunks_written: {job.result['chunks_written']}", flush=True)
            assert job.result["chunks_written"] >= args.chunks, job.result
            for i in range(args.queries):
                client.query(f"note {i % 20} of file {i % 997}", top_k=5)
        after_queries = tree_rss_mib(api.process.pid)
        hwm = tree_hwm_mib(api.process.pid)
        peak = max(sampler.stop(), after_queries, hwm)
        model = api.env.get("MEMORY_API_EMBEDDING_PRECISION", "default")
        api.stop()
        share = model_share(args.precision, tmp / "models")
    result = job.result
    assert result is not None, job
    report(
        "memory",
        {
            "precision": model,
            "chunks_requested": args.chunks,
            "chunks_indexed": result["chunks_written"],
            "queries": args.queries,
            "rss_idle_mib": round(idle, 1),
            "rss_after_indexing_mib": round(after, 1),
            "rss_after_queries_mib": round(after_queries, 1),
            "rss_peak_sampled_mib": round(sampler.peak, 1),
            "vm_hwm_after_indexing_mib": round(hwm_indexing, 1),
            "vm_hwm_mib": round(hwm, 1),
            "rss_peak_mib": round(peak, 1),
            "embedding_model_share_mib": round(share, 1),
            "load_average": os.getloadavg()[0],
            "target": "idle <= 300, peak <= 500",
            "met": idle <= 300 and peak <= 500,
        },
    )


if __name__ == "__main__":
    main()
