"""CPU per request of GET and POST /state in the service vs its parts (``bench.bare_state``),
from the servers' own CPU time (/proc/<pid>/stat), so a busy machine's waiting is not counted.

    python -m bench.state_cpu [--seconds 10] [--concurrency 32] [--pin 0,1] [--env KEY=VALUE]

``--pin S,L``: both servers (and PostgreSQL's backends are not pinned) run on core S, the load
generator on core L (what the p99/p50 of bench.state_throughput owes to the load generator
sharing a core with the server). ``--env`` sets a service setting for an experiment. Rounds
alternate as in bench.state_throughput; latencies are the load generator's, as there.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench._common import (
    MODEL_DIR,
    LoadResult,
    get,
    load,
    post,
    report,
    temporary_postgres,
    vacuum_analyze,
)
from bench.state_throughput import SESSIONS, STATE, _bare
from memory_api.testing.server import ServerProcess

ROUNDS = 5
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pin", help="SERVER_CORE,LOAD_CORE")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the service")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)
    with tempfile.TemporaryDirectory() as tmp_name, temporary_postgres() as database:
        tmp = Path(tmp_name)
        env = {"MEMORY_API_DATABASE_URL": database, "MEMORY_API_EMBEDDING_MODEL_DIR": MODEL_DIR}
        api = ServerProcess(ServerProcess.base_env(tmp, **env, **extra), tmp / "server.log")
        api.start()
        assert api.process is not None
        bare, bare_port = _bare(database, tmp / "bare.log")
        if args.pin:
            server_core, load_core = (int(core) for core in args.pin.split(","))
            for pid in (api.process.pid, bare.pid):
                for task in os.listdir(f"/proc/{pid}/task"):
                    os.sched_setaffinity(int(task), {server_core})
            os.sched_setaffinity(0, {load_core})
        try:
            with httpx.Client(base_url=api.url) as client:
                for i in range(SESSIONS):
                    client.post(f"/state/s{i}", json={"state_data": STATE})
            vacuum_analyze(database)  # as autovacuum would have (see there)
            reading = lambda i: get(f"/state/s{i % SESSIONS}")  # noqa: E731
            writing = lambda i: post(f"/state/s{i % SESSIONS}", {"state_data": STATE})  # noqa: E731
            cases = (
                ("get_state", api.process.pid, api.port, reading),
                ("bare_get", bare.pid, bare_port, reading),
                ("post_state", api.process.pid, api.port, writing),
                ("bare_post", bare.pid, bare_port, writing),
            )
            runs = {name: LoadResult(0) for name, *_ in cases}
            cpu = dict.fromkeys(runs, 0.0)
            own = dict.fromkeys(runs, 0.0)
            for _ in range(ROUNDS):
                for name, pid, port, make in cases:
                    before, mine = cpu_seconds(pid), os.times()
                    runs[name].merge(load(port, make, args.concurrency, args.seconds / ROUNDS))
                    cpu[name] += cpu_seconds(pid) - before
                    now = os.times()
                    own[name] += now.user + now.system - mine.user - mine.system
        finally:
            bare.terminate()
            bare.wait(timeout=30)
            api.stop()
    figures: dict[str, Any] = {"pin": args.pin, "env": extra}
    for name, run in runs.items():
        count = len(run.latencies)
        summary = run.summary()
        figures[name] = {
            **summary,
            "p99_vs_p50": round(summary["p99_ms"] / summary["p50_ms"], 2),
            "server_cpu_us_per_request": round(cpu[name] / count * 1e6, 1),
            "load_generator_cpu_us_per_request": round(own[name] / count * 1e6, 1),
        }
    for kind in ("get", "post"):
        service = figures[f"{kind}_state"]["server_cpu_us_per_request"]
        figures[f"{kind}_cpu_parts_vs_service"] = round(
            figures[f"bare_{kind}"]["server_cpu_us_per_request"] / service, 3
        )
    figures["load_average"] = os.getloadavg()
    report("state_cpu", figures)


if __name__ == "__main__":
    main()
