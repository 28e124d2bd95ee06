"""Long-term memory fixtures: the two backend pairs, an index root, job waits.

Pairs: ``sqlite-embedded`` (SQLite + embedded Chroma) and ``postgres-server`` (PostgreSQL + a
real ``chroma run`` server started once per test run). Each test gets its own collection.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from memory_api.app import create_app
from memory_api.db.migrate import upgrade
from memory_api.settings import Settings
from memory_api.testing.chroma_server import ChromaServer
from memory_api.testing.database import clear_tables
from memory_api.testing.jobs import wait_for_job


@pytest.fixture(params=["sqlite-embedded", "postgres-server"])
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    return root


@pytest.fixture
def lt_overrides() -> dict[str, Any]:
    """Override in a module to change the long-term settings of its tests."""
    return {}


@pytest.fixture
def lt_settings(
    stack: str,
    tmp_path: Path,
    docs: Path,
    model_dir: Path,
    lt_overrides: dict[str, Any],
    request: pytest.FixtureRequest,
) -> Settings:
    options: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "embedding_model_dir": model_dir,
        "index_roots": [docs],
        "collection_name": f"test-{uuid.uuid4().hex[:12]}",
        "job_poll_interval": 0.2,
        **lt_overrides,
    }
    if stack == "postgres-server":
        server: ChromaServer = request.getfixturevalue("chroma_server")
        options.update(
            database_url=request.getfixturevalue("postgres_url"),
            chroma_host=server.host,
            chroma_port=server.port,
        )
    settings = Settings(_env_file=None, **options)  # type: ignore[call-arg]
    if stack == "sqlite-embedded":
        upgrade(settings)
    return settings


@pytest.fixture
async def lt_app(lt_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(lt_settings)
    async with LifespanManager(application, startup_timeout=120, shutdown_timeout=60):
        await clear_tables(application.state.components.database.engine)
        yield application


@pytest.fixture
async def lt_client(lt_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=lt_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def index(lt_client: httpx.AsyncClient, docs: Path) -> Any:
    """``await index(**body)`` starts a job on the docs root and returns its final status."""

    async def run(**body: Any) -> dict[str, Any]:
        body.setdefault("directory", str(docs))
        response = await lt_client.post("/index_files", json=body)
        assert response.status_code == 202, response.text
        return await wait_for_job(lt_client, response.json()["status_url"])

    return run
