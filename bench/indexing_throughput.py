"""Indexing throughput (chunks/s) of a real corpus vs the raw embedder on the same chunks.

    python -m bench.indexing_throughput [--packages json,logging,http,email]
        [--precision int8 | fp32 | fp32,int8] [--rounds 1]
Targets: the job >= 0.85x the raw throughput of the same build (the embedder is the only
bottleneck); with ``--precision fp32,int8`` the builds run on the same chunks in alternating
order (fp32 first in even rounds, int8 first in odd ones), and int8's job chunks/s is >= 2x
fp32's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import MODEL_DIR, report, server
from memory_api.client import MemoryClient
from memory_api.embeddings.local import LocalEmbedder, Precision
from memory_api.ingestion.splitter import Splitter


def copy_corpus(packages: list[str], target: Path) -> list[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in packages:
        shutil.copytree(
            stdlib / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "test*")
        )
    return sorted(target.rglob("*.py"))


def run_once(packages: list[str], precision: Precision) -> dict[str, Any]:
    """One indexing job of the corpus on a fresh server, then the raw embedder on its chunks."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        docs = tmp / "docs"
        files = copy_corpus(packages, docs)
        api = server(
            tmp,
            MEMORY_API_INDEX_ROOTS=str(docs),
            MEMORY_API_JOB_POLL_INTERVAL="0.1",
            MEMORY_API_EMBEDDING_PRECISION=precision,
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
            Path(MODEL_DIR), precision=precision, cache_dir=tmp / "data" / "models"
        )
        asyncio.run(embedder.start())

        async def embed_all() -> float:
            started = time.perf_counter()
            for start in range(0, len(texts), 64):
                await embedder.embed_documents(texts[start : start + 64])
            return time.perf_counter() - started

        raw_seconds = asyncio.run(embed_all())
    pipeline_rate, raw_rate = chunks / seconds, len(texts) / raw_seconds
    return {
        "precision": precision,
        "files": len(files),
        "chunks_indexed": chunks,
        "chunks_raw": len(texts),
        "job_seconds": seconds,
        "raw_embed_seconds": round(raw_seconds, 2),
        "pipeline_chunks_per_s": round(pipeline_rate, 2),
        "raw_chunks_per_s": round(raw_rate, 2),
        "ratio": round(pipeline_rate / raw_rate, 3),
        "load_average": os.getloadavg()[0],
    }


def _rate(runs: list[dict[str, Any]], precision: str, key: str) -> float:
    """Chunks per second of all of a build's runs together (total chunks / total seconds)."""
    mine = [run for run in runs if run["precision"] == precision]
    if key == "pipeline":
        return float(sum(r["chunks_indexed"] for r in mine) / sum(r["job_seconds"] for r in mine))
    return float(sum(r["chunks_raw"] for r in mine) / sum(r["raw_embed_seconds"] for r in mine))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", default="json,logging,http,email")
    parser.add_argument("--precision", default="int8", help="int8, fp32 or fp32,int8")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    precisions: list[Precision] = []
    for name in args.precision.split(","):
        if name not in ("fp32", "int8"):
            parser.error(f"--precision: {name!r} is neither fp32 nor int8")
        precisions.append("fp32" if name == "fp32" else "int8")
    packages = args.packages.split(",")
    runs = []
    for round_ in range(args.rounds):
        for precision in precisions if round_ % 2 == 0 else precisions[::-1]:
            runs.append(run_once(packages, precision))
            print(runs[-1], flush=True)
    figures: dict[str, Any] = {"packages": args.packages, "rounds": args.rounds, "runs": runs}
    for precision in dict.fromkeys(precisions):
        ratio = _rate(runs, precision, "pipeline") / _rate(runs, precision, "raw")
        figures[f"{precision}_job_vs_raw"] = round(ratio, 3)
    met = all(figures[f"{p}_job_vs_raw"] >= 0.85 for p in precisions)
    target = "job >= 0.85x raw"
    if set(precisions) == {"fp32", "int8"}:
        for key in ("pipeline", "raw"):
            speedup = _rate(runs, "int8", key) / _rate(runs, "fp32", key)
            figures[f"int8_vs_fp32_{key}"] = round(speedup, 3)
        met = met and figures["int8_vs_fp32_pipeline"] >= 2
        target += ", int8 job >= 2x fp32 job"
    report("indexing_throughput", {**figures, "target": target, "met": met})


if __name__ == "__main__":
    main()
