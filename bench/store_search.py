"""Store puts and ``query`` searches against documents and ``/rag_query`` on the same texts.

    python -m bench.store_search [--items 1000] [--queries 150]

A real server (``memory-api serve``, SQLite + embedded Chroma). ``--items`` memories (a sentence
each, 20 per user namespace) are put through ``PUT /store/items`` and, as a reference, the same
texts through ``PUT /collections/ref/documents/{id}`` (the same writer, embedder and indexes);
then searches interleave: a store ``query`` under one user's namespace, a store ``query`` over
every item, ``/rag_query`` (hybrid, top 10) on the reference collection. One keep-alive
connection each (bench/_common.py), requests one at a time.

Target: a store query search p50 <= 1.5x the ``/rag_query`` p50 on the same texts (both run the
same hybrid retrieval; the store adds its scope condition and the item rows), ratios measured
in one run. Puts are reported against document writes of the same texts.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench._common import percentile, post, report, send, sequential, server

SUBJECTS = ["the user", "my sister", "our neighbour", "the team lead", "a friend from school"]
VERBS = ["likes", "booked", "forgot", "recommended", "bought", "wants to visit", "cooked", "fixed"]
THINGS = [
    "a Thai curry",
    "the train to Porto",
    "a blue bicycle",
    "the dentist appointment",
    "a jazz concert",
    "the garden fence",
    "a book about glaciers",
    "the kitchen sink",
    "a trip to Kyoto",
    "a chess set",
]
WORDS = [
    "curry",
    "train",
    "bicycle",
    "dentist",
    "jazz",
    "fence",
    "glaciers",
    "sink",
    "Kyoto",
    "chess",
    "invoice",
]


def memory(rng: random.Random, index: int) -> str:
    return (
        f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(THINGS)} "
        f"(note {index})"
    )


def figures(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 95) * 1000, 2),
    }


def asking(
    path: str, make: Callable[[str, int], dict[str, Any]], queries: list[str]
) -> Callable[[int], bytes]:
    """Request ``i``: the ``i``-th query, as ``make`` words it, sent to ``path``."""
    return lambda i: post(path, make(queries[i], i))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=150)
    args = parser.parse_args()
    rng = random.Random(7)
    texts = [memory(rng, index) for index in range(args.items)]
    users = max(1, args.items // 20)
    with tempfile.TemporaryDirectory() as directory:
        api = server(Path(directory))
        api.start(ready_path="/health")
        try:
            httpx.post(f"{api.url}/collections", json={"name": "ref"}).raise_for_status()

            def put_item(i: int) -> bytes:
                value = {"text": texts[i], "n": i}
                body = {"namespace": ["users", f"u{i % users}"], "key": f"m{i}", "value": value}
                return send("PUT", "/store/items", body | {"index": ["text"]})

            def put_document(i: int) -> bytes:
                return send("PUT", f"/collections/ref/documents/m{i}", {"text": texts[i]})

            puts = sequential(api.port, put_item, args.items)
            documents = sequential(api.port, put_document, args.items)
            queries = [f"{rng.choice(WORDS)} {rng.choice(WORDS)}" for _ in range(args.queries)]
            kinds: dict[str, Any] = {
                "store_user": lambda q, i: {
                    "query": q,
                    "namespace_prefix": ["users", f"u{i % users}"],
                },
                "store_all": lambda q, i: {"query": q, "limit": 10},
                "rag_query": lambda q, i: {"query": q, "collection": "ref", "top_k": 10},
            }
            latencies: dict[str, list[float]] = {kind: [] for kind in kinds}
            for round_ in range(3):  # interleaved in rounds: load drifts hit every kind alike
                for kind, make in kinds.items():
                    path = "/rag_query" if kind == "rag_query" else "/store/items/search"
                    share = queries[round_::3]
                    latencies[kind] += sequential(api.port, asking(path, make, share), len(share))
        finally:
            api.stop()
    rag = percentile(latencies["rag_query"], 50)
    report(
        "store_search",
        {
            "items": args.items,
            "namespaces": users,
            "store_put": figures(puts),
            "document_put": figures(documents),
            "put_over_document_p50": round(percentile(puts, 50) / percentile(documents, 50), 3),
            **{kind: figures(values) for kind, values in latencies.items()},
            "store_user_over_rag_p50": round(percentile(latencies["store_user"], 50) / rag, 3),
            "store_all_over_rag_p50": round(percentile(latencies["store_all"], 50) / rag, 3),
        },
    )


if __name__ == "__main__":
    main()
