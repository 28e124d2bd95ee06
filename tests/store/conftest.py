"""A real ``memory-api serve`` process per test (SQLite or PostgreSQL), with its own tenant."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from memory_api.testing.server import ServerProcess


@pytest.fixture
def tenant_key() -> tuple[str, str]:
    """(tenant, API key) of the test's own tenant: a shared PostgreSQL holds other tests'."""
    return f"st-{uuid.uuid4().hex[:12]}", f"key-{uuid.uuid4().hex}"


@pytest.fixture
def server_env(
    tmp_path: Path,
    model_dir: Path,
    backend: str,
    tenant_key: tuple[str, str],
    request: pytest.FixtureRequest,
) -> dict[str, str]:
    env = {
        "MEMORY_API_EMBEDDING_MODEL_DIR": str(model_dir),
        "MEMORY_API_API_KEYS": f"{tenant_key[0]}:{tenant_key[1]}",
    }
    if backend == "postgres":
        env["MEMORY_API_DATABASE_URL"] = str(request.getfixturevalue("postgres_url"))
    return env


@pytest.fixture
def server_factory(
    tmp_path: Path, server_env: dict[str, str]
) -> Iterator[Callable[..., ServerProcess]]:
    """``server_factory(**env)`` -> a started server with extra settings."""
    servers: list[ServerProcess] = []

    def build(**extra: str) -> ServerProcess:
        server = ServerProcess(
            ServerProcess.base_env(tmp_path, **server_env, **extra),
            tmp_path / f"server{len(servers)}.log",
        )
        servers.append(server)
        server.start(ready_path="/health")
        return server

    yield build
    for server in servers:
        server.kill()


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory()
