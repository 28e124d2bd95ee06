"""The hot paths' asyncpg pool hands its connections out in the order they were asked for."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from memory_api.db.driver_pool import DriverPool

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
