"""Checkpoint use cases, each one transaction of the tenant's repository.

A 2xx answer means the transaction committed: an acknowledged checkpoint survives a crash.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Protocol

import orjson
from fastapi import Depends

from memory_api.auth.principal import PrincipalDep
from memory_api.checkpoints.repository import (
    CheckpointRepository,
    Key,
    NewWrite,
    Query,
    StoredCheckpoint,
    StoredWrite,
)
from memory_api.checkpoints.repository_asyncpg import AsyncpgCheckpointRepository
from memory_api.checkpoints.schemas import CheckpointIn, CheckpointSearch, WritesIn
from memory_api.components import DatabaseDep
from memory_api.db.columns import utcnow
from memory_api.db.session import Database
from memory_api.state.repository_asyncpg import PooledConnection


class StepStore(Protocol):
    """What a graph step needs; both repositories have it (see repository_asyncpg)."""

    async def put(
        self, checkpoint: StoredCheckpoint, run_id: str | None, now: datetime
    ) -> None: ...
    async def put_writes(
        self, key: Key, task_id: str, task_path: str, writes: Sequence[NewWrite], *, replace: bool
    ) -> None: ...
    async def search(self, query: Query) -> list[StoredCheckpoint]: ...
    async def writes_of(self, keys: Sequence[Key]) -> dict[Key, list[StoredWrite]]: ...


class CheckpointService:
    def __init__(self, database: Database, tenant: str) -> None:
        self.database = database
        self.tenant = tenant

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[CheckpointRepository]:
        """A transaction, for use cases of several statements."""
        async with self.database.unit_of_work() as session:
            yield CheckpointRepository(await session.connection(), self.tenant)

    @asynccontextmanager
    async def _statement(self, *, read_only: bool = False) -> AsyncIterator[StepStore]:
        """The hot path (every graph step): on PostgreSQL a connection of the plain asyncpg
        pool; elsewhere a plain connection, no ORM session."""
        if self.database.driver_pool is not None:
            async with PooledConnection(self.database.driver_pool) as driver:
                yield AsyncpgCheckpointRepository(driver, self.tenant)
            return
        async with self.database.single_statement(read_only=read_only) as connection:
            yield CheckpointRepository(connection, self.tenant)

    async def put(self, body: CheckpointIn) -> None:
        checkpoint = StoredCheckpoint(
            thread_id=body.thread_id,
            checkpoint_ns=body.checkpoint_ns,
            checkpoint_id=body.checkpoint_id,
            parent_checkpoint_id=body.parent_checkpoint_id,
            type=body.type,
            checkpoint=body.checkpoint,
            metadata=body.metadata,
        )
        async with self._statement() as repository:
            await repository.put(checkpoint, _run_id(body.metadata), utcnow())

    async def put_writes(self, body: WritesIn) -> None:
        writes = [NewWrite(w.idx, w.channel, w.type, w.value) for w in body.writes]
        # LangGraph's rule: a batch made only of special channels (negative idx: errors,
        # interrupts, resumes, scheduled) replaces; any other batch never overwrites.
        replace = all(write.idx < 0 for write in writes)
        # One row per idx, as if written one by one (one statement may not touch a row twice).
        unique: dict[int, NewWrite] = {}
        for write in writes:
            if replace:
                unique[write.idx] = write
            else:
                unique.setdefault(write.idx, write)
        writes = list(unique.values())
        key = (body.thread_id, body.checkpoint_ns, body.checkpoint_id)
        async with self._statement() as repository:
            await repository.put_writes(key, body.task_id, body.task_path, writes, replace=replace)

    async def search(self, body: CheckpointSearch) -> bytes:
        """The ``list[CheckpointOut]`` JSON, rendered with orjson (the hot path of every
        graph start and of ``get_tuple``)."""
        query = Query(
            thread_id=body.thread_id,
            checkpoint_ns=body.checkpoint_ns,
            checkpoint_id=body.checkpoint_id,
            before=body.before,
            metadata=body.filter,
            limit=body.limit,
        )
        # Two statements on one connection: writes only ever get added, so a write landing
        # between them is at worst one more pending write, as a moment later.
        async with self._statement(read_only=True) as repository:
            found = await repository.search(query)
            writes = await repository.writes_of([checkpoint.key for checkpoint in found])
        return orjson.dumps(
            [
                {
                    "thread_id": checkpoint.thread_id,
                    "checkpoint_ns": checkpoint.checkpoint_ns,
                    "checkpoint_id": checkpoint.checkpoint_id,
                    "parent_checkpoint_id": checkpoint.parent_checkpoint_id,
                    "type": checkpoint.type,
                    "checkpoint": _b64(checkpoint.checkpoint),
                    "metadata": checkpoint.metadata,
                    "pending_writes": [
                        {
                            "task_id": write.task_id,
                            "channel": write.channel,
                            "type": write.type,
                            "value": _b64(write.value),
                        }
                        for write in writes.get(checkpoint.key, ())
                    ],
                }
                for checkpoint in found
            ]
        )

    async def delete_threads(self, thread_ids: list[str]) -> None:
        async with self._writing() as repository:
            await repository.delete_threads(thread_ids)

    async def delete_runs(self, run_ids: list[str]) -> None:
        async with self._writing() as repository:
            await repository.delete_runs(run_ids)

    async def copy_thread(self, source: str, target: str) -> None:
        async with self._writing() as repository:
            await repository.copy_thread(source, target)

    async def prune(self, thread_ids: list[str], strategy: str) -> None:
        async with self._writing() as repository:
            if strategy == "delete":
                await repository.delete_threads(thread_ids)
            else:
                await repository.keep_latest(thread_ids)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _run_id(metadata: dict[str, Any]) -> str | None:
    run_id = metadata.get("run_id")
    return None if run_id is None else str(run_id)


async def get_checkpoint_service(
    database: DatabaseDep, principal: PrincipalDep
) -> CheckpointService:
    return CheckpointService(database, principal.tenant)


CheckpointServiceDep = Annotated[CheckpointService, Depends(get_checkpoint_service)]
