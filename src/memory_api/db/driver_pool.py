"""The plain asyncpg pool of the hot paths, handed out first come, first served.

asyncpg's pool keeps its free connections in an ``asyncio.Queue``. A released connection wakes
the longest waiter, but a request that asks in the meantime, before that waiter runs, takes it,
and the waiter goes back to the end of the line. Under load (more requests in flight than
connections) that split the requests in two: in bench.state_throughput (32 connections of wrk,
a pool of 10) half got a connection at once while the others waited up to 50 ms, and GET
``/state`` answered at p99 4.3-5.2x its p50. Here a semaphore of the pool's size stands in front
of it: ``asyncio.Semaphore`` serves its waiters in order (a newcomer waits behind them even when
a permit is free), and a request that holds a permit always finds a free connection.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

import asyncpg


class DriverPool:
    """``async with pool.acquire() as connection``: asyncpg's pool, acquired in order."""

    def __init__(self, pool: asyncpg.Pool, size: int, timeout: float) -> None:
        self.pool = pool
        self.timeout = timeout  # the longest wait for a turn (then TimeoutError)
        self.turns = asyncio.Semaphore(size)

    @classmethod
    async def create(cls, dsn: str, size: int, wait: float) -> DriverPool:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=0,  # connects lazily: a database down at start-up does not stop the start
            max_size=size,
            timeout=wait,
            server_settings={"application_name": "memory-api"},
            reset=_no_reset,
        )
        return cls(pool, size, wait)

    def acquire(self, timeout: float | None = None) -> Acquiring:
        return Acquiring(self, self.timeout if timeout is None else timeout)

    async def close(self) -> None:
        await self.pool.close()


class Acquiring:
    """One turn: the permit first, then the connection; given back in the other order, so
    the connection is in asyncpg's queue before the next turn begins. A class rather than
    ``@asynccontextmanager``: it is entered on every state request."""

    __slots__ = ("_connection", "_pool", "_timeout")

    def __init__(self, pool: DriverPool, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout
        self._connection: asyncpg.Connection | None = None

    async def __aenter__(self) -> asyncpg.Connection:
        turns = self._pool.turns
        if turns.locked():  # a wait: bounded, then TimeoutError (a 503 for a request)
            async with asyncio.timeout(self._timeout):
                await turns.acquire()
        else:
            await turns.acquire()
        try:
            # A turn means a free connection: no wait here, bar connecting (bounded by the
            # connect timeout). No timeout given, so asyncpg adds no task of its own.
            self._connection = await self._pool.pool.acquire()
        except BaseException:
            turns.release()
            raise
        return self._connection

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self._connection is not None:
                await self._pool.pool.release(self._connection)
        finally:
            self._connection = None
            self._pool.turns.release()


async def _no_reset(connection: asyncpg.Connection) -> None:
    """asyncpg resets every released connection (one more round trip); the hot-path statements
    leave no session state behind (no SET, LISTEN, advisory lock or cursor), so skip it."""
