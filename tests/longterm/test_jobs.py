"""Jobs are rows: durable across restarts, taken up again after a crash, never stuck."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import update

from memory_api.app import create_app
from memory_api.db.columns import utcnow
from memory_api.jobs.models import Job
from memory_api.jobs.status import JobStatus
from memory_api.jobs.worker import MAX_ATTEMPTS
from memory_api.settings import Settings
from memory_api.testing.database import clear_tables
from memory_api.testing.jobs import wait_for_job


@pytest.fixture
def lt_overrides() -> dict[str, Any]:
    return {"job_lease_seconds": 1.0}


async def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_job_queued_without_worker_runs_after_restart(
    lt_settings: Settings, docs: Path
) -> None:
    (docs / "a.md").write_text("Notes about volcanoes and lava.")
    queued = create_app(lt_settings, run_worker=False)
    async with LifespanManager(queued, startup_timeout=120):
        await clear_tables(queued.state.components.database.engine)
        async with await _client(queued) as client:
            response = await client.post("/index_files", json={"directory": str(docs)})
            status_url = response.json()["status_url"]
            await asyncio.sleep(0.5)
            assert (await client.get(status_url)).json()["status"] == JobStatus.PENDING

    restarted = create_app(lt_settings)
    async with LifespanManager(restarted, startup_timeout=120):
        async with await _client(restarted) as client:
            job = await wait_for_job(client, status_url)
    assert job["status"] == JobStatus.COMPLETED
    assert job["result"]["indexed"] == 1


async def _stale_job(app: Any, docs: Path, attempts: int) -> str:
    async with await _client(app) as client:
        response = await client.post("/index_files", json={"directory": str(docs)})
    task_id: str = response.json()["task_id"]
    async with app.state.components.database.unit_of_work() as session:
        await session.execute(
            update(Job)
            .where(Job.id == task_id)
            .values(
                status=JobStatus.IN_PROGRESS.value,
                attempts=attempts,
                worker_id="dead-host:1:x",
                heartbeat_at=utcnow() - timedelta(minutes=5),
            )
        )
    return task_id


async def test_job_of_a_dead_process_is_taken_up_again(lt_settings: Settings, docs: Path) -> None:
    (docs / "a.md").write_text("Notes about glaciers.")
    queued = create_app(lt_settings, run_worker=False)
    async with LifespanManager(queued, startup_timeout=120):
        await clear_tables(queued.state.components.database.engine)
        task_id = await _stale_job(queued, docs, attempts=1)
    app = create_app(lt_settings)
    async with LifespanManager(app, startup_timeout=120), await _client(app) as client:
        job = await wait_for_job(client, f"/index_status/{task_id}")
    assert job["status"] == JobStatus.COMPLETED, job


async def test_job_abandoned_too_often_fails_with_reason(lt_settings: Settings, docs: Path) -> None:
    queued = create_app(lt_settings, run_worker=False)
    async with LifespanManager(queued, startup_timeout=120):
        await clear_tables(queued.state.components.database.engine)
        task_id = await _stale_job(queued, docs, attempts=MAX_ATTEMPTS)
    app = create_app(lt_settings)
    async with LifespanManager(app, startup_timeout=120), await _client(app) as client:
        job = await wait_for_job(client, f"/index_status/{task_id}")
    assert job["status"] == JobStatus.FAILED
    assert "Abandoned" in job["details"]


@pytest.mark.slow
async def test_requests_are_served_while_a_job_embeds(
    lt_client: httpx.AsyncClient, docs: Path
) -> None:
    for i in range(40):
        (docs / f"doc{i}.txt").write_text(f"Document {i}. " + "lorem ipsum dolor sit amet " * 150)
    response = await lt_client.post("/index_files", json={"directory": str(docs)})
    status_url = response.json()["status_url"]
    deadline = asyncio.get_running_loop().time() + 120
    while (await lt_client.get(status_url)).json()["status"] == JobStatus.PENDING:
        assert asyncio.get_running_loop().time() < deadline, "the job never started"
        await asyncio.sleep(0.05)
    served = 0
    while (await lt_client.get(status_url)).json()["status"] == JobStatus.IN_PROGRESS:
        assert asyncio.get_running_loop().time() < deadline, "the job never ended"
        assert (
            await lt_client.post("/state/x", json={"state_data": {"n": served}})
        ).status_code == 201
        served += 1
        await asyncio.sleep(0.05)
    job = await wait_for_job(lt_client, status_url)
    assert job["status"] == JobStatus.COMPLETED
    assert served >= 3, "state requests were not served while the job ran"
