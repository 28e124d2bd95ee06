"""The kind -> handler registry: the worker runs every job with its kind's handler, and a job
of a kind nobody registered fails at once with its reason instead of crashing the worker or
being retried forever."""

from __future__ import annotations

import pytest

from memory_api.collections.repository import CollectionRecord
from memory_api.db.session import Database
from memory_api.jobs.handlers import JobHandlers
from memory_api.jobs.status import JobStatus
from memory_api.jobs.worker import JobWorker
from memory_api.testing.jobs import queue_job, wait_for_rows

from .conftest import Probe


def test_register_refuses_a_second_handler_and_bad_kinds() -> None:
    handlers = JobHandlers()
    probe = Probe()
    handlers.register("probe", probe)
    assert handlers.get("probe") is probe
    assert handlers.get("other") is None
    assert handlers.kinds == ("probe",)
    with pytest.raises(ValueError, match="'probe' is registered already"):
        handlers.register("probe", Probe())
    for kind in ("", "k" * 33):
        with pytest.raises(ValueError, match="1 to 32 characters"):
            handlers.register(kind, Probe())
    assert handlers.get("probe") is probe


async def test_each_kind_runs_with_its_handler(
    database: Database, collection: CollectionRecord
) -> None:
    first, second = Probe(), Probe()
    handlers = JobHandlers()
    handlers.register("first", first)
    handlers.register("second", second)
    one = await queue_job(database, "first", collection, {"x": 1})
    two = await queue_job(database, "second", collection, {"x": 2})
    worker = JobWorker(database, handlers, lease_seconds=5, poll_interval=0.05)
    worker.start()
    try:
        rows = await wait_for_rows(database, [one, two])
    finally:
        await worker.stop()
    assert (first.ran, second.ran) == ([one], [two])
    for job_id, params in ((one, {"x": 1}), (two, {"x": 2})):
        row = rows[job_id]
        assert (row.status, row.details, row.result) == (
            JobStatus.COMPLETED,
            "Probed",
            {"params": params},
        )
        assert (row.progress, row.attempts, row.worker_id) == (100, 1, worker.worker_id)


async def test_unknown_kind_fails_once_with_its_reason_and_the_worker_goes_on(
    database: Database, collection: CollectionRecord
) -> None:
    probe = Probe()
    handlers = JobHandlers()
    handlers.register("probe", probe)
    mystery = await queue_job(database, "mystery", collection)
    after = await queue_job(database, "probe", collection)
    worker = JobWorker(database, handlers, lease_seconds=5, poll_interval=0.05)
    worker.start()
    try:
        rows = await wait_for_rows(database, [mystery, after])
    finally:
        await worker.stop()
    failed = rows[mystery]
    assert failed.status == JobStatus.FAILED
    assert failed.details == (
        "Failed: no handler for job kind 'mystery' in this process (it runs: probe)"
    )
    # Claimed once and ended: not handed back, not retried, no result.
    assert (failed.attempts, failed.result, failed.worker_id) == (1, None, worker.worker_id)
    assert failed.finished_at is not None
    # The worker went on to the next job.
    assert rows[after].status == JobStatus.COMPLETED
    assert probe.ran == [after]
