"""State throughput against its parts, same machine, same run (PostgreSQL; issue 17).

    python -m bench.state_throughput [--seconds 10] [--concurrency 32] [--workers 1]
        [--client wrk|python] [--baseline-ref [REF]]

The service is started as a user starts it (``memory-api serve``, default settings: the request
log on, at info). Its parts are ``bench.bare_state``: a bare FastAPI app (no middleware, the
same uvicorn settings) whose GET runs the service's SELECT on a plain asyncpg pool and whose
POST parses the body and runs the service's upsert; and its constant route. Rounds alternate
between the two servers and the routes, so a slow moment of a shared machine hits all alike.
The 1,000 sessions are written through the service first, then the database is analyzed
(``bench._common.vacuum_analyze``: autovacuum is off on this machine's PostgreSQL).
Targets: GET and POST >= 0.9x their parts; p99 <= 3x p50. The service's ``/livez`` against the
bare constant route is reported beside them (what the stack costs on a route with no work).
PATCH rounds (issue 15: within 1.3x of POST) merge-patch one key and JSON-Patch-append one
message to the same sessions, which the POST rounds reset; ``post_vs_patch_*`` is the POST rate
over the PATCH rate (what a PATCH costs in POSTs).
With ``--baseline-ref`` the service as of an older git ref (default c34d7ae, the last commit
before state versions and ETags: issue 15's "today's throughput") is served too
(``bench._baseline``: its own tree, ``memory-api serve`` and database), its GET and POST rounds
interleaved with the others on the same sessions and bodies; ``get_vs_baseline`` and
``post_vs_baseline`` are today's rates over its rates (target >= 0.9: within 10%).
The load comes from wrk (``apt-get install wrk``; the load generator the issue measured with),
or with ``--client python`` (the default where wrk is missing) from bench/_common.py's asyncio
client, which spends 45-85 us of the same 2 cores per request and adds its own pauses to the tail.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench._baseline import DEFAULT_REF, baseline_server
from bench._common import (
    MODEL_DIR,
    REPO,
    LoadResult,
    get,
    load,
    post,
    report,
    send,
    temporary_postgres,
    vacuum_analyze,
)
from bench._wrk import WRK, wrk_load
from memory_api.testing.chroma_server import ChromaServer
from memory_api.testing.server import ServerProcess, free_port

SESSIONS = 1000
ROUNDS = 5
MESSAGE = {"role": "user", "content": "hello, what is on my agenda?"}
STATE = {"messages": [MESSAGE] * 3, "step": 7}
MERGE, JSON_PATCH = "application/merge-patch+json", "application/json-patch+json"


def merging(i: int) -> bytes:
    return send("PATCH", f"/state/s{i % SESSIONS}", {"step": i}, MERGE)


def appending(i: int) -> bytes:
    """A message appended (RFC 6902): the POST rounds reset the states, so they stay small."""
    operation = [{"op": "add", "path": "/messages/-", "value": MESSAGE}]
    return send("PATCH", f"/state/s{i % SESSIONS}", operation, JSON_PATCH)


def _bare(database: str, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.bare_state", str(port), database],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/const", timeout=5)
            return process, port
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"bare app did not start:\n{log.read_text()}") from None
            time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


def measure(
    seconds: float, concurrency: int, workers: int, generator: str, baseline: str | None = None
) -> dict[str, Any]:
    loading = wrk_load if generator == "wrk" else load
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        database = stack.enter_context(temporary_postgres())
        env = {"MEMORY_API_DATABASE_URL": database, "MEMORY_API_EMBEDDING_MODEL_DIR": MODEL_DIR}
        if workers > 1:  # several processes need the Chroma server mode
            chroma = ChromaServer(tmp / "chroma")
            chroma.start()
            stack.callback(chroma.stop)
            env.update(MEMORY_API_CHROMA_HOST=chroma.host, MEMORY_API_CHROMA_PORT=str(chroma.port))
        chroma_env = {k: v for k, v in env.items() if k.startswith("MEMORY_API_CHROMA_")}
        # As a user starts it: default log level, so every request is logged (to a file here).
        api = ServerProcess(
            ServerProcess.base_env(tmp, **env), tmp / "server.log", "--workers", str(workers)
        )
        api.start()
        stack.callback(api.stop)
        bare, bare_port = _bare(database, tmp / "bare.log")  # after the service migrated
        stack.callback(_stop, bare)
        reading = lambda i: get(f"/state/s{i % SESSIONS}")  # noqa: E731
        writing = lambda i: post(f"/state/s{i % SESSIONS}", {"state_data": STATE})  # noqa: E731
        urls, databases, base_port, commit = [api.url], [database], 0, None
        if baseline is not None:
            databases.append(stack.enter_context(temporary_postgres()))
            base, commit = stack.enter_context(
                baseline_server(
                    baseline,
                    tmp,
                    databases[-1],
                    *("--workers", str(workers)),
                    **chroma_env,
                )
            )
            urls.append(base.url)
            base_port = base.port
        # the baseline's rounds beside their counterparts, so all see the same moments
        routes = [
            ("livez", api.port, lambda i: get("/livez")),
            ("bare_const", bare_port, lambda i: get("/const")),
            ("get_state", api.port, reading),
            ("base_get", base_port, reading),
            ("bare_get", bare_port, reading),
            ("post_state", api.port, writing),
            ("base_post", base_port, writing),
            ("bare_post", bare_port, writing),
            ("patch_merge", api.port, merging),
            ("patch_json", api.port, appending),
        ]
        routes = [route for route in routes if route[1]]  # no port: no baseline
        for url in urls:
            with httpx.Client(base_url=url) as client:
                for i in range(SESSIONS):
                    client.post(f"/state/s{i}", json={"state_data": STATE})
        for written in databases:
            vacuum_analyze(written)  # as autovacuum would have (see there)
        runs = {name: LoadResult(0) for name, _, _ in routes}
        step = seconds / ROUNDS
        for _ in range(ROUNDS):
            for name, port, make in routes:
                runs[name].merge(loading(port, make, concurrency, step))
    summary = {name: run.summary() for name, run in runs.items()}
    figures = {
        **summary,
        "get_vs_parts": round(runs["get_state"].rps / runs["bare_get"].rps, 3),
        "post_vs_parts": round(runs["post_state"].rps / runs["bare_post"].rps, 3),
        "livez_vs_bare_const": round(runs["livez"].rps / runs["bare_const"].rps, 3),
        # issue 15: PATCH within 1.3x of POST (its time per request; rates: >= 1 / 1.3)
        "post_vs_patch_merge": round(runs["post_state"].rps / runs["patch_merge"].rps, 3),
        "post_vs_patch_json": round(runs["post_state"].rps / runs["patch_json"].rps, 3),
        "get_p99_vs_p50": round(summary["get_state"]["p99_ms"] / summary["get_state"]["p50_ms"], 2),
        "post_p99_vs_p50": round(
            summary["post_state"]["p99_ms"] / summary["post_state"]["p50_ms"], 2
        ),
    }
    if commit is not None:
        # issue 15: GET and POST keep the baseline's throughput within 10%
        figures["baseline"] = {"ref": baseline, "commit": commit}
        figures["get_vs_baseline"] = round(runs["get_state"].rps / runs["base_get"].rps, 3)
        figures["post_vs_baseline"] = round(runs["post_state"].rps / runs["base_post"].rps, 3)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--client", choices=["wrk", "python"], default="wrk" if WRK else "python")
    parser.add_argument(
        "--baseline-ref",
        nargs="?",
        const=DEFAULT_REF,
        metavar="REF",
        help=f"also serve the service as of this git ref (alone: {DEFAULT_REF}) and compare",
    )
    args = parser.parse_args()
    figures = measure(args.seconds, args.concurrency, args.workers, args.client, args.baseline_ref)
    targets = {
        "get_vs_parts": ">= 0.9",
        "post_vs_parts": ">= 0.9",
        "p99_vs_p50": "<= 3",
        "post_vs_patch": "<= 1.3 (a PATCH costs at most 1.3 POSTs)",
    }
    met = {
        "get": figures["get_vs_parts"] >= 0.9,
        "post": figures["post_vs_parts"] >= 0.9,
        "p99": max(figures["get_p99_vs_p50"], figures["post_p99_vs_p50"]) <= 3,
        "patch": max(figures["post_vs_patch_merge"], figures["post_vs_patch_json"]) <= 1.3,
    }
    if "get_vs_baseline" in figures:  # within 10% of the baseline's throughput
        targets.update(get_vs_baseline=">= 0.9", post_vs_baseline=">= 0.9")
        met.update(
            get_baseline=figures["get_vs_baseline"] >= 0.9,
            post_baseline=figures["post_vs_baseline"] >= 0.9,
        )
    figures.update(settings=vars(args), targets=targets, met=met)
    report("state_throughput", figures)


if __name__ == "__main__":
    main()
