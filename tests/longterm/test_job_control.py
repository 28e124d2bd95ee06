"""Job control: identical requests share one job, recent jobs are listed, jobs can be cancelled."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from memory_api.app import create_app
from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.documents.consistency import check
from memory_api.jobs.status import ACTIVE, JobStatus
from memory_api.settings import Settings
from memory_api.testing.database import clear_tables
from memory_api.testing.jobs import wait_for_job


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.fixture
async def queued(lt_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An API process without a worker: its jobs stay pending."""
    app = create_app(lt_settings, run_worker=False)
    async with LifespanManager(app, startup_timeout=120):
        await clear_tables(app.state.components.database.engine)
        async with _client(app) as client:
            yield client


def _write_corpus(docs: Path, files: int) -> None:
    for i in range(files):
        (docs / f"doc{i:03}.txt").write_text(
            "\n\n".join(
                f"Document {i}, part {p}: lorem ipsum dolor sit amet " * 20 for p in range(8)
            )
        )


async def _wait_in_progress(client: httpx.AsyncClient, status_url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        job: dict[str, Any] = (await client.get(status_url)).json()
        if job["status"] == JobStatus.IN_PROGRESS and "chunks embedded" in job["details"]:
            return job
        assert job["status"] in ACTIVE, job
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.05)


async def test_identical_requests_share_the_pending_job(
    queued: httpx.AsyncClient, docs: Path
) -> None:
    body = {"directory": str(docs), "file_extensions": [".md"], "force_reindex": True}
    answers = [await queued.post("/index_files", json=body) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert len({a.json()["task_id"] for a in answers}) == 1
    assert answers[0].json()["message"] == "File indexing process has been started."
    assert "already" in answers[1].json()["message"]
    assert answers[1].json()["status_url"] == answers[0].json()["status_url"]
    # Same folder and extensions written differently: the same request.
    same = await queued.post(
        "/index_files",
        json={"directory": f"{docs}/.", "file_extensions": ["MD"], "force_reindex": True},
    )
    assert same.json()["task_id"] == answers[0].json()["task_id"]
    defaults = await queued.post("/index_files", json={"directory": str(docs)})
    explicit = {"directory": str(docs), "file_extensions": ["txt", "py", ".md"]}
    same_as_defaults = await queued.post("/index_files", json=explicit)
    assert same_as_defaults.json()["task_id"] == defaults.json()["task_id"]
    other = await queued.post("/index_files", json={**body, "force_reindex": False})
    assert other.status_code == 202 and other.json()["task_id"] != answers[0].json()["task_id"]
    assert (await queued.get("/rag_stats")).json()["jobs"]["pending"] == 3


async def test_concurrent_identical_requests_from_two_processes_make_one_job(
    lt_settings: Settings, docs: Path
) -> None:
    """Two API processes (two apps, two connection pools) racing: one job, never two."""
    first = create_app(lt_settings, run_worker=False)
    second = create_app(lt_settings, run_worker=False)
    async with LifespanManager(first, startup_timeout=120), LifespanManager(second):
        await clear_tables(first.state.components.database.engine)
        async with _client(first) as one, _client(second) as two:
            body = {"directory": str(docs), "force_reindex": True}
            answers = await asyncio.gather(
                *(client.post("/index_files", json=body) for client in [one, two] * 8)
            )
            assert {a.status_code for a in answers} == {202}
            assert len({a.json()["task_id"] for a in answers}) == 1
            assert (await one.get("/rag_stats")).json()["jobs"]["pending"] == 1


async def test_identical_request_while_running_returns_it_then_a_new_one_after(
    lt_client: httpx.AsyncClient, docs: Path
) -> None:
    _write_corpus(docs, files=12)
    body = {"directory": str(docs), "force_reindex": True}
    started = (await lt_client.post("/index_files", json=body)).json()
    await _wait_in_progress(lt_client, started["status_url"])
    again = await lt_client.post("/index_files", json=body)
    assert again.status_code == 202 and again.json()["task_id"] == started["task_id"]
    assert (await wait_for_job(lt_client, started["status_url"]))["status"] == JobStatus.COMPLETED
    after = await lt_client.post("/index_files", json=body)
    assert after.status_code == 202 and after.json()["task_id"] != started["task_id"]
    assert (await wait_for_job(lt_client, after.json()["status_url"]))[
        "status"
    ] == JobStatus.COMPLETED


async def test_recent_jobs_listed_newest_first_and_filtered(
    queued: httpx.AsyncClient, docs: Path
) -> None:
    (docs / "sub").mkdir()
    ids = []
    for directory in (docs, docs / "sub"):
        answer = await queued.post("/index_files", json={"directory": str(directory)})
        ids.append(answer.json()["task_id"])
    cancelled = await queued.post(f"/index_status/{ids[0]}/cancel")
    assert cancelled.status_code == 200, cancelled.text

    listed = await queued.get("/index_jobs")
    assert listed.status_code == 200
    jobs = listed.json()
    assert [job["task_id"] for job in jobs] == ids[::-1]
    newest = jobs[0]
    assert newest["status"] == JobStatus.PENDING and newest["directory"] == str(docs / "sub")
    assert newest["file_extensions"] == [".md", ".py", ".txt"]
    assert newest["force_reindex"] is False and newest["cancel_requested"] is False
    assert newest["status_url"] == f"/index_status/{ids[1]}"
    assert newest["created_at"].endswith("Z") or newest["created_at"].endswith("+00:00")
    assert jobs[1]["status"] == JobStatus.FAILED and jobs[1]["cancel_requested"] is True

    pending = (await queued.get("/index_jobs", params={"status": "pending"})).json()
    assert [job["task_id"] for job in pending] == ids[1:]
    limited = (await queued.get("/index_jobs", params={"limit": 1})).json()
    assert [job["task_id"] for job in limited] == ids[1:]
    for params in ({"status": "cancelled"}, {"limit": 0}, {"limit": 1001}):
        assert (await queued.get("/index_jobs", params=params)).status_code == 422, params


async def test_cancel_a_pending_job(
    queued: httpx.AsyncClient, lt_settings: Settings, docs: Path
) -> None:
    (docs / "a.md").write_text("Notes about volcanoes and lava.")
    started = (await queued.post("/index_files", json={"directory": str(docs)})).json()
    answer = await queued.post(f"/index_status/{started['task_id']}/cancel")
    assert answer.status_code == 200, answer.text
    job = answer.json()
    assert job["status"] == JobStatus.FAILED
    assert job["details"] == "Cancelled before it started"
    assert job["result"] == {"cancelled": True}
    assert (await queued.get(started["status_url"])).json() == job
    again = await queued.post(f"/index_status/{started['task_id']}/cancel")
    assert again.status_code == 409 and "already failed" in again.json()["detail"]
    # A cancelled job no longer absorbs identical requests.
    fresh = await queued.post("/index_files", json={"directory": str(docs)})
    assert fresh.json()["task_id"] != started["task_id"]
    missing = await queued.post("/index_status/no-such-job/cancel")
    assert missing.status_code == 404 and "no-such-job" in missing.json()["detail"]

    # A worker starting later runs the fresh job, never the cancelled one.
    app = create_app(lt_settings)
    async with LifespanManager(app, startup_timeout=120), _client(app) as client:
        assert (await wait_for_job(client, fresh.json()["status_url"]))[
            "status"
        ] == JobStatus.COMPLETED
        assert (await client.get(started["status_url"])).json() == job


async def test_cancel_a_running_job_stops_it_cleanly(
    lt_client: httpx.AsyncClient, lt_app: FastAPI, docs: Path
) -> None:
    """The worker stops at its next step; what was written is complete and consistent, and
    a later run indexes the rest."""
    _write_corpus(docs, files=30)
    started = (await lt_client.post("/index_files", json={"directory": str(docs)})).json()
    await _wait_in_progress(lt_client, started["status_url"])
    answer = await lt_client.post(f"/index_status/{started['task_id']}/cancel")
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == JobStatus.IN_PROGRESS
    began = time.monotonic()
    job = await wait_for_job(lt_client, started["status_url"])
    assert time.monotonic() - began < 30, "the job did not stop at its next step"
    assert job["status"] == JobStatus.FAILED, job
    assert job["details"].startswith("Cancelled"), job
    result = job["result"]
    assert result["cancelled"] is True
    assert result["indexed"] < 30, result

    components = lt_app.state.components
    report = await check(components, DEFAULT_TENANT, components.settings.collection_name)
    assert report.consistent, report.as_dict()
    stats = (await lt_client.get("/rag_stats")).json()
    assert stats["documents"] == result["indexed"]
    assert stats["chunks"] == stats["vectors"] == result["chunks_written"]

    rest = await lt_client.post("/index_files", json={"directory": str(docs)})
    final = await wait_for_job(lt_client, rest.json()["status_url"])
    assert final["status"] == JobStatus.COMPLETED, final
    assert final["result"]["skipped"] == result["indexed"]
    assert final["result"]["indexed"] == 30 - result["indexed"]
