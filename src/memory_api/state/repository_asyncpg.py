"""PostgreSQL hot path: the state statements straight on the pooled asyncpg connection.

Same SQL as ``StateRepository`` (whose tests run on PostgreSQL too), without SQLAlchemy's
per-statement work. The connection comes from the application's pool in autocommit mode, so
each statement is its own transaction, as one statement is atomic anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from memory_api.errors import DatabaseUnavailable
from memory_api.state.repository import StoredState

UPSERT = (
    "INSERT INTO session_states (session_id, state_data, version, created_at, updated_at) "
    "VALUES ($1, $2::json, 1, $3, $3) ON CONFLICT (session_id) DO UPDATE SET "
    "state_data = EXCLUDED.state_data, updated_at = EXCLUDED.updated_at, "
    "version = session_states.version + 1"
)
GET = (
    "SELECT session_id, state_data::text, created_at, updated_at "
    "FROM session_states WHERE session_id = $1"
)
DELETE = "DELETE FROM session_states WHERE session_id = $1 RETURNING 1"
LIST = (
    "SELECT session_id, state_data::text, created_at, updated_at FROM session_states "
    "ORDER BY updated_at DESC, session_id LIMIT $1 OFFSET $2"
)
_LINK_ERRORS = (
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    OSError,
    asyncio.TimeoutError,
)


class AsyncpgStateRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    @asynccontextmanager
    async def _driver(self) -> AsyncIterator[Any]:
        """The asyncpg connection; a broken link is discarded from the pool and becomes 503."""
        raw = await self.connection.get_raw_connection()
        try:
            yield raw.driver_connection
        except _LINK_ERRORS as error:
            await self.connection.invalidate()
            raise DatabaseUnavailable(
                f"Database unavailable ({type(error).__name__}); retry later"
            ) from error

    async def upsert(self, session_id: str, state_data: dict[str, Any], now: datetime) -> None:
        async with self._driver() as driver:
            await driver.execute(UPSERT, session_id, orjson.dumps(state_data).decode(), now)

    async def get(self, session_id: str) -> StoredState | None:
        async with self._driver() as driver:
            row = await driver.fetchrow(GET, session_id)
        return None if row is None else StoredState(*row)

    async def delete(self, session_id: str) -> bool:
        async with self._driver() as driver:
            return await driver.fetchval(DELETE, session_id) is not None

    async def list(self, skip: int, limit: int) -> list[StoredState]:
        async with self._driver() as driver:
            rows = await driver.fetch(LIST, limit, skip)
        return [StoredState(*row) for row in rows]
