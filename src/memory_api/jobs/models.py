"""Jobs are rows: they survive restarts and every API process sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from memory_api.db.base import Base
from memory_api.db.columns import DEFAULT_TENANT_SQL, TENANT_MAX_LENGTH
from memory_api.jobs.status import ACTIVE

# The partial index's predicate (also written, as text, by migration 0003).
ACTIVE_JOB = text("status IN (" + ", ".join(f"'{status.value}'" for status in ACTIVE) + ")")


class Job(Base):
    """A unit of background work of some ``kind`` on one collection; the worker runs it with
    the handler registered for its kind. ``heartbeat_at`` is the lease: a running job whose
    heartbeat is older than the lease belongs to a dead process and may be taken up again.

    ``fingerprint`` identifies the request (for indexing: collection, directory, extensions,
    force); it is unique among active jobs, so identical requests racing in several processes
    make one job. A cancelled job drops it at once, so a new request is not folded into a job
    that stops."""

    # The table keeps the name it had when indexing was the only kind of job.
    __tablename__ = "index_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(
        String(TENANT_MAX_LENGTH), server_default=DEFAULT_TENANT_SQL
    )
    kind: Mapped[str] = mapped_column(String(32))
    collection: Mapped[str] = mapped_column(String(63))
    # The registry row the job works on (NULL for jobs queued before the registry).
    collection_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16))  # a JobStatus value
    params: Mapped[dict[str, Any]]
    progress: Mapped[int] = mapped_column(default=0)
    details: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None]
    attempts: Mapped[int] = mapped_column(default=0)
    worker_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    cancel_requested_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_index_jobs_status_created_at", "status", "created_at"),
        Index("ix_index_jobs_created_at", "created_at"),
        Index("ix_index_jobs_tenant_created_at", "tenant", "created_at"),
        Index(
            "uq_index_jobs_active_fingerprint",
            "fingerprint",
            unique=True,
            sqlite_where=ACTIVE_JOB,
            postgresql_where=ACTIVE_JOB,
        ),
    )
