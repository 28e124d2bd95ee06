"""The background sweeper of expired store items.

Expired items read as absent at once (every read filters on ``expires_at``); the sweeper only
reclaims their rows, in one short DELETE per pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from memory_api.db.columns import utcnow
from memory_api.db.session import Database
from memory_api.store.repository import sweep_expired

logger = logging.getLogger("memory_api.store.sweeper")


class StoreSweeper:
    def __init__(self, database: Database, interval_seconds: float = 60.0) -> None:
        self.database = database
        self.interval_seconds = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def sweep_once(self, now: datetime | None = None) -> int:
        """Delete every item expired at ``now`` (default: the present); how many."""
        async with self.database.unit_of_work() as session:
            return await sweep_expired(session, now or utcnow())

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
