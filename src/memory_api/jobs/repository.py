"""All SQL touching jobs: creation, atomic claiming with a lease, heartbeats, the end,
listing and cancellation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, Table, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.collections.repository import CollectionRepository
from memory_api.jobs.models import Job
from memory_api.jobs.status import ACTIVE, JobStatus

_jobs: Table = Job.__table__  # type: ignore[assignment]

__all__ = ["Beat", "JobRepository"]
# Plain strings for the drivers (values bound to SQL), all from the one enum.
_ACTIVE = [status.value for status in ACTIVE]
_PENDING, _IN_PROGRESS, _FAILED = (
    JobStatus.PENDING.value,
    JobStatus.IN_PROGRESS.value,
    JobStatus.FAILED.value,
)
CANCELLED_RESULT: dict[str, Any] = {"cancelled": True}
# Busy collections one claim steps over before it gives up until the next poll.
MAX_COLLECTIONS_SKIPPED = 50


class Beat(NamedTuple):
    owned: bool  # False: another worker took the job over, or it ended
    cancel_requested: bool


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create_unless_active(self, values: dict[str, Any]) -> bool:
        """Insert the job, unless an active job has its fingerprint (False then).

        The partial unique index decides, so concurrent requests in several processes cannot
        both insert: on PostgreSQL the second insert waits for the first transaction and then
        does nothing; SQLite serialises writers.
        """
        dialect = self.session.get_bind().dialect.name
        insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert_(_jobs).values(**values).on_conflict_do_nothing()
        result = await self.session.execute(statement.returning(_jobs.c.id))
        return result.first() is not None

    async def active_with_fingerprint(self, fingerprint: str) -> Job | None:
        return await self.session.scalar(
            select(Job).where(Job.fingerprint == fingerprint, Job.status.in_(_ACTIVE))
        )

    async def active_of_kind(self, collection_id: int, kind: str) -> Job | None:
        """A pending or running job of ``kind`` on the collection (re-embedding: is one on?)."""
        return await self.session.scalar(
            select(Job)
            .where(Job.collection_id == collection_id, Job.kind == kind, Job.status.in_(_ACTIVE))
            .limit(1)
        )

    async def get(self, tenant: str, job_id: str) -> Job | None:
        job = await self.session.get(Job, job_id, populate_existing=True)
        return job if job is not None and job.tenant == tenant else None

    async def recent(self, tenant: str, status: JobStatus | None, limit: int) -> list[Job]:
        """Newest first."""
        query = (
            select(Job).where(Job.tenant == tenant).order_by(Job.created_at.desc(), Job.id.desc())
        )
        if status is not None:
            query = query.where(Job.status == status.value)
        return list(await self.session.scalars(query.limit(limit)))

    async def cancel_pending(self, tenant: str, job_id: str, now: datetime) -> bool:
        """A job no worker holds ends at once. False if it is not pending (any more)."""
        result = await self.session.execute(
            update(_jobs)
            .where(
                _jobs.c.tenant == tenant,
                _jobs.c.id == job_id,
                _jobs.c.status == _PENDING,
            )
            .values(
                status=_FAILED,
                details="Cancelled before it started",
                result=dict(CANCELLED_RESULT),
                fingerprint=None,
                cancel_requested_at=now,
                finished_at=now,
            )
            .returning(_jobs.c.id)
        )
        return result.first() is not None

    async def request_cancel(self, tenant: str, job_id: str, now: datetime) -> bool:
        """Ask the worker of a running job to stop (it hears of it at its next heartbeat).
        The fingerprint goes at once: a new identical request queues a new job."""
        result = await self.session.execute(
            update(_jobs)
            .where(
                _jobs.c.tenant == tenant,
                _jobs.c.id == job_id,
                _jobs.c.status == _IN_PROGRESS,
            )
            .values(
                fingerprint=None,
                cancel_requested_at=func.coalesce(_jobs.c.cancel_requested_at, now),
            )
            .returning(_jobs.c.id)
        )
        return result.first() is not None

    async def fail_cancelled(self, now: datetime, lease: timedelta) -> int:
        """Cancelled jobs that no live worker will end: handed back at shutdown (pending), or
        whose process died (lease expired). They end here instead of running again."""
        result = await self.session.execute(
            update(_jobs)
            .where(
                _jobs.c.cancel_requested_at.is_not(None),
                or_(
                    _jobs.c.status == _PENDING,
                    and_(
                        _jobs.c.status == _IN_PROGRESS,
                        _jobs.c.heartbeat_at < now - lease,
                    ),
                ),
            )
            .values(
                status=_FAILED,
                details="Cancelled",
                result=dict(CANCELLED_RESULT),
                fingerprint=None,
                finished_at=now,
            )
            .returning(_jobs.c.id)
        )
        return len(result.all())

    async def fail_abandoned(self, now: datetime, lease: timedelta, max_attempts: int) -> int:
        """Jobs whose process died ``max_attempts`` times are failed rather than retried forever."""
        result = await self.session.execute(
            update(_jobs)
            .where(
                _jobs.c.status == _IN_PROGRESS,
                _jobs.c.heartbeat_at < now - lease,
                _jobs.c.attempts >= max_attempts,
            )
            .values(
                status=_FAILED,
                finished_at=now,
                details=(
                    f"Abandoned: the process running this job stopped {max_attempts} times "
                    "before it finished"
                ),
            )
            .returning(_jobs.c.id)
        )
        return len(result.all())

    async def claim(self, worker_id: str, now: datetime, lease: timedelta) -> Job | None:
        """Take the oldest pending job, or one whose lease expired (its process died).

        A collection runs one job at a time, across processes. Under READ COMMITTED another
        worker's claim is invisible until it commits (and its job row is skipped, locked), so
        looking for a running job is not enough: the claim locks the collection's registry row
        (skipping a collection another transaction holds, never waiting), then looks again in
        a fresh statement, which sees every claim committed before the lock was taken.
        """
        collections = CollectionRepository(self.session)
        skipped: set[int] = set()
        for _ in range(MAX_COLLECTIONS_SKIPPED):
            found = (await self.session.execute(self._candidate(now, lease, skipped))).first()
            if found is None:
                return None
            job_id, collection_id = found
            if collection_id is not None and (
                not await collections.lock(collection_id)
                or await self._running_in(collection_id, now, lease)
            ):
                skipped.add(collection_id)
                continue
            return await self._take(job_id, worker_id, now)
        return None

    def _candidate(self, now: datetime, lease: timedelta, skipped: set[int]) -> Select[Any]:
        """The oldest claimable job (row locked; rows other claims hold are skipped) outside
        the ``skipped`` collections and of no collection known to be busy."""
        expired = and_(_jobs.c.status == _IN_PROGRESS, _jobs.c.heartbeat_at < now - lease)
        running = _jobs.alias("running")
        busy_collection = (
            select(running.c.id)
            .where(
                or_(
                    running.c.collection_id == _jobs.c.collection_id,
                    # Jobs queued before the registry know their collection by name only.
                    and_(
                        running.c.tenant == _jobs.c.tenant,
                        running.c.collection == _jobs.c.collection,
                    ),
                ),
                running.c.status == _IN_PROGRESS,
                running.c.heartbeat_at >= now - lease,
            )
            .exists()
        )
        query = select(_jobs.c.id, _jobs.c.collection_id).where(
            or_(_jobs.c.status == _PENDING, expired),
            _jobs.c.cancel_requested_at.is_(None),
            ~busy_collection,
        )
        if skipped:
            query = query.where(
                or_(_jobs.c.collection_id.is_(None), _jobs.c.collection_id.not_in(skipped))
            )
        return query.order_by(_jobs.c.created_at).limit(1).with_for_update(skip_locked=True)

    async def _running_in(self, collection_id: int, now: datetime, lease: timedelta) -> bool:
        """Whether a job of the collection holds a live lease (committed claims only)."""
        found = await self.session.scalar(
            select(_jobs.c.id)
            .where(
                _jobs.c.collection_id == collection_id,
                _jobs.c.status == _IN_PROGRESS,
                _jobs.c.heartbeat_at >= now - lease,
            )
            .limit(1)
        )
        return found is not None

    async def _take(self, job_id: str, worker_id: str, now: datetime) -> Job | None:
        await self.session.execute(
            update(_jobs)
            .where(_jobs.c.id == job_id)
            .values(
                status=_IN_PROGRESS,
                worker_id=worker_id,
                attempts=_jobs.c.attempts + 1,
                started_at=func.coalesce(_jobs.c.started_at, now),
                heartbeat_at=now,
            )
        )
        job = await self.session.get(Job, job_id, populate_existing=True)
        return job

    async def heartbeat(
        self, job_id: str, worker_id: str, progress: int, details: str, now: datetime
    ) -> Beat:
        """Renew the lease and publish progress; tells whether the job was cancelled."""
        result = await self.session.execute(
            update(_jobs)
            .where(
                _jobs.c.id == job_id,
                _jobs.c.worker_id == worker_id,
                _jobs.c.status == _IN_PROGRESS,
            )
            .values(progress=progress, details=details, heartbeat_at=now)
            .returning(_jobs.c.cancel_requested_at)
        )
        row = result.first()
        return Beat(owned=row is not None, cancel_requested=row is not None and row[0] is not None)

    async def finish(
        self,
        job_id: str,
        worker_id: str,
        *,
        status: JobStatus,
        details: str,
        result: dict[str, Any] | None,
        now: datetime,
    ) -> bool:
        """Record the end of a job this worker still owns. False (nothing written) when it
        does not: another worker took it over, or it ended meanwhile (cancelled or abandoned
        after its lease expired)."""
        values: dict[str, Any] = {"status": status.value, "details": details, "result": result}
        values["finished_at"] = now
        if status is JobStatus.COMPLETED:
            values["progress"] = 100
        ended = await self.session.execute(
            update(_jobs)
            .where(
                _jobs.c.id == job_id, _jobs.c.worker_id == worker_id, _jobs.c.status == _IN_PROGRESS
            )
            .values(**values)
            .returning(_jobs.c.id)
        )
        return ended.first() is not None

    async def release(self, job_id: str, worker_id: str) -> None:
        """Hand a job back (graceful shutdown) so another process resumes it at once."""
        await self.session.execute(
            update(_jobs)
            .where(
                _jobs.c.id == job_id,
                _jobs.c.worker_id == worker_id,
                _jobs.c.status == _IN_PROGRESS,
            )
            .values(
                status=_PENDING,
                worker_id=None,
                heartbeat_at=None,
                details="Interrupted; will resume",
            )
        )

    async def counts_by_status(self, tenant: str | None = None) -> dict[str, int]:
        """Jobs by status, of one tenant or (None: for metrics) of all."""
        query = select(_jobs.c.status, func.count()).group_by(_jobs.c.status)
        if tenant is not None:
            query = query.where(_jobs.c.tenant == tenant)
        rows = await self.session.execute(query)
        counts = {status.value: 0 for status in JobStatus}
        counts.update({status: int(count) for status, count in rows})
        return counts
