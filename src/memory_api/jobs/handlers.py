"""The registry from a job's kind to the handler that runs it, and what handlers share.

A new kind of background work (uploads, re-embedding, collection deletion) is one call:
``handlers.register("reembed", handler)`` where the worker is built (``memory_api.app``);
the queue, leases, retries, cancellation and status reporting come with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from memory_api.jobs.models import Job

#: ``report(percent, details)``; the worker publishes the latest call at each heartbeat. It
#: may raise ``JobCancelled`` to stop the job, so a handler calls it only where stopping is safe.
Report = Callable[[int, str], None]
#: The width of the ``kind`` column.
KIND_MAX_LENGTH = 32


class JobCancelled(Exception):
    """Raised by a job's ``report`` once its cancellation was asked for, so the run stops at
    its next step; ``result`` is what it did until then, ``details`` says so in a sentence."""

    def __init__(self) -> None:
        super().__init__("cancelled")
        self.result: dict[str, Any] = {"cancelled": True}
        self.details = "Cancelled"


@dataclass(frozen=True)
class JobOutcome:
    """A job that ran to its end: its ``result`` and the sentence its status shows."""

    result: dict[str, Any]
    details: str


class JobHandler(Protocol):
    """Runs one claimed job. It raises to fail the job (a ``MemoryAPIError``'s detail is
    shown as is), ``JobCancelled`` (from ``report``) when the job was cancelled. It may run
    again after a crash, so it must be idempotent."""

    async def __call__(self, job: Job, report: Report) -> JobOutcome: ...


class JobHandlers:
    """Kind -> handler. Built once, before the worker starts; read-only afterwards."""

    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}

    def register(self, kind: str, handler: JobHandler) -> None:
        if not kind or len(kind) > KIND_MAX_LENGTH:
            raise ValueError(f"a job kind has 1 to {KIND_MAX_LENGTH} characters, not {kind!r}")
        if kind in self._handlers:
            raise ValueError(f"a handler for job kind {kind!r} is registered already")
        self._handlers[kind] = handler

    def get(self, kind: str) -> JobHandler | None:
        return self._handlers.get(kind)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted(self._handlers))

    def unknown(self, kind: str) -> str:
        """Why a job of an unregistered ``kind`` fails (queued by a newer version, a typo)."""
        known = ", ".join(self.kinds) or "none"
        return f"Failed: no handler for job kind {kind!r} in this process (it runs: {known})"
