"""The int8 build against fp32: chunks/s on the same chunks, and the cosine of their vectors.

    python -m bench.int8 [--packages json,logging] [--rounds 3] [--threads 1]
Targets: int8 >= 2x the chunks/s of fp32; cosine to the fp32 vector >= 0.98 for every chunk.
Both run in this process on sessions with the same thread count, in alternating rounds, so the
load of a shared machine falls on both alike; the int8 file is built (or found) the way the
service builds it, in a temporary cache.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import numpy as np

from bench._common import MODEL_DIR, report
from bench.indexing_throughput import copy_corpus
from memory_api.embeddings.local import LocalEmbedder, _load
from memory_api.ingestion.splitter import Splitter


async def measure(args: argparse.Namespace, texts: list[str], cache: Path) -> dict[str, object]:
    embedders = {
        precision: LocalEmbedder(
            Path(MODEL_DIR),
            precision=precision,
            cache_dir=cache,
            indexing_threads=0,
            batch_size=args.batch_size,
        )
        for precision in ("fp32", "int8")
    }
    started = time.perf_counter()
    for embedder in embedders.values():
        await embedder.start()
        assert embedder.error is None, embedder.error
    load_seconds = time.perf_counter() - started
    # Sessions at normal priority (the service's indexing session runs at nice 19, which on a
    # shared machine measures the other tenants' load, not the model).
    sessions = {
        precision: _load(e.model_file, e.tokenizer_file, args.threads or None)[1]
        for precision, e in embedders.items()
        if e.model_file is not None and e.tokenizer_file is not None
    }
    seconds = {precision: 0.0 for precision in embedders}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for precision, embedder in embedders.items():
            began = time.perf_counter()
            vectors[precision] = embedder._encode(texts, sessions[precision])
            seconds[precision] += time.perf_counter() - began
    rates = {p: round(args.rounds * len(texts) / s, 2) for p, s in seconds.items()}
    cosine = (vectors["fp32"] * vectors["int8"]).sum(axis=1)
    speedup = rates["int8"] / rates["fp32"]
    return {
        "chunks": len(texts),
        "chunks_per_s": rates,
        "speedup": round(speedup, 2),
        "cosine_min": round(float(cosine.min()), 4),
        "cosine_mean": round(float(cosine.mean()), 4),
        "load_or_build_seconds": round(load_seconds, 1),
        "target": "speedup >= 2, cosine_min >= 0.98",
        "met": speedup >= 2 and float(cosine.min()) >= 0.98,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", default="json,logging")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime threads (0: all)")
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = copy_corpus(args.packages.split(","), tmp / "docs")
        splitter = Splitter()
        texts = [
            piece.index_text
            for path in files
            for piece in splitter.split(path.read_text(errors="replace"), ".py")
        ]
        figures = asyncio.run(measure(args, texts, tmp / "cache"))
    report("int8", {"packages": args.packages, **figures, "settings": vars(args)})


if __name__ == "__main__":
    main()
