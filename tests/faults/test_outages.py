"""Dependencies going away under a running server, and coming back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from memory_api.jobs.status import FINISHED, JobStatus
from memory_api.testing.chroma_server import ChromaServer
from memory_api.testing.corpus import write_corpus
from memory_api.testing.server import ServerProcess
from memory_api.testing.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def eventually(call: Callable[[], object], expected: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        response = await call()  # type: ignore[misc]
        if response.status_code == expected:
            return
        assert time.monotonic() < deadline, response.text
        await asyncio.sleep(0.25)


async def test_postgres_unreachable_then_back(
    server_factory: Callable[..., ServerProcess], postgres_url: str
) -> None:
    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    proxied = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    server = server_factory(MEMORY_API_DATABASE_URL=proxied, MEMORY_API_DB_CONNECT_TIMEOUT="2")
    await asyncio.to_thread(server.start)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        assert (await client.post("/state/p", json={"state_data": {"v": 1}})).status_code == 201
        await proxy.cut()
        for response in (
            await client.post("/state/p", json={"state_data": {"v": 2}}),
            await client.get("/state/p"),
            await client.get("/sessions"),
            await client.get("/health"),
        ):
            assert response.status_code == 503, response.text
        assert (await client.get("/livez")).status_code == 200
        await proxy.restore()
        await eventually(lambda: client.get("/health"), 200)
        await eventually(lambda: client.post("/state/p", json={"state_data": {"v": 3}}), 201)
        assert (await client.get("/state/p")).json()["state_data"] == {"v": 3}
    server.stop()
    await proxy.cut()


@pytest.mark.chroma_server  # starts its own
@pytest.mark.timeout(600)  # two servers to start, a job to run and fail, recovery
async def test_chroma_server_down_then_back(
    server_factory: Callable[..., ServerProcess], postgres_url: str, tmp_path: Path
) -> None:
    chroma = ChromaServer(tmp_path / "chroma")
    await asyncio.to_thread(chroma.start)
    docs = tmp_path / "docs"
    write_corpus(docs, files=60)
    server = server_factory(
        MEMORY_API_DATABASE_URL=postgres_url,
        MEMORY_API_CHROMA_HOST=chroma.host,
        MEMORY_API_CHROMA_PORT=str(chroma.port),
        MEMORY_API_COLLECTION_NAME=f"outage-{int(time.time() * 1000)}",
    )
    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            started = await client.post("/index_files", json={"directory": str(docs)})
            status_url = started.json()["status_url"]
            deadline = time.monotonic() + 120
            while (job := (await client.get(status_url)).json())["status"] != JobStatus.IN_PROGRESS:
                assert job["status"] == JobStatus.PENDING, (
                    job
                )  # it must be running when Chroma stops
                assert time.monotonic() < deadline, job
                await asyncio.sleep(0.1)
            await asyncio.to_thread(chroma.stop)

            job = (await client.get(status_url)).json()
            deadline = time.monotonic() + 120
            while job["status"] not in FINISHED:
                assert time.monotonic() < deadline, job
                await asyncio.sleep(0.2)
                job = (await client.get(status_url)).json()
            assert job["status"] == JobStatus.FAILED, job
            assert "Vector store unavailable" in job["details"]

            query = await client.post("/rag_query", json={"query": "paragraph"})
            assert query.status_code == 503
            assert "Vector store unavailable" in query.json()["detail"]
            health = (await client.get("/health")).json()
            assert health["services"]["vector_store"]["status"] == "unavailable"
            assert (await client.post("/state/c", json={"state_data": {}})).status_code == 201
            assert (await client.get("/state/c")).status_code == 200

            await asyncio.to_thread(chroma.start)
            await eventually(lambda: client.post("/rag_query", json={"query": "paragraph"}), 200)
            await eventually(lambda: client.get("/health"), 200)
    finally:
        server.stop()
        chroma.stop()


@dataclass(frozen=True)
class Operation:
    client: int
    step: int
    kind: str  # "write" or "delete"
    started: float
    ended: float
    status: int


async def test_concurrent_writers_and_deletes(
    server_factory: Callable[..., ServerProcess], postgres_url: str
) -> None:
    """Clients write and delete one session at once, each several times in a row. Every answer
    is one the contract allows, and what is left is what the last operation left: the write of
    the final state did not end before any other operation began (the order of operations that
    do not overlap in time is kept), and if nothing is left a delete came after every write."""
    server = server_factory(MEMORY_API_DATABASE_URL=postgres_url)
    await asyncio.to_thread(server.start)
    operations: list[Operation] = []
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:

        async def run(number: int) -> None:
            for step in range(8):
                started = time.monotonic()
                if (number + step) % 5 == 0:
                    kind, response = "delete", await client.delete("/state/contended")
                else:
                    body = {"state_data": {"client": number, "step": step}}
                    kind, response = "write", await client.post("/state/contended", json=body)
                ended = time.monotonic()
                operations.append(
                    Operation(number, step, kind, started, ended, response.status_code)
                )

        await asyncio.gather(*(run(number) for number in range(25)))
        final = await client.get("/state/contended")
    server.stop()

    writes = [op for op in operations if op.kind == "write"]
    deletes = [op for op in operations if op.kind == "delete"]
    assert len(writes) == 160 and len(deletes) == 40
    assert {op.status for op in writes} == {201}, [op for op in writes if op.status != 201]
    assert {op.status for op in deletes} <= {204, 404}, deletes
    if final.status_code == 200:
        left = final.json()["state_data"]
        matching = [op for op in writes if {"client": op.client, "step": op.step} == left]
        assert len(matching) == 1, f"{left} is no acknowledged write"
        last = matching[0]
        after = [op for op in operations if op.started > last.ended]
        assert after == [], f"{left} was written before {after[0]} began, and is still there"
    else:
        assert final.status_code == 404, final.text
        last_delete = max(op.ended for op in deletes)
        after = [op for op in writes if op.started > last_delete]
        assert after == [], f"{after[0]} began after every delete, and was lost"
