"""The installed `memory-api` command: settings errors, migrate, check, serve, help."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from alembic.script import ScriptDirectory

from memory_api.cli import build_parser
from memory_api.db.migrate import alembic_config
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


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], env=_env(tmp_path, **env), capture_output=True, text=True, timeout=120
    )


def _all_revisions() -> list[str]:
    """Every revision shipped, oldest first, as `migrate` names them."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()
    return [f"{s.revision} ({s.doc.strip().splitlines()[0]})" for s in reversed(list(scripts))]


def test_migrate_creates_the_sqlite_database_and_says_what_it_applied(tmp_path: Path) -> None:
    result = _cli(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "memory.db").exists()
    assert _all_revisions()[:2] == ["0001 (session states)", "0002 (documents chunks jobs)"]
    assert result.stdout == f"memory-api: applied {', '.join(_all_revisions())}\n"
    again = _cli(tmp_path, "migrate")
    assert again.returncode == 0, again.stderr
    assert again.stdout == "memory-api: database schema already up to date, nothing applied\n"


def _one_line_failure(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr == f"memory-api: check failed: {expected}\n"
    assert result.stdout == ""


def test_check_on_a_missing_or_unmigrated_database_says_so_and_creates_nothing(
    tmp_path: Path,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in _env(tmp_path).items() if k != "MEMORY_API_DATA_DIR"}
    run = {"env": env, "cwd": work, "capture_output": True, "text": True, "timeout": 120}
    missing = subprocess.run([CLI, "check"], **run)  # type: ignore[call-overload]
    database = work / "data" / "memory.db"
    _one_line_failure(missing, f"no database at {database}: run `memory-api migrate` first")
    assert list(work.iterdir()) == []  # neither ./data/memory.db nor chroma/

    database.parent.mkdir()
    database.touch()
    empty = subprocess.run([CLI, "check"], **run)  # type: ignore[call-overload]
    _one_line_failure(
        empty, f"the database {database} has no schema yet: run `memory-api migrate` first"
    )
    assert [p.name for p in database.parent.iterdir()] == ["memory.db"]


def test_check_on_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    refused = _cli(tmp_path, "check", MEMORY_API_DATABASE_URL="postgresql://u@127.0.0.1:1/db")
    _one_line_failure(
        refused,
        "Database unavailable (ConnectionRefusedError): [Errno 111] Connect call failed "
        "('127.0.0.1', 1)",
    )


def test_check_on_an_unmigrated_postgres_database(tmp_path: Path, postgres_url: str) -> None:
    name = f"memory_api_unmigrated_{uuid.uuid4().hex[:8]}"
    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"

    async def admin_sql(sql: str) -> None:
        connection = await asyncpg.connect(admin, timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    absent = _cli(tmp_path, "check", MEMORY_API_DATABASE_URL=url)
    no_database = f'database "{name}" does not exist'
    _one_line_failure(absent, f"Database unavailable (DBAPIError): {no_database}")
    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        empty = _cli(tmp_path, "check", MEMORY_API_DATABASE_URL=url)
        where = url.split("@", 1)[1]
        _one_line_failure(
            empty, f"the database {where} has no schema yet: run `memory-api migrate` first"
        )
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.extend(_parsers(child))
    return found


def test_every_option_and_argument_has_help_and_no_markup() -> None:
    parser = build_parser()
    assert "``" not in parser.format_help()
    for each in _parsers(parser):
        for action in each._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert choice.help, f"{each.prog} {choice.dest}: no help"
                continue
            assert action.help, f"{each.prog} {action.dest}: no help"


def test_serve_applies_migrations_and_answers(tmp_path: Path) -> None:
    with ServerProcess(_env(tmp_path), tmp_path / "serve.log") as server:
        response = httpx.post(f"{server.url}/state/cli", json={"state_data": {"ok": True}})
        assert response.status_code == 201
        assert httpx.get(f"{server.url}/state/cli").json()["state_data"] == {"ok": True}
    assert (tmp_path / "data" / "memory.db").exists()
    log = (tmp_path / "serve.log").read_text().splitlines()
    assert f"memory-api: applied {', '.join(_all_revisions())}" in log


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
