"""/rag_query latency per mode (semantic, hybrid, lexical) on a large collection, per backend.

    python -m bench.query_latency [--chunks 100000] [--queries 300] [--backends sqlite,postgres]
        [--real-vectors 2000] [--keep DIR [--build-only]]

``--keep DIR`` keeps what the run builds (SQLite file, Chroma data, a PostgreSQL database named
``bench_latency_keep_<chunks>``) and reuses it on the next run with the same DIR and --chunks:
a 100k build takes 15-20 minutes per backend, a query phase a few. ``--build-only`` stops after
the build (and its ``ANALYZE``), so that two backends can be built side by side and measured
one at a time.

Target (issue 12): at 100k chunks, hybrid p50 <= 1.5x the semantic p50 and p99 <= 2x, on
SQLite + embedded Chroma and on PostgreSQL + a Chroma server, ratios measured in one run.

The collection is what production builds, without embedding 100k texts through the model (hours
on 2 cores): documents are LoCoMo dev sessions recombined (each a dated session of turns drawn
at random from all the dev conversations, so names, dates and common words keep their real
distribution), split by the service's own ``Splitter`` (chat turns) and written through the real
``DocumentWriter`` with the real ``LexicalIndex``: chunk rows, lexical postings, frequencies and
totals are exactly what ``/documents`` would write. Vectors: the real model's for the first
``--real-vectors`` distinct chunk texts, random unit vectors for the rest (the output says how
many of each); the vector index's cost does not depend on how its vectors were made.

Queries are the LoCoMo dev questions, asked through a real server subprocess (``memory-api
serve``) one at a time on one keep-alive connection (bench/_common.py's minimal HTTP/1.1 client),
modes interleaved so that load drifts hit all modes alike; each answer must be non-empty. The
requests run twice: ``first_asked``, each question new to the server (the lexical side loads
the posting lists of the common terms it has not met yet, in the hybrid request, which comes
first), and ``asked_again``, the same requests with those lists held (``search/lexical/
memory.py``). Then the lexical search runs in-process with and without that memory, on the
same questions: the same results, and each one's time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import sqlite3
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench._common import (
    MODEL_DIR,
    REPO,
    percentile,
    post,
    report,
    sequential,
    server,
    temporary_postgres,
    vacuum_analyze,
)
from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.collections.service import chunking_of
from memory_api.components import lexical_memory, open_components
from memory_api.db.migrate import upgrade
from memory_api.documents.api_service import DocumentsService, Incoming, _new_document
from memory_api.documents.repository import NewDocument
from memory_api.ingestion.splitter import Splitter
from memory_api.ingestion.writer import DocumentWriter, distinct_texts
from memory_api.search.lexical.index import LexicalIndex
from memory_api.settings import Settings
from memory_api.testing.chroma_server import ChromaServer

# ../shared beside the repository (a clone in /work/main, or a worktree in /work/wt/<branch>)
DATASETS = [root / "shared" / "datasets" / "locomo-dev" for root in (REPO.parent, REPO.parents[1])]
COLLECTION = "bench-latency"
MODES = ("semantic", "hybrid", "lexical")
TURNS_PER_SESSION = (12, 30)
BATCH = 200  # documents per write transaction


def corpus(dataset: Path) -> tuple[list[str], list[str], list[str]]:
    """All dev turns (as the retrieval benchmark's files write them), session dates, questions."""
    turns, dates, asked = [], [], []
    for path in sorted(dataset.glob("*.json")):
        conversation = json.loads(path.read_text())
        number = 1
        while f"session_{number}" in conversation:
            dates.append(conversation[f"session_{number}_date_time"])
            for turn in conversation[f"session_{number}"]:
                line = f"{turn['speaker']}: {turn['text']}"
                if turn.get("blip_caption"):
                    line += f" [shares a photo: {turn['blip_caption']}]"
                turns.append(line)
            number += 1
        asked += [qa["question"] for qa in conversation["qa"] if qa.get("question")]
    if not turns:
        raise SystemExit(f"no LoCoMo conversation in {dataset} (see --dataset)")
    return turns, dates, asked


def session_text(rng: random.Random, turns: list[str], dates: list[str], number: int) -> str:
    count = rng.randint(*TURNS_PER_SESSION)
    lines = [f"Session {number} ({rng.choice(dates)})"]
    lines += [f"[D{number}:{i + 1}] {turn}" for i, turn in enumerate(rng.sample(turns, count))]
    return "\n".join(lines) + "\n"


async def build(settings: Settings, dataset: Path, chunks: int, real: int) -> dict[str, Any]:
    """Write documents until the collection holds ``chunks`` chunk rows."""
    turns, dates, _ = corpus(dataset)
    rng = random.Random(0)
    vectors_rng = np.random.default_rng(0)
    written = embedded_real = number = 0
    started = time.monotonic()
    async with open_components(settings) as components:
        service = DocumentsService(components, DEFAULT_TENANT)
        collection = await service.for_writing(settings.collection_name)
        splitter = Splitter(*chunking_of(collection, settings))
        writer = DocumentWriter(
            components.database, components.embedder, components.vectors, components.lexical
        )
        while written < chunks:
            batch: list[NewDocument] = []
            pending = 0
            while written + pending < chunks and len(batch) < BATCH:
                number += 1
                text = session_text(rng, turns, dates, number)
                document = _new_document(splitter, Incoming(f"s{number}.txt", text, {}))
                document.chunks[:] = document.chunks[: chunks - written - pending]
                batch.append(document)
                pending += len(document.chunks)
            texts = distinct_texts(batch)
            keys = list(texts)
            vectors: dict[str, np.ndarray] = {}
            take = max(0, min(real - embedded_real, len(keys)))
            if take:
                vectors |= await writer.embed({key: texts[key] for key in keys[:take]})
                embedded_real += take
            rest = keys[take:]
            if rest:
                noise = vectors_rng.standard_normal((len(rest), 384)).astype(np.float32)
                noise /= np.linalg.norm(noise, axis=1, keepdims=True)
                vectors |= dict(zip(rest, noise, strict=True))
            result = await writer.write(collection, batch, vectors)
            written += result.chunks_written
    return {
        "chunks": written,
        "documents": number,
        "vectors_from_the_model": embedded_real,
        "vectors_random_unit": written - embedded_real,
        "build_seconds": round(time.monotonic() - started, 1),
    }


async def memory_check(settings: Settings, questions: list[str], limit: int) -> dict[str, Any]:
    """The lexical search in-process, summed in SQL (no memory) and with the settings'
    ``PostingMemory`` (twice: the first pass loads the lists), on the same questions: whether
    both return the same chunks, what each costs (wall time, one query after the other) and what
    the memory holds after."""
    memory = lexical_memory(settings)
    indexes = {"sql": LexicalIndex(), "memory_cold": LexicalIndex(memory=memory)}
    found: dict[str, list[list[tuple[int, float]]]] = {
        name: [] for name in [*indexes, "memory_warm"]
    }
    seconds: dict[str, list[float]] = {name: [] for name in found}
    async with open_components(settings) as components:
        service = DocumentsService(components, DEFAULT_TENANT)
        collection = await service.for_writing(settings.collection_name)
        for name, index in [*indexes.items(), ("memory_warm", indexes["memory_cold"])]:
            for question in questions:
                started = time.perf_counter()
                async with components.database.reading() as session:
                    matches = await index.search(session, collection.id, question, limit)
                seconds[name].append(time.perf_counter() - started)
                found[name].append([(match.chunk_id, match.score) for match in matches])

    def ms(name: str) -> dict[str, float]:
        return {f"p{q}": round(percentile(seconds[name], q) * 1000, 1) for q in (50, 99)}

    pairs = list(zip(found["sql"], found["memory_warm"], strict=True))

    def same_scores(a: list[tuple[int, float]], b: list[tuple[int, float]]) -> bool:
        """The same score at every rank (chunks of equal score may swap: the two sum in their
        own order, and the last digit decides)."""
        return len(a) == len(b) and all(
            math.isclose(x, y, rel_tol=1e-9) for (_, x), (_, y) in zip(a, b, strict=True)
        )

    return {
        "questions": len(questions),
        "limit": limit,
        "same_chunks_share": round(sum(a == b for a, b in pairs) / len(pairs), 3),
        "same_scores_share": round(sum(same_scores(a, b) for a, b in pairs) / len(pairs), 3),
        "ms": {name: ms(name) for name in found},
        "memory_lists": len(memory) if memory else 0,
        "memory_mib": round(memory.held / 2**20, 1) if memory else 0,
    }


def analyze(settings: Settings) -> None:
    """Planner statistics for what the build wrote (``VACUUM ANALYZE`` on PostgreSQL, ``ANALYZE``
    on SQLite), as a server with autovacuum on (or an operator) would have them: this machine's
    PostgreSQL runs with autovacuum off, and a plan made without them reads the heap."""
    url = settings.resolved_database_url
    if url.startswith("postgresql"):
        vacuum_analyze(url)
        return
    with sqlite3.connect(url.split("///", 1)[1]) as connection:
        connection.execute("ANALYZE")


def measure(
    env: dict[str, str], tmp: Path, questions: list[str], count: int, top_k: int
) -> dict[str, Any]:
    api = server(tmp, **env)
    api.start()
    try:
        passes: dict[str, dict[str, list[float]]] = {
            name: {mode: [] for mode in MODES} for name in ("first_asked", "asked_again")
        }
        empty: dict[str, int] = dict.fromkeys(MODES, 0)
        with httpx.Client(base_url=api.url, timeout=60) as client:
            for mode in MODES:  # every answer non-empty: the index is really searched
                for question in questions[:20]:
                    body = {"query": question, "top_k": top_k, "mode": mode}
                    response = client.post("/rag_query", json=body)
                    response.raise_for_status()
                    empty[mode] += not response.json()["results"]
        requests = [
            post("/rag_query", {"query": questions[i % len(questions)], "top_k": top_k, "mode": m})
            for i in range(count)
            for m in MODES
        ]
        sequential(api.port, lambda i: requests[i % len(requests)], 30)  # warm-up
        for timings in passes.values():  # the same requests twice: lists held the second time
            samples = sequential(api.port, lambda i: requests[i], len(requests))
            for i, seconds in enumerate(samples):
                timings[MODES[i % len(MODES)]].append(seconds)
    finally:
        api.stop()
    return {name: figures(timings) for name, timings in passes.items()} | {
        "empty_answers_of_20": empty
    }


def figures(timings: dict[str, list[float]]) -> dict[str, Any]:
    ms = {
        mode: {q: round(percentile(values, q) * 1000, 2) for q in (50, 95, 99)}
        for mode, values in timings.items()
    }
    ratio_p50 = ms["hybrid"][50] / ms["semantic"][50]
    ratio_p99 = ms["hybrid"][99] / ms["semantic"][99]
    return {
        "ms": {mode: {f"p{q}": v for q, v in by_q.items()} for mode, by_q in ms.items()},
        "hybrid_over_semantic_p50": round(ratio_p50, 3),
        "hybrid_over_semantic_p99": round(ratio_p99, 3),
        "met": ratio_p50 <= 1.5 and ratio_p99 <= 2.0,
    }


def run_backend(backend: str, args: argparse.Namespace, questions: list[str]) -> dict[str, Any]:
    with ExitStack() as stack:
        if args.keep:
            tmp = args.keep / f"{backend}-{args.chunks}"
            tmp.mkdir(parents=True, exist_ok=True)
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        kept = f"bench_latency_keep_{args.chunks}" if args.keep else None
        marker = tmp / "built.json"
        if not marker.exists():  # nothing kept, or an unfinished build: start afresh
            for leftover in tmp.iterdir():
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        env = {
            "MEMORY_API_EMBEDDING_PRECISION": args.precision,
            "MEMORY_API_COLLECTION_NAME": COLLECTION,
        }
        if backend == "postgres":
            chroma = ChromaServer(tmp / "chroma")
            chroma.start()
            stack.callback(chroma.stop)
            env |= {
                "MEMORY_API_DATABASE_URL": stack.enter_context(
                    temporary_postgres(kept, fresh=not marker.exists())
                ),
                "MEMORY_API_CHROMA_HOST": chroma.host,
                "MEMORY_API_CHROMA_PORT": str(chroma.port),
            }
        for key, value in env.items():
            os.environ[key] = value
        os.environ["MEMORY_API_DATA_DIR"] = str(tmp / "data")
        os.environ.setdefault("MEMORY_API_EMBEDDING_MODEL_DIR", MODEL_DIR)
        try:
            settings = Settings(_env_file=None)
            upgrade(settings)
            if marker.exists():
                built = {**json.loads(marker.read_text()), "reused_from": str(tmp)}
            else:
                built = asyncio.run(build(settings, args.dataset, args.chunks, args.real_vectors))
                started = time.monotonic()
                analyze(settings)
                built["analyze_seconds"] = round(time.monotonic() - started, 1)
                if args.keep:
                    marker.write_text(json.dumps(built))
        finally:
            for key in [*env, "MEMORY_API_DATA_DIR"]:
                os.environ.pop(key, None)
        print(f"{backend}: built {built}", flush=True)
        if args.build_only:
            return built
        measured = measure(env, tmp, questions, args.queries, args.top_k)
        for key, value in env.items():
            os.environ[key] = value
        os.environ["MEMORY_API_DATA_DIR"] = str(tmp / "data")
        try:
            settings = Settings(_env_file=None)
            limit = settings.search_candidates
            check = asyncio.run(memory_check(settings, questions[: args.fidelity], limit))
        finally:
            for key in [*env, "MEMORY_API_DATA_DIR"]:
                os.environ.pop(key, None)
        print(f"{backend}: lexical memory {check}", flush=True)
        return {**built, **measured, "lexical_memory_in_process": check}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300, help="per mode")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--real-vectors", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--precision", choices=["fp32", "int8"], default="int8")
    parser.add_argument(
        "--dataset", type=Path, default=next((d for d in DATASETS if d.exists()), DATASETS[0])
    )
    parser.add_argument(
        "--fidelity", type=int, default=150, help="questions for the in-process memory check"
    )
    parser.add_argument("--keep", type=Path, help="keep the build here and reuse it next time")
    parser.add_argument(
        "--build-only", action="store_true", help="with --keep: build (two backends side by side)"
    )
    args = parser.parse_args()
    if args.build_only and not args.keep:
        parser.error("--build-only keeps nothing without --keep DIR")
    _, _, questions = corpus(args.dataset)
    random.Random(1).shuffle(questions)
    load_before = os.getloadavg()
    results = {
        backend: run_backend(backend, args, questions) for backend in args.backends.split(",")
    }
    if args.build_only:
        return
    backends = args.backends.split(",")
    # one file per set of backends, so the two may run as two processes side by side
    report(
        "query_latency"
        if set(backends) == {"sqlite", "postgres"}
        else f"query_latency_{backends[0]}",
        {
            "chunks": args.chunks,
            "queries_per_mode": args.queries,
            "top_k": args.top_k,
            "corpus": "LoCoMo dev turns recombined into dated sessions, written by DocumentWriter",
            "target": "hybrid p50 <= 1.5x semantic p50 and p99 <= 2x, each backend",
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "backends": results,
            "met": all(
                result[name]["met"]
                for result in results.values()
                for name in ("first_asked", "asked_again")
            ),
        },
    )


if __name__ == "__main__":
    main()
