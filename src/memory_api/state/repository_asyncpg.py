"""PostgreSQL hot path: the state statements on a connection of the plain asyncpg pool.

The same statement text as the SQLAlchemy path (``state.statements``), without SQLAlchemy's
per-statement work. asyncpg runs each statement outside an explicit transaction: one statement
is atomic by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from memory_api.db.driver_pool import DriverPool
from memory_api.errors import DatabaseUnavailable
from memory_api.state.repository import StateRepository
from memory_api.state.statements import Statement

_LINK_ERRORS = (
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    OSError,
    asyncio.TimeoutError,
)


class PooledConnection:
    """``async with PooledConnection(pool) as connection``: a connection of the pool; an
    unreachable database or a broken link, while acquiring or in the block, becomes a 503
    (asyncpg replaces broken connections in its pool by itself). A class rather than
    ``@asynccontextmanager``: it is entered on every state request, and a generator-based
    context manager costs a few microseconds more (bench.state_throughput)."""

    __slots__ = ("_acquiring",)

    def __init__(self, pool: DriverPool) -> None:
        self._acquiring = pool.acquire()

    async def __aenter__(self) -> asyncpg.Connection:
        try:
            return await self._acquiring.__aenter__()
        except _LINK_ERRORS as error:
            raise _unavailable(error) from error

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: Any
    ) -> None:
        try:
            await self._acquiring.__aexit__(kind, error, traceback)
        except _LINK_ERRORS as failure:
            raise _unavailable(failure) from failure
        if isinstance(error, _LINK_ERRORS):
            raise _unavailable(error) from error


def _unavailable(error: BaseException) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"Database unavailable ({type(error).__name__}); retry later")


class AsyncpgExecutor:
    dialect = "postgresql"
    data_errors: tuple[type[Exception], ...] = (asyncpg.exceptions.DataError,)

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.driver = connection

    async def fetchrow(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> Sequence[Any] | None:
        row: Sequence[Any] | None = await self.driver.fetchrow(
            statement.asyncpg_sql, *statement.arguments(parameters)
        )
        return row

    async def fetch(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> Sequence[Sequence[Any]]:
        rows: Sequence[Sequence[Any]] = await self.driver.fetch(
            statement.asyncpg_sql, *statement.arguments(parameters)
        )
        return rows

    async def execute(self, statement: Statement, parameters: Mapping[str, Any]) -> None:
        await self.driver.execute(statement.asyncpg_sql, *statement.arguments(parameters))


class PooledRepository:
    """``async with PooledRepository(pool, history) as repository``: the state repository on
    a pooled connection, its statements each atomic by itself (no transaction); what every
    GET, POST and most PATCHes use on PostgreSQL."""

    __slots__ = ("_acquired", "_history")

    def __init__(self, pool: DriverPool, history: int) -> None:
        self._acquired = PooledConnection(pool)
        self._history = history

    async def __aenter__(self) -> StateRepository:
        connection = await self._acquired.__aenter__()
        return StateRepository(AsyncpgExecutor(connection), history=self._history)

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: Any
    ) -> None:
        await self._acquired.__aexit__(kind, error, traceback)
