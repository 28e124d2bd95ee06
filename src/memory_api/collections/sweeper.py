"""Finishing the deletion of collections: rows, chunks, lexical entries, then vectors.

``DELETE /collections/{name}`` only marks the registry row (``deleted_at``): the collection is
invisible at once and the request does not wait for a large clean-up. The sweeper, run by every
API process (in the lifespan), finds marked rows and removes, in this order, each step
idempotent so a crash anywhere only means the next pass (on any process) redoes it:

1. the documents (chunks go by ON DELETE CASCADE) and the lexical index, under the collection's
   write lock: a writer still holding it finishes first, and later writers see the mark and
   write nothing (``DocumentWriter.write``), so no vector is added after step 2;
2. the vector collection;
3. the registry row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from memory_api.collections.repository import CollectionRepository
from memory_api.db.session import Database
from memory_api.documents.catalog import DocumentCatalog
from memory_api.errors import MemoryAPIError
from memory_api.search.lexical.repository import LexicalRepository
from memory_api.vectorstore.chroma import VectorStore

logger = logging.getLogger("memory_api.collections")
#: seconds between passes; a deletion in this process wakes it at once, one left by a crashed
#: process is found at the next start or pass
SWEEP_INTERVAL = 60.0


class CollectionSweeper:
    def __init__(self, database: Database, vectors: VectorStore, *, interval: float) -> None:
        self.database = database
        self.vectors = vectors
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="memory-api-collection-sweeper")

    def notify(self) -> None:
        """A collection was just marked deleted: sweep now rather than at the next interval."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.sweep()
            except MemoryAPIError as error:  # database or vector store down: next pass
                logger.warning("collection clean-up postponed: %s", error.detail)
            except Exception:
                logger.exception("collection clean-up failed; retrying at the next pass")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()

    async def sweep(self) -> int:
        """Remove every collection marked deleted; how many were removed."""
        async with self.database.reading() as session:
            pending = await CollectionRepository(session).deleted()
        for collection_id, vector_collection in pending:
            async with self.database.unit_of_work() as session:
                await CollectionRepository(session).lock_for_write(collection_id)
                removed = await DocumentCatalog(session).purge(collection_id)
                await LexicalRepository(session).purge(collection_id)  # frees the chunk keys
            await self.vectors.delete_collection(vector_collection)
            async with self.database.unit_of_work() as session:
                await CollectionRepository(session).purge(collection_id)
            logger.info(
                "deleted collection %s: %d documents, vectors %s",
                collection_id,
                removed,
                vector_collection,
            )
        return len(pending)
