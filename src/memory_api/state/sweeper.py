"""The background sweeper that deletes expired sessions (and, by cascade, their history).

Expired sessions read as absent at once (every read filters on ``expires_at``); the sweeper
only reclaims their space. Each batch is one short DELETE of at most ``batch`` rows, committed
by itself, so no lock is held long; on PostgreSQL ``SKIP LOCKED`` lets several API processes
sweep at once without waiting on or deleting the same rows twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter

from memory_api.db.columns import utcnow
from memory_api.db.session import Database
from memory_api.state.repository import SQLAlchemyExecutor, StateRepository

logger = logging.getLogger("memory_api.state.sweeper")


@dataclass(frozen=True)
class SweeperConfig:
    interval_seconds: float = 60.0
    batch: int = 500


class StateSweeper:
    def __init__(
        self, database: Database, config: SweeperConfig, registry: CollectorRegistry | None = None
    ) -> None:
        self.database = database
        self.config = config
        self.removed = Counter(
            "memory_api_state_sessions_expired",
            "Expired sessions deleted by the sweeper.",
            registry=registry,
        )
        self._task: asyncio.Task[None] | None = None

    async def sweep_once(self, now: datetime | None = None) -> int:
        """Delete every session expired at ``now`` (default: the present), batch by batch;
        how many this process deleted."""
        moment = now or utcnow()
        total = 0
        while True:
            async with self.database.single_statement() as connection:
                repository = StateRepository(SQLAlchemyExecutor(connection), history=0)
                removed = await repository.sweep(moment, self.config.batch)
            total += removed
            self.removed.inc(removed)
            if removed < self.config.batch:
                return total

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="memory-api-state-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.interval_seconds)
            try:
                removed = await self.sweep_once()
            except Exception as error:  # database down: try again at the next pass, never die
                logger.warning("state sweeper failed: %s", error)
                continue
            if removed:
                logger.info("state sweeper deleted %d expired sessions", removed)
