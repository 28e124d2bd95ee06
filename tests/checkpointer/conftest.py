"""A real ``memory-api serve`` process per test, on SQLite or PostgreSQL, with API keys.

Each server gets its own tenant (``TENANT``): a PostgreSQL database shared by the run holds
other tests' threads, which ``list(None)`` must not see.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from memory_api.testing.server import ServerProcess


@pytest.fixture
def tenant_key() -> tuple[str, str]:
    """(tenant, API key) of the test's own tenant."""
    return f"lg-{uuid.uuid4().hex[:12]}", f"key-{uuid.uuid4().hex}"


@pytest.fixture
def server_factory(
    tmp_path: Path,
    model_dir: Path,
    backend: str,
    tenant_key: tuple[str, str],
    request: pytest.FixtureRequest,
) -> Iterator[Callable[[], ServerProcess]]:
    """``server_factory()`` -> a not-yet-started server; every server of a test shares one
    database (a restart sees what the last one wrote)."""
    env = {
        "MEMORY_API_EMBEDDING_MODEL_DIR": str(model_dir),
        "MEMORY_API_API_KEYS": f"{tenant_key[0]}:{tenant_key[1]}",
    }
    if backend == "postgres":
        env["MEMORY_API_DATABASE_URL"] = str(request.getfixturevalue("postgres_url"))
    servers: list[ServerProcess] = []

    def build() -> ServerProcess:
        port = servers[0].port if servers else None
        server = ServerProcess(
            ServerProcess.base_env(tmp_path, **env),
            tmp_path / f"server{len(servers)}.log",
            port=port,
        )
        servers.append(server)
        return server

    yield build
    for server in servers:
        server.kill()


@pytest.fixture
def server(server_factory: Callable[[], ServerProcess]) -> ServerProcess:
    process = server_factory()
    process.start(ready_path="/health")
    return process
