"""Responsiveness under load: /rag_query and GET /state p99 while an indexing job runs vs idle.

    python -m bench.responsiveness [--seconds 10]
Target: p99 under load <= 3x p99 idle.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench._common import get, load, post, report, server
from memory_api.jobs.status import FINISHED, JobStatus
from memory_api.testing.corpus import write_corpus


def probe(port: int, seconds: float) -> dict[str, Any]:
    query = load(
        port, lambda i: post("/rag_query", {"query": f"paragraph {i % 50}", "top_k": 5}), 2, seconds
    )
    state = load(port, lambda i: get("/state/probe"), 2, seconds)
    return {"rag_query": query.summary(), "get_state": state.summary()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        docs = tmp / "docs"
        write_corpus(docs / "warm", files=10, paragraphs=2)
        write_corpus(docs / "big", files=150, paragraphs=6)
        api = server(tmp, MEMORY_API_INDEX_ROOTS=str(docs))
        api.start()
        with httpx.Client(base_url=api.url, timeout=60) as client:
            client.post("/state/probe", json={"state_data": {"probe": True}})
            warm = client.post("/index_files", json={"directory": str(docs / "warm")}).json()
            while client.get(warm["status_url"]).json()["status"] not in FINISHED:
                pass
            idle = probe(api.port, args.seconds)
            job = client.post("/index_files", json={"directory": str(docs / "big")}).json()
            while client.get(job["status_url"]).json()["status"] == JobStatus.PENDING:
                pass
            busy = probe(api.port, args.seconds)
            still_running = client.get(job["status_url"]).json()["status"] == JobStatus.IN_PROGRESS
        api.stop()
    ratios = {
        name: round(busy[name]["p99_ms"] / idle[name]["p99_ms"], 2)
        for name in ("rag_query", "get_state")
    }
    report(
        "responsiveness",
        {
            "idle": idle,
            "while_indexing": busy,
            "p99_busy_vs_idle": ratios,
            "job_still_running_at_end": still_running,
            "target": "<= 3x",
            "met": all(value <= 3 for value in ratios.values()),
            "settings": vars(args),
        },
    )


if __name__ == "__main__":
    main()
