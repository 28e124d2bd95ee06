"""All SQL touching session state.

Two implementations of one interface: ``StateRepository`` (SQLAlchemy Core, any database) and,
for PostgreSQL's hot path, ``AsyncpgStateRepository`` (the same statements straight on the
asyncpg connection, about twice the throughput). The state document is read back as the JSON
text stored, never parsed: responses splice it in as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Table, Text, delete, select, type_coerce
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from memory_api.state.models import SessionState

_table: Table = SessionState.__table__  # type: ignore[assignment]
_columns = (
    _table.c.session_id,
    type_coerce(_table.c.state_data, Text),
    _table.c.created_at,
    _table.c.updated_at,
)


@dataclass(frozen=True, slots=True)
class StoredState:
    session_id: str
    state_json: str  # the stored document, as JSON text
    created_at: datetime
    updated_at: datetime


class StateStore(Protocol):
    async def upsert(
        self, tenant: str, session_id: str, state_data: dict[str, Any], now: datetime
    ) -> None: ...
    async def get(self, tenant: str, session_id: str) -> StoredState | None: ...
    async def delete(self, tenant: str, session_id: str) -> bool: ...
    async def list(self, tenant: str, skip: int, limit: int) -> list[StoredState]: ...


def _stored(row: Any) -> StoredState:
    session_id, state_json, created_at, updated_at = row
    return StoredState(session_id, state_json, created_at, updated_at)


class StateRepository:
    """SQLAlchemy Core statements; the reference implementation (SQLite and PostgreSQL)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def upsert(
        self, tenant: str, session_id: str, state_data: dict[str, Any], now: datetime
    ) -> None:
        """Create or replace in one statement, so concurrent first writes cannot collide."""
        insert = pg_insert if self.connection.dialect.name == "postgresql" else sqlite_insert
        statement = insert(_table).values(
            tenant=tenant,
            session_id=session_id,
            state_data=state_data,
            version=1,
            created_at=now,
            updated_at=now,
        )
        statement = statement.on_conflict_do_update(
            index_elements=[_table.c.tenant, _table.c.session_id],
            set_={
                "state_data": statement.excluded.state_data,
                "updated_at": statement.excluded.updated_at,
                "version": _table.c.version + 1,
            },
        )
        await self.connection.execute(statement)

    async def get(self, tenant: str, session_id: str) -> StoredState | None:
        result = await self.connection.execute(
            select(*_columns).where(_table.c.tenant == tenant, _table.c.session_id == session_id)
        )
        row = result.one_or_none()
        return None if row is None else _stored(row)

    async def delete(self, tenant: str, session_id: str) -> bool:
        result = await self.connection.execute(
            delete(_table)
            .where(_table.c.tenant == tenant, _table.c.session_id == session_id)
            .returning(_table.c.session_id)
        )
        return result.first() is not None

    async def list(self, tenant: str, skip: int, limit: int) -> list[StoredState]:
        result = await self.connection.execute(
            select(*_columns)
            .where(_table.c.tenant == tenant)
            .order_by(_table.c.updated_at.desc(), _table.c.session_id)
            .offset(skip)
            .limit(limit)
        )
        return [_stored(row) for row in result]
