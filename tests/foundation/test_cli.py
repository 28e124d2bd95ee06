"""The installed `memory-api` command: settings errors, migrate, serve."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from memory_api.testing.server import ServerProcess, cli_path

CLI = cli_path()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return ServerProcess.base_env(tmp_path, **extra)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MEMORY_API_MAX_BODY_BYTES", "lots"),
        ("MEMORY_API_DATABASE_URL", "mysql://x/y"),
        ("MEMORY_API_CHUNK_SIZE", "-5"),
    ],
)
def test_invalid_setting_refuses_start_with_one_line(
    tmp_path: Path, variable: str, value: str
) -> None:
    result = subprocess.run(
        [CLI, "migrate"],
        env=_env(tmp_path, **{variable: value}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_migrate_creates_the_sqlite_database(tmp_path: Path) -> None:
    result = subprocess.run(
        [CLI, "migrate"], env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "memory.db").exists()


def test_serve_applies_migrations_and_answers(tmp_path: Path) -> None:
    with ServerProcess(_env(tmp_path), tmp_path / "serve.log") as server:
        response = httpx.post(f"{server.url}/state/cli", json={"state_data": {"ok": True}})
        assert response.status_code == 201
        assert httpx.get(f"{server.url}/state/cli").json()["state_data"] == {"ok": True}
    assert (tmp_path / "data" / "memory.db").exists()


def test_embedded_chroma_refuses_several_workers(tmp_path: Path) -> None:
    result = subprocess.run(
        [CLI, "serve", "--workers", "2"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "MEMORY_API_CHROMA_HOST" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
