"""Fault tests run the real server as a subprocess and break what it depends on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from memory_api.testing.server import ServerProcess


@pytest.fixture
def server_factory(tmp_path: Path, model_dir: Path) -> Iterator[Callable[..., ServerProcess]]:
    """``server_factory(**env)`` -> a not-yet-started server with a docs root in tmp_path."""
    servers: list[ServerProcess] = []
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)

    def build(*args: str, **env: str) -> ServerProcess:
        environment = ServerProcess.base_env(
            tmp_path,
            MEMORY_API_INDEX_ROOTS=str(docs),
            MEMORY_API_EMBEDDING_MODEL_DIR=str(model_dir),
            MEMORY_API_JOB_POLL_INTERVAL="0.2",
            **env,
        )
        server = ServerProcess(environment, tmp_path / f"server{len(servers)}.log", *args)
        servers.append(server)
        return server

    yield build
    for server in servers:
        server.kill()
