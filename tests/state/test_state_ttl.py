"""Retention: ttl_seconds / expires_at, expired sessions absent at once, the sweeper."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from memory_api.settings import Settings
from memory_api.state.models import SessionState, SessionStateVersion

SWEEP_SCRIPT = """
import asyncio, sys
from datetime import datetime
from memory_api.db.engine import create_engine
from memory_api.db.session import Database
from memory_api.settings import Settings
from memory_api.state.sweeper import StateSweeper, SweeperConfig

async def main() -> None:
    settings = Settings(_env_file=None, database_url=sys.argv[1])
    database = Database(create_engine(settings))
    sweeper = StateSweeper(database, SweeperConfig(batch=int(sys.argv[3])))
    print(await sweeper.sweep_once(datetime.fromisoformat(sys.argv[2])))
    await database.dispose()

asyncio.run(main())
"""


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"state_sweep_interval": 3600.0}


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _rows(app: FastAPI, model: Any) -> int:
    async with app.state.components.database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _poll_until_absent(client: httpx.AsyncClient, path: str, deadline: float) -> None:
    while (await client.get(path)).status_code != 404:
        assert time.monotonic() < deadline, f"{path} still readable past its expiry"
        await asyncio.sleep(0.1)


async def test_ttl_sets_expires_at_exactly(client: httpx.AsyncClient) -> None:
    await client.post("/state/t", json={"state_data": {}, "ttl_seconds": 90})
    body = (await client.get("/state/t")).json()
    assert parse(body["expires_at"]) - parse(body["updated_at"]) == timedelta(seconds=90)
    # a POST without ttl_seconds replaces the expiry too (the default: forever)
    await client.post("/state/t", json={"state_data": {}})
    assert (await client.get("/state/t")).json()["expires_at"] is None


async def test_patch_keeps_expiry_unless_given(client: httpx.AsyncClient) -> None:
    merge = {"content-type": "application/merge-patch+json"}
    await client.post("/state/p", json={"state_data": {}, "ttl_seconds": 90})
    before = (await client.get("/state/p")).json()["expires_at"]
    kept = await client.patch("/state/p", content=b'{"a": 1}', headers=merge)
    assert kept.json()["expires_at"] == before
    reset = await client.patch(
        "/state/p", content=b'{"a": 2}', headers=merge, params={"ttl_seconds": 30}
    )
    body = reset.json()
    assert parse(body["expires_at"]) - parse(body["updated_at"]) == timedelta(seconds=30)


@pytest.mark.parametrize("settings_overrides", [{"state_default_ttl_seconds": 45}])
async def test_default_ttl_setting(client: httpx.AsyncClient) -> None:
    await client.post("/state/d", json={"state_data": {}})
    body = (await client.get("/state/d")).json()
    assert parse(body["expires_at"]) - parse(body["updated_at"]) == timedelta(seconds=45)


async def test_expired_session_is_absent_at_once(client: httpx.AsyncClient, app: FastAPI) -> None:
    first = await client.post("/state/short", json={"state_data": {"n": 1}, "ttl_seconds": 1})
    await client.post("/state/long", json={"state_data": {}})
    assert (await client.get("/state/short")).status_code == 200
    await _poll_until_absent(client, "/state/short", time.monotonic() + 15)
    assert [s["session_id"] for s in (await client.get("/sessions")).json()] == ["long"]
    assert (await client.get("/state/short/history")).status_code == 404
    merge = {"content-type": "application/merge-patch+json"}
    assert (await client.patch("/state/short", content=b"{}", headers=merge)).status_code == 404
    assert (await client.delete("/state/short")).status_code == 404
    assert await _rows(app, SessionState) == 2  # still stored: only the sweeper deletes
    # writing it again starts a new session: version 1, a new created_at, so a new ETag
    again = await client.post("/state/short", json={"state_data": {"n": 2}})
    assert again.headers["etag"].startswith('"1-') and first.headers["etag"].startswith('"1-')
    assert again.headers["etag"] != first.headers["etag"]
    stale = await client.post(
        "/state/short", json={"state_data": {}}, headers={"If-Match": first.headers["etag"]}
    )
    assert stale.status_code == 412
    assert [v["version"] for v in (await client.get("/state/short/history")).json()] == [1]


async def _sweep_in_process(settings: Settings, now: datetime, batch: int) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SWEEP_SCRIPT,
        settings.resolved_database_url,
        now.isoformat(),
        str(batch),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()
    return int(stdout.decode().strip())


async def test_two_processes_sweep_every_expired_session_once(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    for i in range(40):
        await client.post(f"/state/e{i}", json={"state_data": {"i": i}, "ttl_seconds": 3600})
    for i in range(5):
        await client.post(f"/state/k{i}", json={"state_data": {"i": i}})
    later = datetime.now().astimezone() + timedelta(hours=2)
    removed = await asyncio.gather(
        _sweep_in_process(settings, later, 7), _sweep_in_process(settings, later, 7)
    )
    assert sum(removed) == 40
    assert await _rows(app, SessionState) == 5
    assert await _rows(app, SessionStateVersion) == 5  # the swept sessions' history went too


@pytest.mark.parametrize("settings_overrides", [{"state_sweep_interval": 0.2}])
async def test_the_lifespan_sweeper_deletes_and_counts(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await client.post("/state/soon", json={"state_data": {}, "ttl_seconds": 1})
    await client.post("/state/kept", json={"state_data": {}})
    deadline = time.monotonic() + 20
    while await _rows(app, SessionState) != 1:
        assert time.monotonic() < deadline, "the sweeper did not delete the expired session"
        await asyncio.sleep(0.1)
    metrics = (await client.get("/metrics")).text
    assert "memory_api_state_sessions_expired_total 1.0" in metrics
    assert (await client.get("/state/kept")).status_code == 200
