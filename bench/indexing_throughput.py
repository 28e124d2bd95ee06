"""Indexing throughput (chunks/s) of a real corpus vs the raw embedder on the same chunks.

    python -m bench.indexing_throughput [--packages json,logging,http,email]
Target: >= 0.85x the raw throughput (the embedder is the only bottleneck).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sysconfig
import tempfile
import time
from pathlib import Path

from bench._common import MODEL_DIR, report, server
from memory_api.client import MemoryClient
from memory_api.embeddings.local import LocalEmbedder
from memory_api.ingestion.splitter import Splitter


def copy_corpus(packages: list[str], target: Path) -> list[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in packages:
        shutil.copytree(
            stdlib / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "test*")
        )
    return sorted(target.rglob("*.py"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", default="json,logging,http,email")
    parser.add_argument("--precision", choices=["fp32", "int8"], default="int8")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        docs = tmp / "docs"
        files = copy_corpus(args.packages.split(","), docs)
        api = server(
            tmp,
            MEMORY_API_INDEX_ROOTS=str(docs),
            MEMORY_API_JOB_POLL_INTERVAL="0.1",
            MEMORY_API_EMBEDDING_PRECISION=args.precision,
        )
        api.start()

        with MemoryClient(api.url) as client:
            job = client.index_and_wait(str(docs), [".py"], poll_interval=0.2, timeout=3600)
        api.stop()
        result = job.result
        assert result is not None, job
        chunks, seconds = result["chunks_written"], result["duration_seconds"]

        splitter = Splitter()
        texts = [
            piece.index_text
            for path in files
            for piece in splitter.split(path.read_text(errors="replace"), ".py")
        ]
        # The same build as the server's, from the int8 file it made (no second build).
        embedder = LocalEmbedder(
            Path(MODEL_DIR), precision=args.precision, cache_dir=tmp / "data" / "models"
        )
        asyncio.run(embedder.start())

        async def embed_all() -> float:
            started = time.perf_counter()
            for start in range(0, len(texts), 64):
                await embedder.embed_documents(texts[start : start + 64])
            return time.perf_counter() - started

        raw_seconds = asyncio.run(embed_all())
    pipeline_rate, raw_rate = chunks / seconds, len(texts) / raw_seconds
    ratio = pipeline_rate / raw_rate
    report(
        "indexing_throughput",
        {
            "packages": args.packages,
            "precision": args.precision,
            "files": len(files),
            "chunks_indexed": chunks,
            "chunks_raw": len(texts),
            "job_seconds": seconds,
            "raw_embed_seconds": round(raw_seconds, 2),
            "pipeline_chunks_per_s": round(pipeline_rate, 2),
            "raw_chunks_per_s": round(raw_rate, 2),
            "ratio": round(ratio, 3),
            "target": ">= 0.85",
            "met": ratio >= 0.85,
        },
    )


if __name__ == "__main__":
    main()
