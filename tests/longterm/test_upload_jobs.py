"""Big uploads (over MEMORY_API_UPLOAD_JOB_BYTES) answer 202 with a job: the extracted text is
stored in the job's row before the response, so an app that stops before the job runs loses
nothing; the job writes the documents, /index_status and /index_jobs show it. Both stacks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from memory_api.app import create_app
from memory_api.client import AsyncMemoryClient
from memory_api.jobs.models import Job
from memory_api.settings import Settings
from memory_api.testing.database import clear_tables
from memory_api.testing.jobs import wait_for_job
from memory_api.testing.server import ServerProcess, cli_path

FILES = "/collections/notes/files"
BIG = "Glaciers carve deep valleys as they slowly flow downhill. " * 4  # 236 bytes
SMALL = b"Tea leaves are steamed."


@pytest.fixture
def lt_overrides() -> dict[str, Any]:
    return {"upload_job_bytes": 100}


async def _notes(client: httpx.AsyncClient) -> None:
    assert (await client.post("/collections", json={"name": "notes"})).status_code == 201


async def _lexical(client: httpx.AsyncClient, query: str) -> list[str]:
    body = {"query": query, "mode": "lexical", "collection": "notes"}
    return [r["doc_id"] for r in (await client.post("/rag_query", json=body)).json()["results"]]


async def test_small_upload_is_201_big_is_a_job(lt_client: httpx.AsyncClient) -> None:
    await _notes(lt_client)
    small = await lt_client.post(FILES, files=[("files", ("tea.txt", SMALL, "text/plain"))])
    assert small.status_code == 201, small.text
    assert [d["doc_id"] for d in small.json()["documents"]] == ["tea.txt"]

    big = await lt_client.post(
        FILES,
        files=[("files", ("ice.md", BIG.encode(), "text/markdown"))],
        data={"metadata": '{"team": "geo"}'},
    )
    assert big.status_code == 202, big.text
    started = big.json()
    assert set(started) == {"message", "task_id", "status_url"}
    assert started["status_url"] == f"/index_status/{started['task_id']}"
    final = await wait_for_job(lt_client, started["status_url"])
    assert final["status"] == "completed", final
    assert final["result"]["documents"] == [
        {
            "doc_id": "ice.md",
            "status": "created",
            "content_hash": final["result"]["documents"][0]["content_hash"],
            "chunk_count": 1,
        }
    ]
    assert (final["result"]["created"], final["result"]["indexed"]) == (1, 1)
    document = (await lt_client.get("/collections/notes/documents/ice.md")).json()
    assert (document["text"], document["source"]) == (BIG, "upload")
    assert document["metadata"] == {"team": "geo", "filename": "ice.md"}
    assert await _lexical(lt_client, "glaciers valleys") == ["ice.md"]
    jobs = (await lt_client.get("/index_jobs")).json()
    assert [(j["kind"], j["collection"], j["directory"]) for j in jobs] == [
        ("index_upload", "notes", "")
    ]


async def test_big_upload_refusals_happen_before_the_202(lt_client: httpx.AsyncClient) -> None:
    await _notes(lt_client)
    unsupported = await lt_client.post(
        FILES, files=[("files", ("x.bin", b"\x00" * 200, "application/x-msdownload"))]
    )
    assert unsupported.status_code == 415
    missing = await lt_client.post(
        "/collections/nope/files", files=[("files", ("ice.md", BIG.encode(), "text/plain"))]
    )
    assert missing.status_code == 404
    assert (await lt_client.get("/index_jobs")).json() == []


async def test_text_is_durable_before_the_202(lt_settings: Settings) -> None:
    """No worker runs in the first app (as if it crashed right after answering): the job row
    already holds the text, and the next app's worker indexes it."""
    first = create_app(lt_settings, run_worker=False)
    async with LifespanManager(first, startup_timeout=120, shutdown_timeout=60):
        await clear_tables(first.state.components.database.engine)
        transport = httpx.ASGITransport(app=first)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await _notes(client)
            big = await client.post(
                FILES, files=[("files", ("ice.md", BIG.encode(), "text/plain"))]
            )
            assert big.status_code == 202
            task_id = big.json()["task_id"]
            async with first.state.components.database.reading() as session:
                job = await session.get(Job, task_id)
                assert job is not None and job.status == "pending"
                assert [d["text"] for d in job.params["documents"]] == [BIG]
    second = create_app(lt_settings)
    async with LifespanManager(second, startup_timeout=120, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            final = await wait_for_job(client, f"/index_status/{task_id}")
            assert final["status"] == "completed", final
            assert await _lexical(client, "glaciers") == ["ice.md"]


async def test_sdk_waits_for_a_big_upload(lt_app: Any, tmp_path: Path) -> None:
    (tmp_path / "ice.md").write_text(BIG)
    transport = httpx.ASGITransport(app=lt_app)
    async with AsyncMemoryClient("http://test", transport=transport) as memory:
        await memory.create_collection("notes")
        started = await memory.start_upload("notes", [tmp_path / "ice.md"])
        assert not hasattr(started, "documents") and started.task_id  # a job, not a 201
        final = await memory.wait_job(started.task_id, poll_interval=0.05, timeout=180)
        assert final.status == "completed"
        answer = await memory.upload_files(
            "notes", [tmp_path / "ice.md"], prefix="again:", poll_interval=0.05, timeout=180
        )
        assert [(d.doc_id, d.status) for d in answer.documents] == [("again:ice.md", "created")]


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
def test_cli_add_waits_for_a_big_upload(lt_settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "ice.md").write_text(BIG)
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_EMBEDDING_MODEL_DIR=str(lt_settings.embedding_model_dir),
        MEMORY_API_JOB_POLL_INTERVAL="0.2",
        MEMORY_API_UPLOAD_JOB_BYTES="100",
    )
    with ServerProcess(env, tmp_path / "server.log") as server:

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            cli_env = {**server.env, "MEMORY_API_URL": server.url}
            return subprocess.run(
                [cli_path(), *args], env=cli_env, capture_output=True, text=True, timeout=180
            )

        assert cli("collections", "create", "notes").returncode == 0
        added = cli("add", str(tmp_path / "ice.md"), "--collection", "notes")
        assert added.returncode == 0, added.stderr
        assert added.stdout == "created   ice.md (1 chunks)\n"
        jobs = json.loads(httpx.get(f"{server.url}/index_jobs", timeout=10).text)
        assert [(j["kind"], j["status"]) for j in jobs] == [("index_upload", "completed")]
