"""History: the last MEMORY_API_STATE_HISTORY versions, reading one, restoring, deleting."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from memory_api.state.models import SessionStateVersion


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"state_history": 3}


async def _history_rows(app: FastAPI, session_id: str) -> int:
    async with app.state.components.database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(SessionStateVersion)
            .where(SessionStateVersion.session_id == session_id)
        )
    return int(count or 0)


async def _write_versions(client: httpx.AsyncClient, sid: str, count: int) -> list[dict[str, Any]]:
    written = []
    for n in range(1, count + 1):
        state = {"n": n, "pad": "x" * n}
        await client.post(f"/state/{sid}", json={"state_data": state})
        written.append((await client.get(f"/state/{sid}")).json())
    return written


async def test_history_keeps_the_last_versions_exactly(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    written = await _write_versions(client, "h", 5)
    response = await client.get("/state/h/history")
    assert response.status_code == 200
    assert response.json() == [
        {
            "version": v["version"],
            "updated_at": v["updated_at"],
            "size_bytes": len(orjson.dumps(v["state_data"])),
        }
        for v in reversed(written[2:])
    ]
    assert await _history_rows(app, "h") == 3
    page = await client.get("/state/h/history", params={"before_version": 5, "limit": 1})
    assert [item["version"] for item in page.json()] == [4]


async def test_read_a_version_and_restore_it(client: httpx.AsyncClient) -> None:
    written = await _write_versions(client, "r", 5)
    current = (await client.get("/state/r")).headers["etag"]
    assert current.startswith('"5-')
    old = await client.get("/state/r", params={"version": 3})
    assert (old.status_code, old.headers["etag"]) == (200, current.replace('"5-', '"3-', 1))
    assert old.json()["state_data"] == written[2]["state_data"]
    assert old.json()["updated_at"] == written[2]["updated_at"]
    assert old.json()["created_at"] == written[0]["created_at"]
    pruned = await client.get("/state/r", params={"version": 2})
    assert pruned.status_code == 404
    assert pruned.json()["detail"].startswith("Version 2 not found")
    restored = await client.post(
        "/state/r", json={"state_data": old.json()["state_data"]}, headers={"If-Match": current}
    )
    assert (restored.status_code, restored.headers["etag"]) == (
        201,
        current.replace('"5-', '"6-', 1),
    )
    assert (await client.get("/state/r")).json()["state_data"] == written[2]["state_data"]


async def test_delete_removes_the_history(client: httpx.AsyncClient, app: FastAPI) -> None:
    await _write_versions(client, "gone", 3)
    assert await _history_rows(app, "gone") == 3
    assert (await client.delete("/state/gone")).status_code == 204
    assert await _history_rows(app, "gone") == 0
    missing = await client.get("/state/gone/history")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Session not found"})
    # a new session of the same id starts at version 1 with a history of one
    await client.post("/state/gone", json={"state_data": {}})
    assert [v["version"] for v in (await client.get("/state/gone/history")).json()] == [1]


async def test_patches_are_versions_too(client: httpx.AsyncClient) -> None:
    await client.post("/state/p", json={"state_data": {"a": 1}})
    await client.patch(
        "/state/p", content=b'{"b": 2}', headers={"content-type": "application/merge-patch+json"}
    )
    assert [v["version"] for v in (await client.get("/state/p/history")).json()] == [2, 1]
    assert (await client.get("/state/p", params={"version": 1})).json()["state_data"] == {"a": 1}


@pytest.mark.parametrize("settings_overrides", [{"state_history": 0}])
async def test_history_zero_keeps_none(client: httpx.AsyncClient, app: FastAPI) -> None:
    await _write_versions(client, "none", 3)
    assert await _history_rows(app, "none") == 0
    assert (await client.get("/state/none/history")).json() == []
    current = await client.get("/state/none", params={"version": 3})
    assert current.json()["version"] == 3
    assert (await client.get("/state/none", params={"version": 2})).status_code == 404


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 1001}, {"before_version": 0}, {"before_version": "x"}]
)
async def test_history_rejects_bad_paging(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    await client.post("/state/q", json={"state_data": {}})
    response = await client.get("/state/q/history", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_history_takes_get_only(client: httpx.AsyncClient) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, "/state/s/history")
        assert (response.status_code, response.headers["allow"]) == (405, "GET"), method
