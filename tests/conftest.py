"""Shared fixtures: settings per backend, a migrated database, the app over ASGI.

Backends: ``sqlite`` (a file per test) and ``postgres`` (one database per test run on the server
at 127.0.0.1:5432, created here and dropped at the end). With ``CI=true`` an unreachable
PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
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
from memory_api.settings import Settings
from memory_api.testing.database import clear_tables

POSTGRES_ADMIN_URL = os.environ.get(
    "MEMORY_API_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _require_postgres(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason}")


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated database for this test run, dropped afterwards."""
    name = f"memory_api_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        _require_postgres(f"{type(error).__name__}: {error}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
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
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
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
        await clear_tables(application.state.database.engine)
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
