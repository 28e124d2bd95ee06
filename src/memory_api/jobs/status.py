"""The one definition of a job's status (database rows, API bodies, SDK, CLI).

Kept free of SQLAlchemy so the SDK can import it without the server's dependencies.
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    """A job's life: pending, then in_progress, then completed or failed.

    A cancelled job ends as failed, with result {"cancelled": true, ...}: clients written
    against the first API wait for completed or failed, and a new final status would keep
    them waiting forever. (Published in the OpenAPI document.)
    """

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in FINISHED


#: A job in one of these statuses never changes again.
FINISHED = frozenset({JobStatus.COMPLETED, JobStatus.FAILED})
#: Jobs that an identical request joins instead of queueing another one.
ACTIVE = (JobStatus.PENDING, JobStatus.IN_PROGRESS)
