"""Server memory: RSS idle, after indexing ~10k chunks, and the embedding model's share.

python -m bench.memory [--chunks 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from bench._common import MODEL_DIR, report, rss_mib, server, tree_rss_mib
from memory_api.client import MemoryClient
from memory_api.embeddings.local import LocalEmbedder


def model_share() -> float:
    """RSS growth of this process when the model is loaded and has embedded a batch."""
    before = rss_mib(os.getpid())
    embedder = LocalEmbedder(Path(MODEL_DIR))

    async def load() -> None:
        await embedder.start()
        await embedder.embed_documents(["warm-up text " * 50] * 32)

    asyncio.run(load())
    return rss_mib(os.getpid()) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        docs = tmp / "docs"
        docs.mkdir()
        per_file = 20
        for i in range(args.chunks // per_file):
            paragraphs = [
                f"File {i} note {p}: " + " ".join(f"t{i}x{p}y{k}" for k in range(12))
                for p in range(per_file)
            ]
            (docs / f"f{i:05d}.md").write_text("\n\n".join(paragraphs))
        api = server(
            tmp,
            MEMORY_API_INDEX_ROOTS=str(docs),
            MEMORY_API_CHUNK_SIZE="120",
            MEMORY_API_CHUNK_OVERLAP="0",
        )
        api.start()
        assert api.process is not None
        idle = tree_rss_mib(api.process.pid)

        with MemoryClient(api.url) as client:
            job = client.index_and_wait(str(docs), poll_interval=0.2, timeout=3600)
        after = tree_rss_mib(api.process.pid)
        api.stop()
    result = job.result
    assert result is not None, job
    report(
        "memory",
        {
            "chunks_indexed": result["chunks_written"],
            "rss_idle_mib": round(idle, 1),
            "rss_after_indexing_mib": round(after, 1),
            "embedding_model_share_mib": round(model_share(), 1),
        },
    )


if __name__ == "__main__":
    main()
