"""Graceful shutdown: a worker stopped during a run hands its job back (pending) at once, so
the next worker resumes it without waiting for the lease to expire."""

from __future__ import annotations

import asyncio

from memory_api.collections.repository import CollectionRecord
from memory_api.db.session import Database
from memory_api.jobs.handlers import JobHandlers
from memory_api.jobs.status import JobStatus
from memory_api.jobs.worker import JobWorker
from memory_api.testing.jobs import job_row, queue_job, wait_for_rows

from .conftest import Probe


def _worker(database: Database, probe: Probe) -> JobWorker:
    handlers = JobHandlers()
    handlers.register("work", probe)
    # A lease far longer than the test: only the hand-back can let the next worker in.
    return JobWorker(database, handlers, lease_seconds=600, poll_interval=0.05)


async def test_a_stopped_worker_hands_its_job_back_for_the_next_one(
    database: Database, collection: CollectionRecord
) -> None:
    job_id = await queue_job(database, "work", collection, {"n": 7})
    stopped = Probe(asyncio.Event())  # never let through: the run is stopped midway
    first = _worker(database, stopped)
    first.start()
    try:
        await asyncio.wait_for(stopped.started.wait(), 30)
    finally:
        await first.stop()
    row = await job_row(database, job_id)
    assert (row.status, row.worker_id, row.heartbeat_at, row.details, row.attempts) == (
        JobStatus.PENDING,
        None,
        None,
        "Interrupted; will resume",
        1,
    )

    resumed = Probe()
    second = _worker(database, resumed)
    second.start()
    try:
        rows = await wait_for_rows(database, [job_id])
    finally:
        await second.stop()
    done = rows[job_id]
    assert (done.status, done.details, done.attempts, done.worker_id) == (
        JobStatus.COMPLETED,
        "Probed",
        2,
        second.worker_id,
    )
    assert (stopped.ran, resumed.ran) == ([job_id], [job_id])
