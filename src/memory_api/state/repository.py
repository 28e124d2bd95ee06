"""All SQL touching session state, over either execution path.

``StateRepository`` holds the logic once; it runs the statements of ``state.statements`` through
an ``Executor``: ``SQLAlchemyExecutor`` (any database) or, for PostgreSQL's hot path,
``AsyncpgExecutor`` (the same text straight on an asyncpg connection, about twice the
throughput; see ``repository_asyncpg``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from memory_api.state.statements import Statement, StateStatements, for_dialect


@dataclass(frozen=True, slots=True)
class StoredState:
    """A session's state as stored: the document stays JSON text, never parsed on the way out."""

    session_id: str
    state_json: str
    version: int
    created_at: datetime
    updated_at: datetime


class Executor(Protocol):
    """Runs one statement on one connection."""

    dialect: str

    async def fetchrow(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> Sequence[Any] | None: ...

    async def fetch(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> Sequence[Sequence[Any]]: ...


class SQLAlchemyExecutor:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name

    async def fetchrow(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> Sequence[Any] | None:
        result = await self.connection.execute(statement.clause, parameters)
        return result.first()

    async def fetch(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> Sequence[Sequence[Any]]:
        result = await self.connection.execute(statement.clause, parameters)
        return result.all()


class StateRepository:
    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.statements: StateStatements = for_dialect(executor.dialect)

    async def upsert(
        self, tenant: str, session_id: str, state_data: dict[str, Any], now: datetime
    ) -> None:
        """Create or replace in one statement, so concurrent first writes cannot collide."""
        document = orjson.dumps(state_data).decode()
        parameters = {"tenant": tenant, "session_id": session_id, "state": document, "now": now}
        await self.executor.fetch(self.statements.upsert, parameters)

    async def get(self, tenant: str, session_id: str) -> StoredState | None:
        row = await self.executor.fetchrow(
            self.statements.get, {"tenant": tenant, "session_id": session_id}
        )
        return None if row is None else StoredState(*row)

    async def delete(self, tenant: str, session_id: str) -> bool:
        row = await self.executor.fetchrow(
            self.statements.delete, {"tenant": tenant, "session_id": session_id}
        )
        return row is not None

    async def list(self, tenant: str, skip: int, limit: int) -> list[StoredState]:
        rows = await self.executor.fetch(
            self.statements.list, {"tenant": tenant, "skip": skip, "limit": limit}
        )
        return [StoredState(*row) for row in rows]
