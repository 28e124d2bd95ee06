"""The background worker: claims job rows of any kind, runs each with the handler registered
for its kind, keeps their lease alive.

Every API process runs one (started in the lifespan). A job whose process dies keeps a stale
heartbeat; after ``job_lease_seconds`` any worker takes it up again, and after
``MAX_ATTEMPTS`` such deaths it is failed with a clear reason, so no job stays in progress.
A worker that was only stalled learns at its next heartbeat that it lost the lease, and
stops: the job has one writer at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Any

from memory_api.db.columns import utcnow
from memory_api.db.session import Database
from memory_api.errors import MemoryAPIError
from memory_api.jobs.handlers import JobCancelled, JobHandler, JobHandlers, JobOutcome
from memory_api.jobs.models import Job
from memory_api.jobs.repository import JobRepository
from memory_api.jobs.status import JobStatus

logger = logging.getLogger("memory_api.worker")

MAX_ATTEMPTS = 3


class JobWorker:
    """Claims one job at a time, of any kind, and runs it with its kind's handler."""

    def __init__(
        self,
        database: Database,
        handlers: JobHandlers,
        *,
        lease_seconds: float,
        poll_interval: float,
    ) -> None:
        self.database = database
        self.handlers = handlers
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_interval = poll_interval
        # Twice a second, so live progress reaches clients within about half a second; and
        # several beats per lease.
        self.heartbeat_interval = min(0.5, lease_seconds / 6)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="memory-api-job-worker")

    def notify(self) -> None:
        """A job was just created in this process: look now instead of at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        failures = 0
        while True:
            try:
                job = await self._claim()
                failures = 0
            except Exception as error:  # database down: back off, never die
                failures += 1
                logger.warning("job worker cannot claim jobs: %s", error)
                await asyncio.sleep(min(30.0, self.poll_interval * 2**failures))
                continue
            if job is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                self._wake.clear()
                continue
            await self._execute(job)

    async def _claim(self) -> Job | None:
        async with self.database.unit_of_work() as session:
            jobs = JobRepository(session)
            now = utcnow()
            await jobs.fail_cancelled(now, self.lease)
            await jobs.fail_abandoned(now, self.lease, MAX_ATTEMPTS)
            return await jobs.claim(self.worker_id, now, self.lease)

    async def _execute(self, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        if handler is None:
            # Failed at once, never retried: no attempt of this process could run it.
            logger.error("job %s: no handler for its kind %r", job.id, job.kind)
            await self._record_end(job.id, JobStatus.FAILED, self.handlers.unknown(job.kind), None)
            return
        await self._run(job, handler)

    async def _run(self, job: Job, handler: JobHandler) -> None:
        # "lost": the lease went to another worker (or the job ended without us): stop, and
        # write nothing more about the job; its new owner does.
        progress: dict[str, Any] = {"progress": job.progress, "details": "Started"}

        def report(value: int, details: str) -> None:
            # Called by the handler at each step, from threads too: a cancel (or the loss of
            # the lease) heard at the last heartbeat stops the job here, where that is safe.
            if progress.get("cancel") or progress.get("lost"):
                raise JobCancelled
            progress.update(progress=value, details=details)

        logger.info("job %s (%s) started (attempt %d)", job.id, job.kind, job.attempts)
        run = asyncio.create_task(handler(job, report), name=f"memory-api-job-{job.id}")
        heartbeat = asyncio.create_task(self._heartbeat(job.id, progress, run))
        end: tuple[JobStatus, str, dict[str, Any] | None]
        try:
            outcome: JobOutcome = await run
        except asyncio.CancelledError:
            await _stop(heartbeat)
            if progress.get("lost") and not _being_cancelled():
                self._log_lost(job.id)
                return
            # Shutdown: hand the job back so another process resumes it at once.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._release(job.id))
            raise
        except JobCancelled as cancelled:
            end = (JobStatus.FAILED, cancelled.details, cancelled.result)
        except MemoryAPIError as error:
            end = (JobStatus.FAILED, f"Failed: {error.detail}", None)
        except Exception as error:
            logger.exception("job %s crashed", job.id)
            end = (JobStatus.FAILED, f"Failed: {type(error).__name__}: {error}", None)
        else:
            end = (JobStatus.COMPLETED, outcome.details, outcome.result)
        await _stop(heartbeat)
        if progress.get("lost"):
            self._log_lost(job.id)
            return
        await self._record_end(job.id, *end)

    async def _heartbeat(
        self, job_id: str, progress: dict[str, Any], run: asyncio.Task[JobOutcome]
    ) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            try:
                async with self.database.unit_of_work() as session:
                    beat = await JobRepository(session).heartbeat(
                        job_id, self.worker_id, progress["progress"], progress["details"], utcnow()
                    )
            except Exception as error:  # database unreachable: keep trying while the run goes on
                logger.warning("heartbeat of job %s failed: %s", job_id, error)
                continue
            if not beat.owned:
                progress["lost"] = True
                run.cancel()  # stops at its next step; a batch being written is finished first
                return
            if beat.cancel_requested and not progress.get("cancel"):
                progress.update(cancel=True, details="Cancelling: stopping at the next step")
                logger.info("job %s: cancel requested", job_id)

    def _log_lost(self, job_id: str) -> None:
        logger.warning(
            "job %s: this worker lost its lease (another worker took the job over, or it "
            "ended meanwhile); the run stopped and its end is left to the job's owner",
            job_id,
        )

    async def _record_end(
        self, job_id: str, status: JobStatus, details: str, result: dict[str, Any] | None
    ) -> None:
        for attempt in range(5):
            try:
                async with self.database.unit_of_work() as session:
                    recorded = await JobRepository(session).finish(
                        job_id,
                        self.worker_id,
                        status=status,
                        details=details,
                        result=result,
                        now=utcnow(),
                    )
                if recorded:
                    logger.info("job %s %s: %s", job_id, status, details)
                else:
                    self._log_lost(job_id)
                return
            except Exception as error:
                logger.warning("cannot record the end of job %s: %s", job_id, error)
                await asyncio.sleep(min(10.0, 0.5 * 2**attempt))
        # The lease will expire and another attempt will run the (idempotent) job again.

    async def _release(self, job_id: str) -> None:
        async with self.database.unit_of_work() as session:
            await JobRepository(session).release(job_id, self.worker_id)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _being_cancelled() -> bool:
    """Whether the running task itself is being cancelled (shutdown), as opposed to having
    seen a task it awaited cancelled (the heartbeat stopped the run: lease lost)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
