"""Job-queue fixtures: a database (SQLite or PostgreSQL) with a registered collection, and a
probe handler whose runs the tests can watch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from memory_api.collections.repository import CollectionRecord
from memory_api.db.engine import create_engine
from memory_api.db.session import Database
from memory_api.jobs.handlers import JobOutcome, Report
from memory_api.jobs.models import Job
from memory_api.settings import Settings
from memory_api.testing.collections import register_collection
from memory_api.testing.database import clear_tables


class Probe:
    """A handler that records what it ran; ``gate`` (if given) holds each run until set."""

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.gate = gate
        self.ran: list[str] = []
        self.started = asyncio.Event()

    async def __call__(self, job: Job, report: Report) -> JobOutcome:
        self.ran.append(job.id)
        self.started.set()
        report(50, "half way")
        if self.gate is not None:
            await self.gate.wait()
        return JobOutcome({"params": job.params}, "Probed")


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(create_engine(settings))
    await database.start()
    await clear_tables(database.engine)
    yield database
    await database.dispose()


@pytest.fixture
async def collection(database: Database) -> CollectionRecord:
    return await register_collection(database, "jobs-test", model="probe-model", dimension=3)


@pytest.fixture
async def engines(
    postgres_url: str, settings_factory: Callable[..., Settings]
) -> AsyncIterator[tuple[Database, Database]]:
    """Worker A's and worker B's databases on PostgreSQL: two engines, two connection pools,
    as two API processes have."""
    pair = tuple(Database(create_engine(settings_factory(postgres_url))) for _ in range(2))
    await clear_tables(pair[0].engine)
    yield pair[0], pair[1]
    for database in pair:
        await database.dispose()
