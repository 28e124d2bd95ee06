"""PostgreSQL hot path: the state statements on a connection of the plain asyncpg pool.

The same statement text as the SQLAlchemy path (``state.statements``), without SQLAlchemy's
per-statement work. asyncpg runs each statement outside an explicit transaction: one statement
is atomic by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from memory_api.errors import DatabaseUnavailable
from memory_api.state.statements import Statement

_LINK_ERRORS = (
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    OSError,
    asyncio.TimeoutError,
)


@asynccontextmanager
async def acquire(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection; an unreachable database or a broken link becomes a 503 (asyncpg
    replaces broken connections in its pool by itself)."""
    try:
        async with pool.acquire() as connection:
            yield connection
    except _LINK_ERRORS as error:
        raise DatabaseUnavailable(
            f"Database unavailable ({type(error).__name__}); retry later"
        ) from error


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
