"""The hot paths' asyncpg pool hands its connections out in the order they were asked for."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from memory_api.app import create_app
from memory_api.db.driver_pool import DriverPool
from memory_api.settings import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pool(postgres_url: str) -> AsyncIterator[DriverPool]:
    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    pool = await DriverPool.create(dsn, 2, wait=5)
    async with pool.acquire() as first, pool.acquire() as second:  # both connected
        await asyncio.gather(first.fetchval("SELECT 1"), second.fetchval("SELECT 1"))
    try:
        yield pool
    finally:
        await pool.close()


async def test_connections_are_handed_out_first_come_first_served(pool: DriverPool) -> None:
    """Many more takers than connections, each asking again as soon as it has given its
    connection back (a server under load): every connection goes to the longest waiter.
    asyncpg's own pool lets a newcomer overtake a woken waiter here (the first turns are
    granted out of order within a few rounds)."""
    tickets = itertools.count()
    asked: list[int] = []
    granted: list[int] = []

    async def taker() -> None:
        for _ in range(40):
            ticket = next(tickets)
            asked.append(ticket)
            async with pool.acquire() as connection:
                granted.append(ticket)
                await connection.fetchval("SELECT 1")

    await asyncio.gather(*(taker() for _ in range(12)))
    assert len(granted) == 12 * 40
    assert granted == asked


async def test_a_wait_for_a_turn_is_bounded(pool: DriverPool) -> None:
    async with pool.acquire(), pool.acquire():
        with pytest.raises(TimeoutError):
            async with pool.acquire(timeout=0.2):
                pass
    async with pool.acquire() as connection:  # the timed-out turn was given back
        assert await connection.fetchval("SELECT 1") == 1


async def test_a_failed_query_gives_its_turn_back(pool: DriverPool) -> None:
    for _ in range(3):  # more failures than connections
        with pytest.raises(ZeroDivisionError):
            async with pool.acquire() as connection:
                await connection.fetchval("SELECT 1")
                raise ZeroDivisionError
    async with pool.acquire() as first, pool.acquire() as second:
        assert (await first.fetchval("SELECT 1"), await second.fetchval("SELECT 2")) == (1, 2)


async def test_a_request_that_waits_too_long_for_a_connection_gets_503(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        database_url=postgres_url,
        db_pool_size=1,
        db_connect_timeout=0.3,
    )
    app = create_app(settings, run_worker=False)
    async with LifespanManager(app, startup_timeout=60):
        database = app.state.components.database
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            stored = await client.post("/state/s1", json={"state_data": {"n": 1}})
            assert stored.status_code == 201
            async with database.driver_pool.acquire():  # the only connection, held
                waited = await client.get("/state/s1")
            assert waited.status_code == 503
            assert "Database unavailable" in waited.json()["detail"]
            assert (await client.get("/state/s1")).json()["state_data"] == {"n": 1}
