"""/rag_query latency on a large collection, beside the cost of its parts, in one run.

    python -m bench.query_overhead [--chunks 100000] [--queries 300]
(Formerly bench.query_latency, which now compares the search modes on a real collection.)
Target: the API adds at most 20% at p50 over its parts: embedding the query, then one raw
Chroma query with that vector and the same parameters, timed back to back in one loop as the
API runs them. Each part timed alone in its own loop (warm caches, a lower bound) is reported
beside it. The API is timed with the minimal HTTP/1.1 client of bench/_common.py, one request
at a time; the p50 seen from an httpx client is reported too.
Vectors are synthetic unit vectors (embedding 100k chunks here would take hours); the query
path does not depend on how the stored vectors were made. The API's database holds no chunk rows
for them, so each hit's look-up finds nothing: the answer is empty, the work is all done.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings

from bench._common import MODEL_DIR, get, percentile, post, report, sequential, server
from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.collections.repository import CollectionRepository
from memory_api.components import chroma_config
from memory_api.db.columns import utcnow
from memory_api.db.engine import create_engine
from memory_api.db.session import Database
from memory_api.embeddings.local import MODEL_NAME, LocalEmbedder, model_name
from memory_api.settings import Settings
from memory_api.testing.chroma_server import ChromaServer
from memory_api.vectorstore.chroma import VectorStore

COLLECTION = "bench-query"
QUERIES = [
    "how do I rotate the API keys",
    "what did the user say about the deadline",
    "summary of the deployment notes",
    "where is the retry policy configured",
]


async def fill(chroma: ChromaServer, chunks: int) -> None:
    settings = Settings(_env_file=None, chroma_host=chroma.host, chroma_port=chroma.port)
    store = VectorStore.from_config(chroma_config(settings))
    await store.ensure_collection(COLLECTION, model=MODEL_NAME, dimension=384)
    rng = np.random.default_rng(0)
    step = 5000
    for start in range(0, chunks, step):
        vectors = rng.standard_normal((step, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = [f"c{i}" for i in range(start, start + step)]
        await store.upsert(COLLECTION, ids, vectors)


async def register(data_dir: Path, model: str) -> None:
    """Point the API's default collection at the filled vector collection (the registry)."""
    settings = Settings(_env_file=None, data_dir=data_dir)
    database = Database(create_engine(settings))
    await database.start()
    try:
        async with database.unit_of_work() as session:
            await CollectionRepository(session).create(
                {
                    "tenant": DEFAULT_TENANT,
                    "name": COLLECTION,
                    "embedding_model": model,
                    "embedding_dimension": 384,
                    "vector_collection": COLLECTION,
                    "metadata_json": {},
                    "created_at": utcnow(),
                }
            )
    finally:
        await database.dispose()


def timed(call: Callable[[int], object], n: int) -> list[float]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--precision", choices=["fp32", "int8"], default="int8")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        chroma = ChromaServer(tmp / "chroma")
        chroma.start()
        try:
            started = time.monotonic()
            asyncio.run(fill(chroma, args.chunks))
            fill_seconds = time.monotonic() - started
            api = server(
                tmp,
                MEMORY_API_CHROMA_HOST=chroma.host,
                MEMORY_API_CHROMA_PORT=str(chroma.port),
                MEMORY_API_COLLECTION_NAME=COLLECTION,
                MEMORY_API_EMBEDDING_PRECISION=args.precision,
            )
            api.start()
            asyncio.run(register(tmp / "data", model_name(args.precision)))
            # The API timed with a minimal HTTP/1.1 client (as the load benchmarks use), so the
            # figure is the server's and not a Python client library's; httpx beside it.
            request = lambda i: post(  # noqa: E731
                "/rag_query", {"query": QUERIES[i % 4], "top_k": args.top_k}
            )
            sequential(api.port, request, 20)  # warm-up
            noop_times = sequential(api.port, lambda i: get("/livez"), args.queries)
            api_times = sequential(api.port, request, args.queries)
            with httpx.Client(base_url=api.url, timeout=30) as client:

                def ask(i: int) -> httpx.Response:
                    body = {"query": QUERIES[i % 4], "top_k": args.top_k}
                    return client.post("/rag_query", json=body).raise_for_status()

                httpx_times = timed(ask, args.queries)
            api.stop()

            embedder = LocalEmbedder(
                Path(MODEL_DIR), precision=args.precision, cache_dir=tmp / "data" / "models"
            )
            asyncio.run(embedder.start())
            loop = asyncio.new_event_loop()

            def embed(i: int) -> np.ndarray:
                return loop.run_until_complete(embedder.embed_query(QUERIES[i % 4]))

            raw = chromadb.HttpClient(
                host=chroma.host,
                port=chroma.port,
                settings=ChromaSettings(anonymized_telemetry=False),
            )
            collection = raw.get_collection(COLLECTION, embedding_function=None)

            def query(vector: np.ndarray) -> object:
                return collection.query(
                    query_embeddings=[vector],
                    n_results=args.top_k,
                    include=["documents", "metadatas", "distances"],
                )

            vectors = [embed(i) for i in range(4)]
            timed(lambda i: query(vectors[i % 4]), 20)
            # The parts as the API runs them: embed, then query Chroma with that vector.
            embed_times, chroma_times, parts_times = [], [], []
            for i in range(args.queries):
                started = time.perf_counter()
                vector = embed(i)
                embedded = time.perf_counter()
                query(vector)
                done = time.perf_counter()
                embed_times.append(embedded - started)
                chroma_times.append(done - embedded)
                parts_times.append(done - started)
            # Each part alone, in a loop of its own (warm caches: a lower bound).
            embed_alone = timed(embed, args.queries)
            chroma_alone = timed(lambda i: query(vectors[i % 4]), args.queries)
            padded = _padded_cost(embedder, args.queries // 3)
            loop.close()
        finally:
            chroma.stop()
    p50 = {
        name: percentile(values, 50) * 1000
        for name, values in {
            "api": api_times,
            "embed": embed_times,
            "chroma": chroma_times,
            "parts": parts_times,
            "embed_alone": embed_alone,
            "chroma_alone": chroma_alone,
        }.items()
    }
    overhead = p50["api"] / p50["parts"] - 1
    round_trip = percentile(noop_times, 50) * 1000  # client + HTTP + middleware, nothing else
    report(
        "query_overhead",
        {
            "chunks": args.chunks,
            "fill_seconds": round(fill_seconds, 1),
            "api_ms": {
                "p50": round(p50["api"], 2),
                "p99": round(percentile(api_times, 99) * 1000, 2),
            },
            "parts_ms_p50": {
                "embed_then_chroma": round(p50["parts"], 2),
                "embed": round(p50["embed"], 2),
                "chroma": round(p50["chroma"], 2),
            },
            "parts_alone_ms_p50": {
                "embed": round(p50["embed_alone"], 2),
                "chroma": round(p50["chroma_alone"], 2),
            },
            "embed_query_padded_to_256_ms_p50": round(padded, 2),
            "noop_round_trip_ms_p50": round(round_trip, 2),
            "api_ms_p50_from_an_httpx_client": round(percentile(httpx_times, 50) * 1000, 2),
            "api_overhead_at_p50": round(overhead, 3),
            "api_overhead_over_parts_alone": round(
                p50["api"] / (p50["embed_alone"] + p50["chroma_alone"]) - 1, 3
            ),
            "target": "api overhead <= 0.20",
            "met": overhead <= 0.20,
        },
    )


def _padded_cost(embedder: LocalEmbedder, n: int) -> float:
    """What Chroma's own runner pays: every query padded to 256 tokens."""
    encoding = embedder._tokenizer.encode(QUERIES[0])
    ids = np.zeros((1, 256), dtype=np.int64)
    mask = np.zeros((1, 256), dtype=np.int64)
    ids[0, : len(encoding.ids)] = encoding.ids
    mask[0, : len(encoding.ids)] = 1
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    times = timed(lambda i: embedder._session.run(None, feed), n)
    return percentile(times, 50) * 1000


if __name__ == "__main__":
    main()
