"""All SQL touching session state. Core statements on the hot paths (no ORM identity map)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Table, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.state.models import SessionState

_table: Table = SessionState.__table__  # type: ignore[assignment]
_columns = (
    _table.c.session_id,
    _table.c.state_data,
    _table.c.created_at,
    _table.c.updated_at,
)


class StateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, session_id: str, state_data: dict[str, Any], now: datetime) -> None:
        """Create or replace in one statement, so concurrent first writes cannot collide."""
        insert = (
            pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        statement = insert(_table).values(
            session_id=session_id, state_data=state_data, version=1, created_at=now, updated_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=[_table.c.session_id],
            set_={
                "state_data": statement.excluded.state_data,
                "updated_at": statement.excluded.updated_at,
                "version": _table.c.version + 1,
            },
        )
        await self.session.execute(statement)

    async def get(self, session_id: str) -> RowMapping | None:
        result = await self.session.execute(
            select(*_columns).where(_table.c.session_id == session_id)
        )
        return result.mappings().one_or_none()

    async def delete(self, session_id: str) -> bool:
        result = await self.session.execute(
            delete(_table).where(_table.c.session_id == session_id).returning(_table.c.session_id)
        )
        return result.first() is not None

    async def list(self, skip: int, limit: int) -> Sequence[RowMapping]:
        result = await self.session.execute(
            select(*_columns)
            .order_by(_table.c.updated_at.desc(), _table.c.session_id)
            .offset(skip)
            .limit(limit)
        )
        return result.mappings().all()
