"""All SQL touching session state, over either execution path.

``StateRepository`` holds the logic once; it runs the statements of ``state.statements`` through
an ``Executor``: ``SQLAlchemyExecutor`` (any database) or, for PostgreSQL's hot path,
``AsyncpgExecutor`` (the same text straight on an asyncpg connection, about twice the
throughput; see ``repository_asyncpg``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncConnection

from memory_api.state.patching import SqlAppend, SqlPatch
from memory_api.state.preconditions import Tag
from memory_api.state.statements import Statement, StateStatements, for_dialect


@dataclass(frozen=True, slots=True)
class StoredState:
    """A session's state as stored: the document stays JSON text, never parsed on the way out."""

    session_id: str
    state_json: str
    version: int
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None

    @property
    def tag(self) -> Tag:
        return Tag(self.version, self.created_at)


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One entry of a session's history."""

    version: int
    created_at: datetime
    size_bytes: int


@dataclass(frozen=True, slots=True)
class SessionPage:
    """Which sessions to list: ``after`` is a keyset cursor, (updated_at, session_id) of the
    last session of the previous page."""

    skip: int = 0
    limit: int = 100
    prefix: str = ""
    after: tuple[datetime, str] | None = None
    include_state: bool = True


class WriteMode(enum.Enum):
    """How a write treats an existing session (RFC 9110 preconditions)."""

    UPSERT = "upsert"  # no precondition: create or replace
    CREATE = "create"  # If-None-Match: *
    REPLACE = "replace"  # If-Match: only an existing session (of the expected version)


class Executor(Protocol):
    """Runs one statement on one connection."""

    dialect: str
    #: what the database raises for data it cannot process (PostgreSQL: a "\u0000" in a
    #: json document its functions read)
    data_errors: tuple[type[Exception], ...]

    async def fetchrow(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> Sequence[Any] | None: ...

    async def fetch(
        self, statement: Statement, parameters: Mapping[str, Any]
    ) -> Sequence[Sequence[Any]]: ...

    async def execute(self, statement: Statement, parameters: Mapping[str, Any]) -> None: ...


class SQLAlchemyExecutor:
    data_errors: tuple[type[Exception], ...] = (DataError,)

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

    async def execute(self, statement: Statement, parameters: Mapping[str, Any]) -> None:
        await self.connection.execute(statement.clause, parameters)


def _expected(tag: Tag | None) -> dict[str, Any]:
    """The parameters of a condition on the version and incarnation (None: any)."""
    if tag is None:
        return {"expected": None, "incarnation": None}
    return {"expected": tag.version, "incarnation": tag.created_at}


class StateRepository:
    """The state use cases' SQL. Writes that record history take several statements on SQLite:
    callers run them on a connection inside one transaction (``StateService`` does)."""

    def __init__(self, executor: Executor, *, history: int) -> None:
        self.executor = executor
        self.history = history
        self.statements: StateStatements = for_dialect(executor.dialect)

    async def write(
        self,
        mode: WriteMode,
        key: tuple[str, str],
        state_data: dict[str, Any],
        now: datetime,
        expires_at: datetime | None,
        expected: Tag | None = None,
    ) -> StoredState | None:
        """Write and return the new state; None when the precondition of ``mode`` fails (for
        REPLACE: the session is at ``expected``, None: at any version). The precondition is
        part of the one write statement, so concurrent writers cannot race."""
        document = orjson.dumps(state_data)
        document_text = document.decode()
        tenant, session_id = key
        parameters: dict[str, Any] = {
            "tenant": tenant,
            "session_id": session_id,
            "state": document_text,
            "size": len(document),
            "now": now,
            "expires_at": expires_at,
            **_expected(expected),
            "keep": self.history,
        }
        write = getattr(self.statements, mode.value)
        if self.history and write.with_history is not None:
            row = await self.executor.fetchrow(write.with_history, parameters)
        else:
            row = await self.executor.fetchrow(write.alone, parameters)
            if row is not None and self.history:
                parameters["version"] = row[2]
                await self.executor.execute(self.statements.record, parameters)
                await self.executor.execute(self.statements.prune, parameters)
        if row is None:
            return None
        return StoredState(session_id, document_text, *row[2:])

    async def patch(
        self,
        key: tuple[str, str],
        patch: SqlPatch,
        now: datetime,
        expires_at: datetime | None,
        expected: Tag | None = None,
    ) -> StoredState | None:
        """Apply ``patch`` in the database, in one write (``expires_at`` None: kept); None when
        the session is absent, not at ``expected`` or the database cannot apply the patch (the
        caller then applies it itself, and finds out which)."""
        tenant, session_id = key
        parameters: dict[str, Any] = {
            "tenant": tenant,
            "session_id": session_id,
            "now": now,
            "expires_at": expires_at,
            **_expected(expected),
            "keep": self.history,
        }
        if isinstance(patch, SqlAppend):
            kind = "append"
            parameters.update(member=patch.member, values=patch.values)
            parameters["path"] = f'$."{patch.member}"'
        else:
            kind = "merge"
            parameters["patch"] = patch.patch
        write = self.statements.patch[kind]
        statement = write.alone
        if self.history and write.with_history is not None:
            statement = write.with_history
        try:
            row = await self.executor.fetchrow(statement, parameters)
        except self.executor.data_errors:
            return None  # nothing was written
        if row is None:
            return None
        document: str = row[6]
        if self.history and statement is write.alone:
            parameters.update(state=document, size=len(document.encode()), version=row[2])
            await self.executor.execute(self.statements.record, parameters)
            await self.executor.execute(self.statements.prune, parameters)
        return StoredState(session_id, document, *row[2:6])

    async def get(self, key: tuple[str, str], now: datetime) -> StoredState | None:
        return await self._state(self.statements.get, key, now)

    async def lock(self, key: tuple[str, str], now: datetime) -> StoredState | None:
        """The state, locked until the transaction ends (SQLite: its IMMEDIATE transaction
        already holds the database's write lock)."""
        return await self._state(self.statements.lock, key, now)

    async def get_version(
        self, key: tuple[str, str], version: int, now: datetime
    ) -> StoredState | None:
        parameters = {"tenant": key[0], "session_id": key[1], "version": version, "now": now}
        row = await self.executor.fetchrow(self.statements.get_version, parameters)
        return None if row is None else StoredState(*row)

    async def current_tag(self, key: tuple[str, str], now: datetime) -> Tag | None:
        """The version and incarnation the session is at; None if absent."""
        parameters = {"tenant": key[0], "session_id": key[1], "now": now}
        row = await self.executor.fetchrow(self.statements.exists, parameters)
        return None if row is None else Tag(int(row[0]), row[1])

    async def history_of(
        self, key: tuple[str, str], before: int, limit: int, now: datetime
    ) -> list[VersionInfo]:
        parameters = {
            "tenant": key[0],
            "session_id": key[1],
            "before": before,
            "limit": limit,
            "now": now,
        }
        rows = await self.executor.fetch(self.statements.history, parameters)
        return [VersionInfo(*row) for row in rows]

    async def delete(self, key: tuple[str, str], expected: Tag | None, now: datetime) -> bool:
        """Delete (its history goes with it: ON DELETE CASCADE); False if absent or not at
        ``expected``."""
        parameters = {"tenant": key[0], "session_id": key[1], **_expected(expected), "now": now}
        return await self.executor.fetchrow(self.statements.delete, parameters) is not None

    async def list(self, tenant: str, page: SessionPage, now: datetime) -> list[StoredState]:
        parameters = {
            "tenant": tenant,
            "skip": page.skip,
            "limit": page.limit,
            "now": now,
            "prefix": page.prefix,
            "prefix_length": len(page.prefix),
            "after_time": page.after[0] if page.after else None,
            "after_id": page.after[1] if page.after else None,
        }
        statement = self.statements.list[(page.after is not None, page.include_state)]
        rows = await self.executor.fetch(statement, parameters)
        return [StoredState(*row) for row in rows]

    async def sweep(self, now: datetime, batch: int) -> int:
        """Delete up to ``batch`` expired sessions (of every tenant); how many went."""
        rows = await self.executor.fetch(self.statements.sweep, {"now": now, "batch": batch})
        return len(rows)

    async def _state(
        self, statement: Statement, key: tuple[str, str], now: datetime
    ) -> StoredState | None:
        parameters = {"tenant": key[0], "session_id": key[1], "now": now}
        row = await self.executor.fetchrow(statement, parameters)
        return None if row is None else StoredState(*row)
