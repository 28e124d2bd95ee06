"""PostgreSQL hot path: the statements of every graph step on the plain asyncpg pool.

Same SQL as ``CheckpointRepository`` (put, put_writes, search), without SQLAlchemy's work per
statement: through SQLAlchemy each statement cost about three round trips to PostgreSQL on
this path (bench.langgraph_steps), here one (asyncpg prepares and caches each text once per
connection). Each is one statement, atomic by itself, run outside an explicit transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from memory_api.checkpoints.repository import Key, NewWrite, Query, StoredCheckpoint, StoredWrite

PUT = (
    "INSERT INTO lg_checkpoints (tenant, thread_id, checkpoint_ns, checkpoint_id, "
    "parent_checkpoint_id, run_id, type, checkpoint, metadata, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10) "
    "ON CONFLICT (tenant, thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET "
    "parent_checkpoint_id = EXCLUDED.parent_checkpoint_id, run_id = EXCLUDED.run_id, "
    "type = EXCLUDED.type, checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata"
)
_PUT_WRITES = (
    "INSERT INTO lg_checkpoint_writes (tenant, thread_id, checkpoint_ns, checkpoint_id, "
    "task_id, task_path, idx, channel, type, value) "
    "SELECT $1, $2, $3, $4, $5, $6, w.idx, w.channel, w.type, w.value "
    "FROM unnest($7::int[], $8::text[], $9::text[], $10::bytea[]) "
    "AS w(idx, channel, type, value) "
    "ON CONFLICT (tenant, thread_id, checkpoint_ns, checkpoint_id, task_id, idx) "
)
PUT_WRITES_KEEP = _PUT_WRITES + "DO NOTHING"
PUT_WRITES_REPLACE = (
    _PUT_WRITES + "DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, "
    "value = EXCLUDED.value, task_path = EXCLUDED.task_path"
)
WRITES_OF = (
    "SELECT w.thread_id, w.checkpoint_ns, w.checkpoint_id, w.task_id, w.channel, w.type, "
    "w.value FROM lg_checkpoint_writes w "
    "JOIN unnest($2::text[], $3::text[], $4::text[]) AS k(thread_id, checkpoint_ns, "
    "checkpoint_id) USING (thread_id, checkpoint_ns, checkpoint_id) "
    "WHERE w.tenant = $1 ORDER BY w.task_path, w.task_id, w.idx"
)
_SEARCH = (
    "SELECT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, "
    "metadata::text FROM lg_checkpoints WHERE tenant = $1"
)


def search_statement(tenant: str, query: Query) -> tuple[str, list[Any]]:
    """The search's SQL and its arguments (the filter by JSONB containment)."""
    sql = _SEARCH
    arguments: list[Any] = [tenant]
    for column, value in (
        ("thread_id", query.thread_id),
        ("checkpoint_ns", query.checkpoint_ns),
        ("checkpoint_id", query.checkpoint_id),
    ):
        if value is not None:
            arguments.append(value)
            sql += f" AND {column} = ${len(arguments)}"
    if query.before is not None:
        arguments.append(query.before)
        sql += f" AND checkpoint_id < ${len(arguments)}"
    if query.metadata:
        arguments.append(orjson.dumps(query.metadata).decode())
        sql += f" AND metadata @> ${len(arguments)}::jsonb"
    sql += " ORDER BY checkpoint_id DESC, thread_id, checkpoint_ns"
    if query.limit is not None:
        arguments.append(query.limit)
        sql += f" LIMIT ${len(arguments)}"
    return sql, arguments


class AsyncpgCheckpointRepository:
    def __init__(self, connection: asyncpg.Connection, tenant: str) -> None:
        self.driver = connection
        self.tenant = tenant

    async def put(self, checkpoint: StoredCheckpoint, run_id: str | None, now: datetime) -> None:
        await self.driver.execute(
            PUT,
            self.tenant,
            checkpoint.thread_id,
            checkpoint.checkpoint_ns,
            checkpoint.checkpoint_id,
            checkpoint.parent_checkpoint_id,
            run_id,
            checkpoint.type,
            checkpoint.checkpoint,
            orjson.dumps(checkpoint.metadata).decode(),
            now,
        )

    async def put_writes(
        self, key: Key, task_id: str, task_path: str, writes: Sequence[NewWrite], *, replace: bool
    ) -> None:
        if not writes:
            return
        await self.driver.execute(
            PUT_WRITES_REPLACE if replace else PUT_WRITES_KEEP,
            self.tenant,
            *key,
            task_id,
            task_path,
            [write.idx for write in writes],
            [write.channel for write in writes],
            [write.type for write in writes],
            [write.value for write in writes],
        )

    async def search(self, query: Query) -> list[StoredCheckpoint]:
        sql, arguments = search_statement(self.tenant, query)
        rows = await self.driver.fetch(sql, *arguments)
        return [
            StoredCheckpoint(
                thread_id=row[0],
                checkpoint_ns=row[1],
                checkpoint_id=row[2],
                parent_checkpoint_id=row[3],
                type=row[4],
                checkpoint=row[5],
                metadata=orjson.loads(row[6]),
            )
            for row in rows
        ]

    async def writes_of(self, keys: Sequence[Key]) -> dict[Key, list[StoredWrite]]:
        found: dict[Key, list[StoredWrite]] = defaultdict(list)
        if not keys:
            return found
        unique = list(set(keys))
        rows = await self.driver.fetch(
            WRITES_OF,
            self.tenant,
            [key[0] for key in unique],
            [key[1] for key in unique],
            [key[2] for key in unique],
        )
        for thread_id, namespace, checkpoint_id, *write in rows:
            found[(thread_id, namespace, checkpoint_id)].append(StoredWrite(*write))
        return found
