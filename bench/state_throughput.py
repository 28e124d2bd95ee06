"""State throughput vs a no-op route, same server, same run (PostgreSQL).

    python -m bench.state_throughput [--seconds 10] [--concurrency 32] [--workers 1]
Targets: GET >= 0.5x and POST >= 0.3x the no-op's requests/s.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench._common import LoadResult, get, load, post, report, server, temporary_postgres
from memory_api.testing.chroma_server import ChromaServer

SESSIONS = 1000
ROUNDS = 5
STATE = {"messages": [{"role": "user", "content": "hello, what is on my agenda?"}] * 3, "step": 7}


def measure(seconds: float, concurrency: int, workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_name, temporary_postgres() as database:
        tmp = Path(tmp_name)
        env = {"MEMORY_API_DATABASE_URL": database}
        chroma = None
        if workers > 1:  # several processes need the Chroma server mode
            chroma = ChromaServer(tmp / "chroma")
            chroma.start()
            env.update(MEMORY_API_CHROMA_HOST=chroma.host, MEMORY_API_CHROMA_PORT=str(chroma.port))
        api = server(tmp, "--workers", str(workers), **env)
        api.start()
        try:
            with httpx.Client(base_url=api.url) as client:
                for i in range(SESSIONS):
                    client.post(f"/state/s{i}", json={"state_data": STATE})
            # Interleaved rounds, so a slow moment of the shared machine hits all three alike.
            noop, reads, writes = LoadResult(0), LoadResult(0), LoadResult(0)
            step = seconds / ROUNDS
            for _ in range(ROUNDS):
                noop.merge(load(api.port, lambda i: get("/livez"), concurrency, step))
                reads.merge(
                    load(api.port, lambda i: get(f"/state/s{i % SESSIONS}"), concurrency, step)
                )
                writes.merge(
                    load(
                        api.port,
                        lambda i: post(f"/state/s{i % SESSIONS}", {"state_data": STATE}),
                        concurrency,
                        step,
                    )
                )
        finally:
            api.stop()
            if chroma is not None:
                chroma.stop()
    return {
        "noop": noop.summary(),
        "get_state": reads.summary(),
        "post_state": writes.summary(),
        "get_vs_noop": round(reads.rps / noop.rps, 3),
        "post_vs_noop": round(writes.rps / noop.rps, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    figures = measure(args.seconds, args.concurrency, args.workers)
    figures.update(
        settings=vars(args),
        targets={"get_vs_noop": ">= 0.5", "post_vs_noop": ">= 0.3"},
        met={"get": figures["get_vs_noop"] >= 0.5, "post": figures["post_vs_noop"] >= 0.3},
    )
    report("state_throughput", figures)


if __name__ == "__main__":
    main()
