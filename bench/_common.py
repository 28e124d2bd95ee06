"""Shared benchmark plumbing: a light HTTP load generator, a temporary PostgreSQL database,
servers, percentiles, and results written to bench/results/<name>.json."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from memory_api.testing.server import ServerProcess

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
MODEL_DIR = os.environ.get("MEMORY_API_EMBEDDING_MODEL_DIR") or str(
    REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2" / "onnx"
)
ADMIN_URL = os.environ.get(
    "MEMORY_API_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "ram_gib": round(memory_kb / 2**20, 1),
        "python": platform.python_version(),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else float("nan")


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def merge(self, other: LoadResult) -> None:
        self.seconds += other.seconds
        self.latencies.extend(other.latencies)
        self.errors += other.errors

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def summary(self) -> dict[str, float]:
        return {
            "requests_per_s": round(self.rps, 1),
            "p50_ms": round(percentile(self.latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(self.latencies, 99) * 1000, 2),
            "errors": self.errors,
        }


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> bool:
    """One request on a keep-alive connection; True for a 2xx answer."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return head[9:10] == b"2"


async def _worker(
    port: int, make: Callable[[int], bytes], deadline: float, out: LoadResult, worker: int
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while time.perf_counter() < deadline:
            request = make(worker * 1_000_000 + i)
            i += 1
            started = time.perf_counter()
            if await _exchange(reader, writer, request):
                out.latencies.append(time.perf_counter() - started)
            else:
                out.errors += 1
    finally:
        writer.close()


def sequential(port: int, make: Callable[[int], bytes], count: int) -> list[float]:
    """``count`` requests one after another on one keep-alive connection: latencies (s)."""

    async def run() -> list[float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        latencies = []
        try:
            for i in range(count):
                started = time.perf_counter()
                if not await _exchange(reader, writer, make(i)):
                    raise RuntimeError(f"request {i} did not get a 2xx answer")
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()
        return latencies

    return asyncio.run(run())


def load(port: int, make: Callable[[int], bytes], concurrency: int, seconds: float) -> LoadResult:
    """Closed-loop load: ``concurrency`` keep-alive connections for ``seconds``."""

    async def run() -> LoadResult:
        result = LoadResult(seconds=seconds)
        deadline = time.perf_counter() + seconds
        await asyncio.gather(
            *(_worker(port, make, deadline, result, w) for w in range(concurrency))
        )
        return result

    return asyncio.run(run())


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


def post(path: str, body: Any) -> bytes:
    return send("POST", path, body)


def send(method: str, path: str, body: Any, media_type: str = "application/json") -> bytes:
    data = json.dumps(body).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: {media_type}\r\n"
    return head.encode() + f"Content-Length: {len(data)}\r\n\r\n".encode() + data


def vacuum_analyze(database_url: str) -> None:
    """``VACUUM ANALYZE`` of a PostgreSQL database, as autovacuum would have run it on a
    default server: this machine's PostgreSQL runs with autovacuum off, so tables are never
    analyzed, and a plan made while a table was small stays. One such plan skewed the state
    benchmarks: the foreign-key check of each history row (``session_state_history`` ->
    ``session_states``) is planned once per backend, and a backend that first ran it while
    ``session_states`` was empty (the one that wrote the benchmark's sessions) scanned the
    whole table on every POST afterwards (PostgreSQL CPU per POST 436 us against 218 on the
    other backends). ANALYZE invalidates such plans."""

    async def run() -> None:
        connection = await asyncpg.connect(
            database_url.replace("postgresql+asyncpg", "postgresql", 1)
        )
        try:
            await connection.execute("VACUUM ANALYZE")
        finally:
            await connection.close()

    asyncio.run(run())


@contextmanager
def temporary_postgres(kept: str | None = None, fresh: bool = True) -> Iterator[str]:
    """A new database, dropped at the end; with ``kept``: that database, left in place (a
    benchmark reusing what an earlier run built), made anew when ``fresh``."""
    name = kept or f"bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(ADMIN_URL)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    if kept:
        if fresh:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):
            asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        yield url
        return
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def server(tmp: Path, *args: str, **env: str) -> ServerProcess:
    """``memory-api serve`` with ``args``, logging warnings only (no access log under load)."""
    environment = ServerProcess.base_env(tmp, MEMORY_API_EMBEDDING_MODEL_DIR=MODEL_DIR, **env)
    log = tmp / f"server-{uuid.uuid4().hex[:6]}.log"
    return ServerProcess(environment, log, "--log-level", "warning", *args)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tree_rss_mib(pid: int) -> float:
    """RSS of a process and its children (uvicorn workers)."""
    total = rss_mib(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        total += tree_rss_mib(int(child))
    return total


def report(name: str, figures: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": name,
        "machine": machine(),
        "when": time.strftime("%Y-%m-%d %H:%M"),
        **figures,
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(document, indent=2))
    print(json.dumps(document, indent=2))


def median(values: list[float]) -> float:
    return statistics.median(values)
