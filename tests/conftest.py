"""Shared fixtures: settings per backend, a migrated database, the app over ASGI.

Backends: ``sqlite`` (a file per test) and ``postgres`` (one database per test run on the server
at 127.0.0.1:5432, created here and dropped at the end). With ``CI=true`` an unreachable
PostgreSQL or a missing embedding model fails the run instead of skipping.

Markers (``postgres``, ``chroma_server``, ``model``) are applied at collection from what a test
uses (see ``pytest_collection_modifyitems``), so ``-m "not postgres"`` really leaves them out.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from memory_api.app import create_app
from memory_api.db.migrate import upgrade
from memory_api.embeddings.local import find_model_files
from memory_api.settings import Settings
from memory_api.testing.chroma_server import ChromaServer, run_chroma_server
from memory_api.testing.database import clear_tables

POSTGRES_ADMIN_URL = os.environ.get(
    "MEMORY_API_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# The service keeps its int8 build of the model in the data dir, which here is new for every
# test: one folder for the whole run (servers started by tests inherit it) builds it once.
_MODEL_CACHE = tempfile.TemporaryDirectory(prefix="memory-api-models-")
os.environ.setdefault("MEMORY_API_EMBEDDING_CACHE_DIR", _MODEL_CACHE.name)
# Indexing at normal priority: tests share the machine with other busy processes, among which a
# niced job starves (its progress stood still for 4-9 s at load 18 and the progress test's 2 s
# bound failed). The priority itself is tested in tests/embeddings/test_local.py.
os.environ.setdefault("MEMORY_API_EMBEDDING_INDEXING_NICE", "0")

# What a fixture in a test's closure means it needs.
FIXTURE_MARKERS = {
    "postgres_url": ("postgres",),
    "empty_postgres_url": ("postgres",),
    "chroma_server": ("chroma_server",),
    "model_dir": ("model",),
    "chromium": ("browser",),
}
# Fixtures that pick a backend from their parameter and request it at run time
# (request.getfixturevalue), which the fixture closure cannot show: (fixture, value) -> markers.
PARAMETER_MARKERS = {
    ("backend", "postgres"): ("postgres",),
    ("stack", "postgres-server"): ("postgres", "chroma_server"),
    ("store_settings", "server"): ("chroma_server",),
}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names: set[str] = set()
        for fixture in getattr(item, "fixturenames", ()):
            names.update(FIXTURE_MARKERS.get(fixture, ()))
        callspec = getattr(item, "callspec", None)
        for parameter in callspec.params.items() if callspec else ():
            if isinstance(parameter[1], str):
                names.update(PARAMETER_MARKERS.get(parameter, ()))
        for name in sorted(names):
            item.add_marker(name)


def _missing(message: str) -> None:
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The real all-MiniLM-L6-v2 from MEMORY_API_EMBEDDING_MODEL_DIR (.ci/run sets it); no
    fallback, so a test never runs on a model other than the one the environment names."""
    configured = os.environ.get("MEMORY_API_EMBEDDING_MODEL_DIR")
    if not configured:
        _missing("MEMORY_API_EMBEDDING_MODEL_DIR is not set: the real embedding model is needed")
    path = Path(str(configured))
    if find_model_files(path) is None:
        _missing(f"embedding model not found in {path} (MEMORY_API_EMBEDDING_MODEL_DIR)")
    return path


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium for the browser tests (scripts/test installs it when it may):
    ``MEMORY_API_CHROMIUM`` or /usr/bin/chromium; missing, the tests skip, except in CI."""
    path = Path(os.environ.get("MEMORY_API_CHROMIUM", "/usr/bin/chromium"))
    if not os.access(path, os.X_OK):
        _missing(f"no Chromium at {path}: ./scripts/test installs it (apt-get) as root or sudo")
    try:
        import playwright  # noqa: F401
    except ImportError:
        _missing("playwright is not installed: ./scripts/test installs the dev extra")
    return path


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """One real ``chroma run`` server for the whole run."""
    with run_chroma_server(tmp_path_factory.mktemp("chroma-server")) as server:
        yield server


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _new_database(prefix: str) -> tuple[str, str]:
    """A new, empty database of this run: its name and URL (skips or fails as ``_missing``)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        _missing(f"PostgreSQL unavailable: {type(error).__name__}: {error}")
    return name, POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated database for this test run, dropped afterwards."""
    name, url = _new_database("memory_api_test")
    upgrade(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    yield url
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A database of its own with no schema (a migration test), dropped afterwards."""
    name, url = _new_database("memory_api_empty")
    yield url
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_settings(tmp_path: Path, database_url: str | None, **overrides: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "data", database_url=database_url, **overrides
    )


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    """Settings under this test's data dir: ``settings_factory(database_url, **overrides)``."""

    def build(database_url: str | None = None, **overrides: Any) -> Settings:
        return make_settings(tmp_path, database_url, **overrides)

    return build


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    """None means the default: SQLite under the test's data dir (migrated by ``settings``)."""
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return None


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a module to change settings for its tests."""
    return {}


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str | None, settings_overrides: dict[str, Any]
) -> Settings:
    settings = make_settings(tmp_path, database_url, **settings_overrides)
    if database_url is None:
        upgrade(settings)
    return settings


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        await clear_tables(application.state.components.database.engine)
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
