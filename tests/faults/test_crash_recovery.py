"""kill -9 of the server: jobs never stay stuck, indexing converges, 201s are durable."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Collection
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from memory_api.jobs.models import Job
from memory_api.jobs.status import FINISHED, JobStatus
from memory_api.testing.corpus import write_corpus
from memory_api.testing.server import ServerProcess, cli_path

pytestmark = pytest.mark.slow


def wait_status(
    server: ServerProcess, task_id: str, until: Collection[str], seconds: float = 240
) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        body = httpx.get(f"{server.url}/index_status/{task_id}", timeout=10).json()
        if body["status"] in until:
            return body
        assert time.monotonic() < deadline, f"job stuck: {body}"
        time.sleep(0.2)


def job_row(server: ServerProcess, task_id: str) -> tuple[str, int]:
    """(status, attempts) of the job's row, read from the server's SQLite file."""
    engine = create_engine(f"sqlite:///{Path(server.env['MEMORY_API_DATA_DIR']) / 'memory.db'}")
    try:
        with engine.connect() as connection:
            row = connection.execute(
                select(Job.status, Job.attempts).where(Job.id == task_id)
            ).one()
    finally:
        engine.dispose()
    return row.status, row.attempts


@pytest.mark.timeout(900)  # two jobs (240 s deadline each), restarts, then `check`
def test_kill_during_indexing_then_restart_converges(
    server_factory: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    write_corpus(docs, files=40)
    server = server_factory(MEMORY_API_JOB_LEASE_SECONDS="2")
    server.start()
    response = httpx.post(f"{server.url}/index_files", json={"directory": str(docs)}, timeout=30)
    task_id = response.json()["task_id"]
    deadline = time.monotonic() + 120
    while httpx.get(f"{server.url}/rag_stats", timeout=10).json()["chunks"] == 0:
        assert time.monotonic() < deadline, "nothing was indexed before the kill"
        time.sleep(0.1)
    server.kill()  # SIGKILL mid-job: no shutdown hook runs
    # The job was running when the process died, in its first attempt.
    assert job_row(server, task_id) == (JobStatus.IN_PROGRESS, 1)

    server.start()
    final = wait_status(server, task_id, FINISHED)
    # Taken up again once its lease expired, and finished by that second attempt.
    assert final["status"] == JobStatus.COMPLETED, final
    assert final["result"]["files_seen"] == 40 and final["result"]["failed"] == 0, final
    assert job_row(server, task_id) == (JobStatus.COMPLETED, 2)

    again = httpx.post(f"{server.url}/index_files", json={"directory": str(docs)}, timeout=30)
    converged = wait_status(server, again.json()["task_id"], FINISHED)
    assert converged["status"] == JobStatus.COMPLETED, converged
    # The recovered job left every file indexed: the next run finds all 40 unchanged.
    assert converged["result"]["failed"] == 0, converged["result"]
    assert (converged["result"]["indexed"], converged["result"]["skipped"]) == (0, 40)
    stats = httpx.get(f"{server.url}/rag_stats", timeout=10).json()
    assert stats["documents"] == 40
    assert stats["chunks"] == stats["vectors"]
    server.stop()

    # The database and Chroma agree exactly: same ids, no orphans, no duplicates.
    check = subprocess.run(
        [cli_path(), "check"], env=server.env, capture_output=True, text=True, timeout=300
    )
    report = json.loads(check.stdout)
    assert check.returncode == 0, check.stdout + check.stderr
    assert report["consistent"] is True
    assert report["chunks"] == report["vectors"] == stats["chunks"]


def test_acknowledged_state_write_survives_kill(
    server_factory: Callable[..., ServerProcess],
) -> None:
    server = server_factory()
    server.start()
    for i in range(20):
        response = httpx.post(f"{server.url}/state/durable-{i}", json={"state_data": {"i": i}})
        assert response.status_code == 201
    server.kill()
    server.start()
    for i in range(20):
        body = httpx.get(f"{server.url}/state/durable-{i}").json()
        assert body["state_data"] == {"i": i}
