"""Jobs in tests: wait for one through the HTTP API; queue and watch rows directly."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from memory_api.collections.repository import CollectionRecord
from memory_api.db.columns import utcnow
from memory_api.db.session import Database
from memory_api.jobs.models import Job
from memory_api.jobs.repository import JobRepository
from memory_api.jobs.status import FINISHED, JobStatus


async def wait_for_job(
    client: httpx.AsyncClient, status_url: str, limit_seconds: float = 180
) -> dict[str, Any]:
    """Poll ``status_url`` until the job is completed or failed; fail loudly if it is stuck."""
    deadline = asyncio.get_running_loop().time() + limit_seconds
    while True:
        response = await client.get(status_url)
        body: dict[str, Any] = response.json()
        assert "status" in body, f"{status_url} -> {response.status_code}: {body}"
        if body["status"] in FINISHED:
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"job still {body['status']} after {limit_seconds}s: {body}")
        await asyncio.sleep(0.1)


def wait_for_job_sync(
    client: httpx.Client, status_url: str, limit_seconds: float = 180
) -> dict[str, Any]:
    """``wait_for_job`` for a blocking client (benchmarks, subprocess tests)."""
    deadline = time.monotonic() + limit_seconds
    while True:
        body: dict[str, Any] = client.get(status_url).json()
        if body["status"] in FINISHED:
            return body
        if time.monotonic() > deadline:
            raise TimeoutError(f"job still {body['status']} after {limit_seconds}s: {body}")
        time.sleep(0.2)


async def queue_job(
    database: Database,
    kind: str,
    collection: CollectionRecord,
    params: dict[str, Any] | None = None,
) -> str:
    """A pending job of ``kind`` on ``collection``, queued as a service would (no worker is
    told: one polling finds it)."""
    job_id = str(uuid.uuid4())
    async with database.unit_of_work() as session:
        created = await JobRepository(session).create_unless_active(
            {
                "id": job_id,
                "tenant": collection.tenant,
                "kind": kind,
                "collection": collection.name,
                "collection_id": collection.id,
                "status": JobStatus.PENDING.value,
                "params": params or {},
                "details": "Waiting for a worker",
                "created_at": utcnow(),
            }
        )
    assert created
    return job_id


async def job_row(database: Database, job_id: str) -> Job:
    async with database.reading() as session:
        job = await session.get(Job, job_id, populate_existing=True)
    assert job is not None, f"no job {job_id}"
    return job


async def wait_for_rows(
    database: Database, job_ids: list[str], limit_seconds: float = 60
) -> dict[str, Job]:
    """Poll the jobs' rows until every one is finished; fail loudly if one is stuck."""
    deadline = asyncio.get_running_loop().time() + limit_seconds
    while True:
        rows = {job_id: await job_row(database, job_id) for job_id in job_ids}
        if all(JobStatus(row.status).finished for row in rows.values()):
            return rows
        if asyncio.get_running_loop().time() > deadline:
            states = {job_id: (row.status, row.details) for job_id, row in rows.items()}
            raise TimeoutError(f"jobs not finished after {limit_seconds}s: {states}")
        await asyncio.sleep(0.05)
