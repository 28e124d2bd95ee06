"""The background sweeper of expired store items.

Expired items read as absent at once (every read filters on ``expires_at``); the sweeper only
reclaims their rows and removes their documents from the store collection (chunks, lexical
postings, vectors), in one transaction per collection under its write lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from memory_api.collections.repository import CollectionRepository
from memory_api.collections.service import CollectionNotFound
from memory_api.db.columns import utcnow
from memory_api.ingestion.writer import DocumentWriter
from memory_api.store.repository import delete_expired_of, expired_collections, sweep_expired

logger = logging.getLogger("memory_api.store.sweeper")


class StoreSweeper:
    def __init__(self, writer: DocumentWriter, interval_seconds: float = 60.0) -> None:
        self.writer = writer
        self.database = writer.database
        self.interval_seconds = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def sweep_once(self, now: datetime | None = None) -> int:
        """Delete every item expired at ``now`` (default: the present); how many."""
        now = now or utcnow()
        async with self.database.reading() as session:
            collections = await expired_collections(session, now)
        removed = 0
        for collection_id in collections:
            removed += await self._sweep_collection(collection_id, now)
        async with self.database.unit_of_work() as session:  # those without a live document
            return removed + await sweep_expired(session, now)

    async def _sweep_collection(self, collection_id: int, now: datetime) -> int:
        async with self.database.unit_of_work() as session:
            collection = await CollectionRepository(session).get_by_id(collection_id)
            if collection is None:  # deleted: its own sweeper removes the documents
                return 0
            try:
                name = await self.writer.lock(session, collection)
            except CollectionNotFound:
                return 0
            documents = await delete_expired_of(session, collection_id, now)
            await self.writer.write_locked(session, collection, name, [], {}, deleted=documents)
            return len(documents)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="memory-api-store-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            try:
                removed = await self.sweep_once()
            except Exception as error:  # database down: try again at the next pass, never die
                logger.warning("store sweeper failed: %s", error)
                continue
            if removed:
                logger.info("store sweeper deleted %d expired items", removed)
