"""All SQL touching checkpoints and pending writes (SQLAlchemy Core, SQLite and PostgreSQL).

Every statement is scoped to one tenant, given at construction. Checkpoint ids are LangGraph's
uuid6 strings, which sort by time: "latest" and the order of ``search`` are ``checkpoint_id``
descending, as in LangGraph's own savers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy import type_coerce as coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from memory_api.checkpoints.models import Checkpoint, CheckpointWrite

_checkpoints: Table = Checkpoint.__table__  # type: ignore[assignment]
_writes: Table = CheckpointWrite.__table__  # type: ignore[assignment]
_CHECKPOINT_COLUMNS = (
    _checkpoints.c.thread_id,
    _checkpoints.c.checkpoint_ns,
    _checkpoints.c.checkpoint_id,
    _checkpoints.c.parent_checkpoint_id,
    _checkpoints.c.type,
    _checkpoints.c.checkpoint,
    _checkpoints.c.metadata,
)
#: (thread_id, checkpoint_ns, checkpoint_id): what a pending write belongs to.
Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    parent_checkpoint_id: str | None
    type: str
    checkpoint: bytes
    metadata: dict[str, Any]

    @property
    def key(self) -> Key:
        return (self.thread_id, self.checkpoint_ns, self.checkpoint_id)


@dataclass(frozen=True, slots=True)
class StoredWrite:
    task_id: str
    channel: str
    type: str
    value: bytes


@dataclass(frozen=True, slots=True)
class NewWrite:
    idx: int
    channel: str
    type: str
    value: bytes


@dataclass(frozen=True, slots=True)
class Query:
    """What ``search`` selects; None leaves a field unconstrained."""

    thread_id: str | None = None
    checkpoint_ns: str | None = None
    checkpoint_id: str | None = None
    before: str | None = None
    metadata: dict[str, Any] | None = None
    limit: int | None = None


class CheckpointRepository:
    def __init__(self, connection: AsyncConnection, tenant: str) -> None:
        self.connection = connection
        self.tenant = tenant
        self._postgres = connection.dialect.name == "postgresql"

    def _insert(self, table: Table) -> Any:
        return (pg_insert if self._postgres else sqlite_insert)(table)

    async def put(self, checkpoint: StoredCheckpoint, run_id: str | None, now: datetime) -> None:
        """Create or replace (LangGraph may put the same checkpoint id again)."""
        statement = self._insert(_checkpoints).values(
            tenant=self.tenant,
            thread_id=checkpoint.thread_id,
            checkpoint_ns=checkpoint.checkpoint_ns,
            checkpoint_id=checkpoint.checkpoint_id,
            parent_checkpoint_id=checkpoint.parent_checkpoint_id,
            run_id=run_id,
            type=checkpoint.type,
            checkpoint=checkpoint.checkpoint,
            metadata=checkpoint.metadata,
            created_at=now,
        )
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=list(_checkpoints.primary_key.columns),
            set_={
                name: excluded[name]
                for name in ("parent_checkpoint_id", "run_id", "type", "checkpoint", "metadata")
            },
        )
        await self.connection.execute(statement)

    async def search(self, query: Query) -> list[StoredCheckpoint]:
        table = _checkpoints
        conditions: list[ColumnElement[bool]] = [table.c.tenant == self.tenant]
        for column, value in (
            (table.c.thread_id, query.thread_id),
            (table.c.checkpoint_ns, query.checkpoint_ns),
            (table.c.checkpoint_id, query.checkpoint_id),
        ):
            if value is not None:
                conditions.append(column == value)
        if query.before is not None:
            conditions.append(table.c.checkpoint_id < query.before)
        conditions.extend(self._metadata_matches(query.metadata or {}))
        statement = (
            select(*_CHECKPOINT_COLUMNS)
            .where(*conditions)
            .order_by(table.c.checkpoint_id.desc(), table.c.thread_id, table.c.checkpoint_ns)
        )
        if query.limit is not None:
            statement = statement.limit(query.limit)
        result = await self.connection.execute(statement)
        return [StoredCheckpoint(*row) for row in result]

    def _metadata_matches(self, wanted: dict[str, Any]) -> list[ColumnElement[bool]]:
        """Each top-level key equals its value: JSONB containment on PostgreSQL (the
        statement LangGraph's PostgresSaver runs); on SQLite the key's JSON text, reached
        through ``json_each`` so that no key has to be spelt inside a JSON path."""
        if not wanted:
            return []
        column = _checkpoints.c.metadata
        if self._postgres:
            return [coerce(column, JSONB).contains(wanted)]
        matches: list[ColumnElement[bool]] = []
        for key, value in wanted.items():
            entry = func.json_each(column).table_valued("key", "value", "type").alias("entry")
            # json_each gives SQL values: rebuild each one's JSON text to compare it.
            as_json = case(
                (entry.c.type.in_(("true", "false", "null")), entry.c.type),
                (entry.c.type == "text", func.json_quote(entry.c.value)),
                else_=func.json(entry.c.value),
            )
            matches.append(
                exists(
                    select(literal(1))
                    .select_from(entry)
                    .where(
                        entry.c.key == key,
                        as_json == func.json(orjson.dumps(value).decode()),
                    )
                )
            )
        return matches

    async def writes_of(self, keys: Sequence[Key]) -> dict[Key, list[StoredWrite]]:
        """The pending writes of each checkpoint, in LangGraph's order (task path, task, idx)."""
        found: dict[Key, list[StoredWrite]] = defaultdict(list)
        if not keys:
            return found
        table = _writes
        key_columns = (table.c.thread_id, table.c.checkpoint_ns, table.c.checkpoint_id)
        result = await self.connection.execute(
            select(*key_columns, table.c.task_id, table.c.channel, table.c.type, table.c.value)
            .where(table.c.tenant == self.tenant, tuple_(*key_columns).in_(list(set(keys))))
            .order_by(table.c.task_path, table.c.task_id, table.c.idx)
        )
        for thread_id, namespace, checkpoint_id, *write in result:
            found[(thread_id, namespace, checkpoint_id)].append(StoredWrite(*write))
        return found

    async def put_writes(
        self, key: Key, task_id: str, task_path: str, writes: Sequence[NewWrite], *, replace: bool
    ) -> None:
        """Idempotent: a write already stored at ``(task_id, idx)`` is kept, unless ``replace``
        (LangGraph's special channels, where the newest write wins)."""
        if not writes:
            return
        thread_id, namespace, checkpoint_id = key
        statement = self._insert(_writes).values(
            [
                {
                    "tenant": self.tenant,
                    "thread_id": thread_id,
                    "checkpoint_ns": namespace,
                    "checkpoint_id": checkpoint_id,
                    "task_id": task_id,
                    "task_path": task_path,
                    "idx": write.idx,
                    "channel": write.channel,
                    "type": write.type,
                    "value": write.value,
                }
                for write in writes
            ]
        )
        elements = list(_writes.primary_key.columns)
        if replace:
            excluded = statement.excluded
            statement = statement.on_conflict_do_update(
                index_elements=elements,
                set_={name: excluded[name] for name in ("channel", "type", "value", "task_path")},
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=elements)
        await self.connection.execute(statement)

    async def delete_threads(self, thread_ids: Sequence[str]) -> None:
        for table in (_writes, _checkpoints):
            await self.connection.execute(
                delete(table).where(
                    table.c.tenant == self.tenant, table.c.thread_id.in_(thread_ids)
                )
            )

    async def delete_runs(self, run_ids: Sequence[str]) -> None:
        """The checkpoints written by these runs, and the writes made against them."""
        doomed = select(
            _checkpoints.c.thread_id, _checkpoints.c.checkpoint_ns, _checkpoints.c.checkpoint_id
        ).where(_checkpoints.c.tenant == self.tenant, _checkpoints.c.run_id.in_(run_ids))
        await self.connection.execute(
            delete(_writes).where(
                _writes.c.tenant == self.tenant,
                tuple_(_writes.c.thread_id, _writes.c.checkpoint_ns, _writes.c.checkpoint_id).in_(
                    doomed
                ),
            )
        )
        await self.connection.execute(
            delete(_checkpoints).where(
                _checkpoints.c.tenant == self.tenant, _checkpoints.c.run_id.in_(run_ids)
            )
        )

    async def copy_thread(self, source: str, target: str) -> None:
        """Every checkpoint and write of ``source`` again under ``target`` (rows already there
        with the same keys are kept)."""
        for table in (_checkpoints, _writes):
            columns = [column for column in table.columns if column.name != "thread_id"]
            rows = select(literal(target), *columns).where(
                table.c.tenant == self.tenant, table.c.thread_id == source
            )
            statement = self._insert(table).from_select([table.c.thread_id, *columns], rows)
            await self.connection.execute(statement.on_conflict_do_nothing())

    async def keep_latest(self, thread_ids: Sequence[str]) -> None:
        """Of each thread and namespace, only the newest checkpoint (and its writes) stay."""
        latest = (
            select(
                _checkpoints.c.thread_id,
                _checkpoints.c.checkpoint_ns,
                func.max(_checkpoints.c.checkpoint_id),
            )
            .where(_checkpoints.c.tenant == self.tenant, _checkpoints.c.thread_id.in_(thread_ids))
            .group_by(_checkpoints.c.thread_id, _checkpoints.c.checkpoint_ns)
        )
        for table in (_writes, _checkpoints):
            key = tuple_(table.c.thread_id, table.c.checkpoint_ns, table.c.checkpoint_id)
            await self.connection.execute(
                delete(table).where(
                    and_(table.c.tenant == self.tenant, table.c.thread_id.in_(thread_ids)),
                    key.not_in(latest),
                )
            )
