"""PostgreSQL hot path: the state statements on a connection of the plain asyncpg pool.

Same SQL as ``StateRepository``, without SQLAlchemy's per-statement work. asyncpg runs each
statement outside an explicit transaction: one statement is atomic by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from memory_api.errors import DatabaseUnavailable
from memory_api.state.repository import StoredState

UPSERT = (
    "INSERT INTO session_states (tenant, session_id, state_data, version, created_at, "
    "updated_at) VALUES ($1, $2, $3::json, 1, $4, $4) "
    "ON CONFLICT (tenant, session_id) DO UPDATE SET "
    "state_data = EXCLUDED.state_data, updated_at = EXCLUDED.updated_at, "
    "version = session_states.version + 1"
)
GET = (
    "SELECT session_id, state_data::text, created_at, updated_at "
    "FROM session_states WHERE tenant = $1 AND session_id = $2"
)
DELETE = "DELETE FROM session_states WHERE tenant = $1 AND session_id = $2 RETURNING 1"
LIST = (
    "SELECT session_id, state_data::text, created_at, updated_at FROM session_states "
    "WHERE tenant = $1 ORDER BY updated_at DESC, session_id LIMIT $2 OFFSET $3"
)
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


class AsyncpgStateRepository:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self.driver = connection

    async def upsert(
        self, tenant: str, session_id: str, state_data: dict[str, Any], now: datetime
    ) -> None:
        document = orjson.dumps(state_data).decode()
        await self.driver.execute(UPSERT, tenant, session_id, document, now)

    async def get(self, tenant: str, session_id: str) -> StoredState | None:
        row = await self.driver.fetchrow(GET, tenant, session_id)
        return None if row is None else StoredState(*row)

    async def delete(self, tenant: str, session_id: str) -> bool:
        return await self.driver.fetchval(DELETE, tenant, session_id) is not None

    async def list(self, tenant: str, skip: int, limit: int) -> list[StoredState]:
        rows = await self.driver.fetch(LIST, tenant, limit, skip)
        return [StoredState(*row) for row in rows]
