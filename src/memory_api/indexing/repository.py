"""All SQL touching indexing jobs: creation, atomic claiming with a lease, heartbeats."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.indexing.models import IndexJob

_jobs: Table = IndexJob.__table__  # type: ignore[assignment]

PENDING, IN_PROGRESS, COMPLETED, FAILED = "pending", "in_progress", "completed", "failed"
STATUSES = (PENDING, IN_PROGRESS, COMPLETED, FAILED)


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, job: IndexJob) -> None:
        self.session.add(job)
        await self.session.flush()

    async def get(self, job_id: str) -> IndexJob | None:
        return await self.session.get(IndexJob, job_id)

    async def fail_abandoned(self, now: datetime, lease: timedelta, max_attempts: int) -> int:
        """Jobs whose process died ``max_attempts`` times are failed rather than retried forever."""
        result = await self.session.execute(
            update(_jobs)
            .where(
                _jobs.c.status == IN_PROGRESS,
                _jobs.c.heartbeat_at < now - lease,
                _jobs.c.attempts >= max_attempts,
            )
            .values(
                status=FAILED,
                finished_at=now,
                details=(
                    f"Abandoned: the process running this job stopped {max_attempts} times "
                    "before it finished"
                ),
            )
            .returning(_jobs.c.id)
        )
        return len(result.all())

    async def claim(self, worker_id: str, now: datetime, lease: timedelta) -> IndexJob | None:
        """Take the oldest pending job, or one whose lease expired (its process died).

        A collection is indexed by one job at a time: a job waits while another job of its
        collection holds a live lease.
        """
        expired = and_(_jobs.c.status == IN_PROGRESS, _jobs.c.heartbeat_at < now - lease)
        running = _jobs.alias("running")
        busy_collection = (
            select(running.c.id)
            .where(
                running.c.collection == _jobs.c.collection,
                running.c.status == IN_PROGRESS,
                running.c.heartbeat_at >= now - lease,
            )
            .exists()
        )
        candidate = (
            select(_jobs.c.id)
            .where(or_(_jobs.c.status == PENDING, expired), ~busy_collection)
            .order_by(_jobs.c.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        job_id = await self.session.scalar(candidate)
        if job_id is None:
            return None
        await self.session.execute(
            update(_jobs)
            .where(_jobs.c.id == job_id)
            .values(
                status=IN_PROGRESS,
                worker_id=worker_id,
                attempts=_jobs.c.attempts + 1,
                started_at=func.coalesce(_jobs.c.started_at, now),
                heartbeat_at=now,
            )
        )
        job = await self.session.get(IndexJob, job_id, populate_existing=True)
        return job

    async def heartbeat(
        self, job_id: str, worker_id: str, progress: int, details: str, now: datetime
    ) -> bool:
        """Renew the lease; False when another worker took the job over."""
        result = await self.session.execute(
            update(_jobs)
            .where(
                _jobs.c.id == job_id, _jobs.c.worker_id == worker_id, _jobs.c.status == IN_PROGRESS
            )
            .values(progress=progress, details=details, heartbeat_at=now)
            .returning(_jobs.c.id)
        )
        return result.first() is not None

    async def finish(
        self,
        job_id: str,
        worker_id: str,
        *,
        status: str,
        details: str,
        result: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        values: dict[str, Any] = {"status": status, "details": details, "result": result}
        values["finished_at"] = now
        if status == COMPLETED:
            values["progress"] = 100
        await self.session.execute(
            update(_jobs)
            .where(_jobs.c.id == job_id, _jobs.c.worker_id == worker_id)
            .values(**values)
        )

    async def release(self, job_id: str, worker_id: str) -> None:
        """Hand a job back (graceful shutdown) so another process resumes it at once."""
        await self.session.execute(
            update(_jobs)
            .where(
                _jobs.c.id == job_id, _jobs.c.worker_id == worker_id, _jobs.c.status == IN_PROGRESS
            )
            .values(
                status=PENDING,
                worker_id=None,
                heartbeat_at=None,
                details="Interrupted; will resume",
            )
        )

    async def counts_by_status(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(_jobs.c.status, func.count()).group_by(_jobs.c.status)
        )
        counts = dict.fromkeys(STATUSES, 0)
        counts.update({status: int(count) for status, count in rows})
        return counts
