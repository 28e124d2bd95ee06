"""SQLite in WAL mode with a busy timeout: concurrent writers never see "database is locked"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from memory_api.app import create_app
from memory_api.db.migrate import upgrade
from memory_api.settings import Settings


async def test_two_engines_write_the_same_file_concurrently(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory()
    await asyncio.to_thread(upgrade, settings)
    apps = [create_app(settings), create_app(settings)]  # two engines: like two processes
    async with LifespanManager(apps[0]), LifespanManager(apps[1]):
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            for app in apps
        ]
        writes = [
            clients[i % 2].post(f"/state/s{i % 7}", json={"state_data": {"i": i, "pad": "x" * 500}})
            for i in range(200)
        ]
        reads = [clients[i % 2].get("/sessions") for i in range(50)]
        responses = await asyncio.gather(*writes, *reads)
        for client in clients:
            await client.aclose()
        statuses = [r.status_code for r in responses]
        assert statuses == [201] * 200 + [200] * 50, {
            r.text for r in responses if r.status_code >= 300
        }

        async with apps[0].state.components.database.engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
        assert mode == "wal"
        assert timeout is not None and timeout >= 5000


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_state_survives_app_restart(settings: Settings) -> None:
    for _ in range(2):
        app = create_app(settings)
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                if (await client.get("/state/keep")).status_code == 404:
                    await client.post("/state/keep", json={"state_data": {"kept": True}})
                else:
                    assert (await client.get("/state/keep")).json()["state_data"] == {"kept": True}
                    return
    pytest.fail("the state written before the restart was not found")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_reads_do_not_wait_for_a_writer(settings: Settings) -> None:
    """Another process holds SQLite's write lock (an indexing job, say): session reads still
    answer from their snapshot instead of queueing behind it (writes do queue)."""
    import sqlite3

    app = create_app(settings, run_worker=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.post("/state/r", json={"state_data": {"v": 1}})).status_code == 201
            path = app.state.components.database.engine.url.database
            writer = sqlite3.connect(path, isolation_level=None)
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("UPDATE session_states SET state_data = '{\"v\": 2}'")
            try:
                read = await asyncio.wait_for(client.get("/state/r"), 10)
                listed = await asyncio.wait_for(client.get("/sessions"), 10)
                write = asyncio.create_task(client.post("/state/w", json={"state_data": {}}))
                await asyncio.sleep(0.5)
                assert not write.done(), "a write got past another writer's lock"
            finally:
                writer.execute("COMMIT")
                writer.close()
            assert read.status_code == 200 and read.json()["state_data"] == {"v": 1}
            assert listed.status_code == 200
            assert (await write).status_code == 201
            assert (await client.get("/state/r")).json()["state_data"] == {"v": 2}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_job_status_reads_while_another_connection_holds_the_write_lock(
    settings: Settings,
) -> None:
    """An indexing job's write transaction holds SQLite's write lock; a status poll only
    reads, so it answers from a snapshot instead of queueing for the lock (it used to begin
    IMMEDIATE like a write and, under load, answer 503 after the busy timeout)."""
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            engine = app.state.components.database.engine
            async with engine.connect() as holder:
                writing = await holder.begin()  # the engine begins writes IMMEDIATE
                await holder.exec_driver_sql("SELECT 1")  # the write lock, held from here
                asked = [client.get("/index_status/unknown"), client.get("/index_jobs")]
                answers = asyncio.gather(*asked)
                done, _ = await asyncio.wait([answers], timeout=20)
                held_until_answered = bool(done)
                await writing.rollback()
            status, jobs = await answers
    assert held_until_answered, "the reads waited for the write lock"
    assert status.status_code == 404 and status.json()["status"] == "not_found"
    assert jobs.status_code == 200 and jobs.json() == []
