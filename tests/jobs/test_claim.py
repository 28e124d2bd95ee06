"""One job at a time per collection, across processes: claims on PostgreSQL from two workers,
each with its own engine (as two API processes have)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from memory_api.collections.repository import CollectionRepository
from memory_api.db.columns import utcnow
from memory_api.db.session import Database
from memory_api.jobs.handlers import JobHandlers, JobOutcome, Report
from memory_api.jobs.models import Job
from memory_api.jobs.repository import JobRepository
from memory_api.jobs.status import JobStatus
from memory_api.jobs.worker import JobWorker
from memory_api.testing.collections import register_collection
from memory_api.testing.jobs import job_row, queue_job, wait_for_rows

LEASE = timedelta(seconds=30)


async def test_a_claim_not_yet_committed_keeps_other_workers_off_its_collection(
    engines: tuple[Database, Database],
) -> None:
    """Under READ COMMITTED, B sees A's claimed job as pending (and skips it, locked): only
    the collection's lock, taken by A's claim, keeps B from starting the next job of it."""
    a, b = engines
    one = await register_collection(a, "one", model="m", dimension=3)
    two = await register_collection(a, "two", model="m", dimension=3)
    first = await queue_job(a, "probe", one)
    second = await queue_job(a, "probe", one)
    elsewhere = await queue_job(a, "probe", two)

    async with a.unit_of_work() as session_a:
        claimed = await JobRepository(session_a).claim("worker-a", utcnow(), LEASE)
        assert claimed is not None and claimed.id == first
        async with b.unit_of_work() as session_b:
            taken = await JobRepository(session_b).claim("worker-b", utcnow(), LEASE)
            # Not `second`: its collection is being claimed by A. Another collection's job is.
            assert taken is not None and taken.id == elsewhere
    # A's claim committed: `second` still waits, while `first` holds a live lease.
    async with b.unit_of_work() as session_b:
        assert await JobRepository(session_b).claim("worker-b", utcnow(), LEASE) is None

    rows = {job_id: await job_row(a, job_id) for job_id in (first, second, elsewhere)}
    assert (rows[first].status, rows[first].worker_id) == (JobStatus.IN_PROGRESS, "worker-a")
    assert (rows[second].status, rows[second].worker_id) == (JobStatus.PENDING, None)
    assert (rows[elsewhere].status, rows[elsewhere].worker_id) == (
        JobStatus.IN_PROGRESS,
        "worker-b",
    )


async def test_the_next_job_of_a_collection_is_claimed_once_the_running_one_ends(
    engines: tuple[Database, Database],
) -> None:
    a, b = engines
    one = await register_collection(a, "one", model="m", dimension=3)
    first = await queue_job(a, "probe", one)
    second = await queue_job(a, "probe", one)
    async with a.unit_of_work() as session_a:
        claimed = await JobRepository(session_a).claim("worker-a", utcnow(), LEASE)
    assert claimed is not None and claimed.id == first
    async with b.unit_of_work() as session_b:
        assert await JobRepository(session_b).claim("worker-b", utcnow(), LEASE) is None
    async with a.unit_of_work() as session_a:
        await JobRepository(session_a).finish(
            first, "worker-a", status=JobStatus.COMPLETED, details="done", result={}, now=utcnow()
        )
    async with b.unit_of_work() as session_b:
        taken = await JobRepository(session_b).claim("worker-b", utcnow(), LEASE)
    assert taken is not None and (taken.id, taken.worker_id) == (second, "worker-b")


async def test_a_collection_locked_by_a_write_is_skipped_not_waited_for(
    engines: tuple[Database, Database],
) -> None:
    """A claim never queues behind a transaction holding the collection (a batch being
    written): it takes another collection's job, and this one at a later poll."""
    a, b = engines
    one = await register_collection(a, "one", model="m", dimension=3)
    two = await register_collection(a, "two", model="m", dimension=3)
    blocked = await queue_job(a, "probe", one)
    free = await queue_job(a, "probe", two)
    async with a.unit_of_work() as writing:
        await CollectionRepository(writing).lock_for_write(one.id)
        async with b.unit_of_work() as session_b:
            taken = await JobRepository(session_b).claim("worker-b", utcnow(), LEASE)
        assert taken is not None and taken.id == free
    async with b.unit_of_work() as session_b:
        taken = await JobRepository(session_b).claim("worker-b", utcnow(), LEASE)
    assert taken is not None and taken.id == blocked


class Tracker:
    """A handler shared by two workers: records which jobs run at once, held by ``gate``."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.running: dict[str, int | None] = {}
        self.most_at_once: dict[int | None, int] = {}
        self.order: list[str] = []

    async def __call__(self, job: Job, report: Report) -> JobOutcome:
        self.running[job.id] = job.collection_id
        self.order.append(job.id)
        at_once = sum(1 for c in self.running.values() if c == job.collection_id)
        self.most_at_once[job.collection_id] = max(
            at_once, self.most_at_once.get(job.collection_id, 0)
        )
        try:
            await self.gate.wait()
        finally:
            del self.running[job.id]
        return JobOutcome({}, "Tracked")


async def test_two_workers_run_one_job_per_collection_and_collections_side_by_side(
    engines: tuple[Database, Database],
) -> None:
    a, b = engines
    one = await register_collection(a, "one", model="m", dimension=3)
    two = await register_collection(a, "two", model="m", dimension=3)
    jobs_of_one = [await queue_job(a, "track", one) for _ in range(3)]
    job_of_two = await queue_job(a, "track", two)
    tracker = Tracker()
    workers = []
    for database in (a, b):
        handlers = JobHandlers()
        handlers.register("track", tracker)
        workers.append(JobWorker(database, handlers, lease_seconds=30, poll_interval=0.05))
    for worker in workers:
        worker.start()
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while len(tracker.running) < 2:
            assert asyncio.get_running_loop().time() < deadline, tracker.running
            await asyncio.sleep(0.02)
        # The oldest job of `one` and the job of `two` run at once, one per worker.
        assert set(tracker.running) == {jobs_of_one[0], job_of_two}
        tracker.gate.set()
        rows = await wait_for_rows(a, [*jobs_of_one, job_of_two])
    finally:
        for worker in workers:
            await worker.stop()
    assert {row.status for row in rows.values()} == {JobStatus.COMPLETED}
    assert tracker.most_at_once == {one.id: 1, two.id: 1}
    assert [job for job in tracker.order if job in jobs_of_one] == jobs_of_one
