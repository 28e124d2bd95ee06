"""The Python SDK against the real app: AsyncMemoryClient over ASGI, MemoryClient over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from memory_api.client import (
    AsyncMemoryClient,
    ConflictError,
    ForbiddenError,
    MemoryClient,
    NotFoundError,
    TransportError,
    UnauthorizedError,
    UnavailableError,
    ValidationError,
)
from memory_api.indexing.schemas import IndexTaskStatusResponse
from memory_api.settings import Settings
from memory_api.testing.collections import register_collection
from memory_api.testing.server import ServerProcess


@pytest.fixture
async def memory(lt_app: FastAPI) -> Any:
    async with AsyncMemoryClient(
        "http://test", transport=httpx.ASGITransport(app=lt_app)
    ) as client:
        yield client


async def test_every_endpoint_typed(memory: AsyncMemoryClient, docs: Path) -> None:
    stored = await memory.put_state("sdk-1", {"step": 1})
    assert (stored.status, stored.session_id) == ("ok", "sdk-1")
    state = await memory.get_state("sdk-1")
    assert state.state_data == {"step": 1} and state.created_at.tzinfo is not None
    assert [s.session_id for s in await memory.list_sessions(limit=10)] == ["sdk-1"]
    await memory.delete_state("sdk-1")
    with pytest.raises(NotFoundError) as missing:
        await memory.get_state("sdk-1")
    assert missing.value.status_code == 404 and missing.value.detail == "Session not found"

    (docs / "owls.md").write_text("Owls hunt at night and can turn their heads very far.")
    seen: list[IndexTaskStatusResponse] = []
    final = await memory.index_and_wait(str(docs), poll_interval=0.05, on_progress=seen.append)
    assert final.status == "completed" and final.result and final.result["indexed"] == 1
    assert seen and seen[-1] == final
    answer = await memory.query("nocturnal birds of prey", top_k=1)
    assert answer.results[0].metadata["relative_path"] == "owls.md"
    stats = await memory.stats()
    assert stats.documents == 1 and stats.embedding_dimension == 384
    assert (await memory.health()).status == "ok"
    status = await memory.index_status(final.task_id)
    assert status.status == "completed"


async def test_errors_map_to_the_hierarchy(
    memory: AsyncMemoryClient, lt_app: FastAPI, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError):
        await memory.query("x", top_k=50)
    with pytest.raises(ValidationError):
        await memory.get_state("bad id")
    with pytest.raises(ForbiddenError, match="MEMORY_API_INDEX_ROOTS"):
        await memory.index("/etc")
    with pytest.raises(NotFoundError):
        await memory.index_status("nope")
    other = lt_app.state.components.settings.collection_name + "-x"
    database = lt_app.state.components.database
    await register_collection(database, other, model="another-model", dimension=3)
    lt_app.state.components.settings.collection_name = other
    with pytest.raises(ConflictError, match="another-model"):
        await memory.query("x")


async def test_list_and_cancel_jobs(lt_settings: Settings, docs: Path) -> None:
    from asgi_lifespan import LifespanManager

    from memory_api.app import create_app
    from memory_api.testing.database import clear_tables

    app = create_app(lt_settings, run_worker=False)  # jobs stay pending
    async with LifespanManager(app, startup_timeout=120):
        await clear_tables(app.state.components.database.engine)
        transport = httpx.ASGITransport(app=app)
        async with AsyncMemoryClient("http://t", transport=transport) as memory:
            started = await memory.index(str(docs))
            assert (await memory.index(str(docs))).task_id == started.task_id
            jobs = await memory.list_jobs()
            assert [(job.task_id, job.status) for job in jobs] == [(started.task_id, "pending")]
            assert await memory.list_jobs(status="completed", limit=5) == []
            cancelled = await memory.cancel_job(started.task_id)
            assert (cancelled.status, cancelled.result) == ("failed", {"cancelled": True})
            assert (await memory.list_jobs(status="failed"))[0].cancel_requested is True
            with pytest.raises(ConflictError, match="already failed"):
                await memory.cancel_job(started.task_id)
            with pytest.raises(NotFoundError):
                await memory.cancel_job("a/b")
            with pytest.raises(ValidationError):
                await memory.list_jobs(status="cancelled")


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
async def test_unauthorized_and_unavailable(lt_settings: Settings, tmp_path: Path) -> None:
    from asgi_lifespan import LifespanManager

    from memory_api.app import create_app

    settings = lt_settings.model_copy(
        update={"api_keys": [SecretStr("k-123")], "embedding_model_dir": tmp_path / "none"}
    )
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=120):
        transport = httpx.ASGITransport(app=app)
        async with AsyncMemoryClient("http://t", transport=transport) as anonymous:
            with pytest.raises(UnauthorizedError):
                await anonymous.stats()
        async with AsyncMemoryClient("http://t", api_key="k-123", transport=transport) as client:
            with pytest.raises(UnavailableError, match="none"):
                await client.query("x")
            assert (await client.health()).status == "unavailable"  # a 503 body, not an error


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
def test_sync_client_against_a_server_process(
    lt_settings: Settings, tmp_path: Path, docs: Path
) -> None:
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_INDEX_ROOTS=str(docs),
        MEMORY_API_EMBEDDING_MODEL_DIR=str(lt_settings.embedding_model_dir),
        MEMORY_API_JOB_POLL_INTERVAL="0.2",
    )
    (docs / "tea.md").write_text("Green tea leaves are steamed to stop oxidation.")
    with ServerProcess(env, tmp_path / "server.log") as server, MemoryClient(server.url) as client:
        client.put_state("sync", {"ok": True})
        assert client.get_state("sync").state_data == {"ok": True}
        final = client.index_and_wait(poll_interval=0.1, timeout=120)
        assert final.status == "completed"
        assert [job.task_id for job in client.list_jobs(status="completed")] == [final.task_id]
        with pytest.raises(ConflictError, match="already completed"):
            client.cancel_job(final.task_id)
        assert client.query("oxidation of tea", top_k=1).results[0].content.startswith("Green")
        client.delete_state("sync")
        for odd in (".", "..", "a.b:c@d-e_f"):  # valid ids that URLs could mangle
            client.put_state(odd, {"id": odd})
            assert client.get_state(odd).state_data == {"id": odd}
            client.delete_state(odd)
        # Invalid ids reach no other route and fail the id check (422), those with a "/"
        # (sent as %2F) included.
        for invalid in ("x?y=1", "s#f", "a/b", "../sessions", "a/"):
            with pytest.raises(ValidationError, match="session_id"):
                client.put_state(invalid, {})
            with pytest.raises(ValidationError, match="session_id"):
                client.get_state(invalid)
            with pytest.raises(ValidationError, match="session_id"):
                client.delete_state(invalid)
    with pytest.raises(TransportError):
        MemoryClient(server.url, timeout=2).stats()
