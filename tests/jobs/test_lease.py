"""Lease loss: a worker whose job another worker took over (its lease expired: the process
stalled, or lost the database for longer than the lease) stops that run and writes nothing
more about the job. Two workers on PostgreSQL, each with its own engine."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from memory_api.db.columns import utcnow
from memory_api.db.session import Database
from memory_api.jobs.handlers import JobHandlers, JobOutcome, Report
from memory_api.jobs.models import Job
from memory_api.jobs.repository import JobRepository
from memory_api.jobs.status import JobStatus
from memory_api.jobs.worker import JobWorker
from memory_api.testing.collections import register_collection
from memory_api.testing.jobs import job_row, queue_job, wait_for_rows

from .conftest import Probe

LEASE_SECONDS = 1.0


class Ticker:
    """A handler that works until stopped: a step (``ticks``) every 20 ms, each reported."""

    def __init__(self) -> None:
        self.ticks = 0
        self.started = asyncio.Event()
        self.stopped = asyncio.Event()

    async def __call__(self, job: Job, report: Report) -> JobOutcome:
        self.started.set()
        try:
            while True:
                self.ticks += 1
                report(1, f"tick {self.ticks}")
                await asyncio.sleep(0.02)
        finally:
            self.stopped.set()


def _worker(database: Database, kind: str, handler: Ticker | Probe) -> JobWorker:
    handlers = JobHandlers()
    handlers.register(kind, handler)
    return JobWorker(database, handlers, lease_seconds=LEASE_SECONDS, poll_interval=0.05)


async def test_a_worker_whose_job_was_taken_over_stops_it_and_writes_nothing_more(
    engines: tuple[Database, Database],
) -> None:
    a, b = engines
    collection = await register_collection(a, "leased", model="m", dimension=3)
    job_id = await queue_job(a, "work", collection, {"n": 1})
    ticker, gate = Ticker(), asyncio.Event()
    probe = Probe(gate)
    worker_a, worker_b = _worker(a, "work", ticker), _worker(b, "work", probe)
    # A stalls: its beats come three leases apart, so its lease expires between two of them.
    worker_a.heartbeat_interval = 3 * LEASE_SECONDS
    worker_a.start()
    try:
        await asyncio.wait_for(ticker.started.wait(), 30)
        worker_b.start()
        try:
            # B takes the job over once A's lease has expired ...
            await asyncio.wait_for(probe.started.wait(), 30)
            taken = await job_row(a, job_id)
            assert (taken.status, taken.worker_id, taken.attempts) == (
                JobStatus.IN_PROGRESS,
                worker_b.worker_id,
                2,
            )
            # ... and A, told so by its next heartbeat, stops its run.
            await asyncio.wait_for(ticker.stopped.wait(), 30)
            ticks = ticker.ticks
            await asyncio.sleep(4 * worker_a.heartbeat_interval / 3)
            assert ticker.ticks == ticks, "A's run went on after its job was taken over"
            assert probe.ran == [job_id]
            gate.set()
            rows = await wait_for_rows(b, [job_id])
        finally:
            await worker_b.stop()
    finally:
        await worker_a.stop()
    # B's run is the job's end; A neither finished it nor handed it back.
    row = rows[job_id]
    assert (row.status, row.details, row.result) == (
        JobStatus.COMPLETED,
        "Probed",
        {"params": {"n": 1}},
    )
    assert (row.worker_id, row.attempts, row.progress) == (worker_b.worker_id, 2, 100)


async def test_an_end_is_not_recorded_by_a_worker_that_lost_the_job(
    engines: tuple[Database, Database],
) -> None:
    """The repository's side: finish, heartbeat and release by a worker that no longer owns
    the job (the job ended without it: cancelled after its lease expired) change nothing."""
    a, _ = engines
    collection = await register_collection(a, "ended", model="m", dimension=3)
    job_id = await queue_job(a, "work", collection)
    lease = timedelta(seconds=LEASE_SECONDS)
    async with a.unit_of_work() as session:
        claimed = await JobRepository(session).claim("worker-a", utcnow(), lease)
    assert claimed is not None
    async with a.unit_of_work() as session:
        jobs = JobRepository(session)
        assert await jobs.request_cancel(collection.tenant, job_id, utcnow())
        # A stalled past its lease: the cancelled job is ended for it (worker_id stays A's).
        assert await jobs.fail_cancelled(utcnow() + 2 * lease, lease) == 1
    async with a.unit_of_work() as session:
        jobs = JobRepository(session)
        beat = await jobs.heartbeat(job_id, "worker-a", 50, "still here", utcnow())
        assert beat.owned is False
        ended = await jobs.finish(
            job_id,
            "worker-a",
            status=JobStatus.COMPLETED,
            details="Done",
            result={"late": True},
            now=utcnow(),
        )
        assert ended is False
        await jobs.release(job_id, "worker-a")
    row = await job_row(a, job_id)
    assert (row.status, row.details, row.result, row.worker_id) == (
        JobStatus.FAILED,
        "Cancelled",
        {"cancelled": True},
        "worker-a",
    )
