"""Concurrent `memory-api migrate` runs on one fresh PostgreSQL database are serialised by the
advisory lock: while the test holds it they all wait on it; released, one applies every
revision, the others find nothing to do, and all succeed."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from memory_api.db.migrate import ADVISORY_LOCK_KEY, head_revisions
from memory_api.testing.server import ServerProcess, cli_path

pytestmark = pytest.mark.postgres
PROCESSES = 3
# Waiting for the advisory lock: a bigint key is (classid, objid) = (high, low 32 bits).
WAITING = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
    "AND classid = 0 AND objid = $1 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


@pytest.fixture
async def fresh_url(postgres_url: str) -> AsyncIterator[str]:
    """A database with nothing in it, dropped afterwards."""
    name = f"memory_api_migrate_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres_url, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_concurrent_migrations_wait_for_the_lock_then_migrate_once(
    fresh_url: str, tmp_path: Path
) -> None:
    assert ADVISORY_LOCK_KEY < 2**32  # so the key is the lock's objid
    holder = await asyncpg.connect(fresh_url, timeout=5)
    await holder.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
    processes = [
        await asyncio.create_subprocess_exec(
            cli_path(),
            "migrate",
            env=ServerProcess.base_env(tmp_path / str(i), MEMORY_API_DATABASE_URL=fresh_url),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for i in range(PROCESSES)
    ]
    try:
        # Every run reaches the lock and waits there, none gets past it.
        deadline = time.monotonic() + 60
        while (waiting := await holder.fetchval(WAITING, ADVISORY_LOCK_KEY)) < PROCESSES:
            exited = [p.returncode for p in processes if p.returncode is not None]
            assert not exited, f"a migration did not wait for the lock: exit codes {exited}"
            assert time.monotonic() < deadline, f"{waiting} of {PROCESSES} runs wait for the lock"
            await asyncio.sleep(0.1)
        assert all(p.returncode is None for p in processes)
        tables = await holder.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        assert tables == 0, "a migration ran while the lock was held"
    finally:
        await holder.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)

    outcomes = []
    try:
        for process in processes:
            stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
            outcomes.append((process.returncode, stdout.decode(), stderr.decode()))
        versions = await holder.fetch("SELECT version_num FROM alembic_version")
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await holder.close()

    assert [code for code, _, _ in outcomes] == [0] * PROCESSES, outcomes
    assert [stderr for _, _, stderr in outcomes] == [""] * PROCESSES, outcomes
    printed = [stdout for _, stdout, _ in outcomes]
    applied = [text for text in printed if text.startswith("memory-api: applied ")]
    assert len(applied) == 1, printed  # one run applied the revisions, all of them
    assert applied[0].startswith("memory-api: applied 0001 (session states), 0002 "), applied
    nothing = "memory-api: database schema already up to date, nothing applied\n"
    assert printed.count(nothing) == PROCESSES - 1, printed
    assert [row["version_num"] for row in versions] == sorted(head_revisions())
