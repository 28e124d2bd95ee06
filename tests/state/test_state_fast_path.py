"""The state routes' fast argument binding (state/fast_path.py) answers the common requests,
and leaves every other form to FastAPI, whose answers (errors included) stay the same."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from memory_api.state import fast_path


@pytest.fixture
def fast_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The session ids the fast path built a service for."""
    calls: list[str] = []
    build = fast_path.get_state_service

    async def counting(*args: Any) -> Any:
        calls.append("service")
        return await build(*args)

    monkeypatch.setattr(fast_path, "get_state_service", counting)
    return calls


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_common_requests_take_the_fast_path(
    client: httpx.AsyncClient, fast_calls: list[str]
) -> None:
    stored = await client.post("/state/s1", json={"state_data": {"v": 1}})
    first = stored.headers["etag"]
    assert (stored.status_code, first[:3]) == (201, '"1-')
    assert stored.json() == {"status": "ok", "session_id": "s1"}
    read = await client.get("/state/s1")
    assert (read.status_code, read.json()["state_data"]) == (200, {"v": 1})
    unchanged = await client.get("/state/s1", headers={"If-None-Match": first})
    assert unchanged.status_code == 304
    merged = await client.patch(
        "/state/s1",
        content=b'{"w": 2}',
        headers={"Content-Type": "application/merge-patch+json", "If-Match": first},
    )
    assert (merged.status_code, merged.headers["etag"]) == (200, first.replace('"1-', '"2-', 1))
    appended = await client.patch(
        "/state/s1",
        content=b'[{"op": "add", "path": "/list", "value": [1]}]',
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert appended.json()["state_data"] == {"v": 1, "w": 2, "list": [1]}
    stale = await client.patch(
        "/state/s1",
        content=b"{}",
        headers={"Content-Type": "application/merge-patch+json", "If-Match": first},
    )
    assert stale.status_code == 412
    bad_patch = await client.patch(
        "/state/s1",
        content=b'[{"op": "remove", "path": "/missing"}]',
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert bad_patch.status_code in (409, 422) and bad_patch.json()["detail"]
    assert fast_calls == ["service"] * 7


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_other_forms_are_bound_by_fastapi(
    client: httpx.AsyncClient, fast_calls: list[str]
) -> None:
    await client.post("/state/s1", json={"state_data": {"v": 1}})
    fast_calls.clear()
    assert (await client.get("/state/s1", params={"version": 1})).status_code == 200
    bad_version = await client.get("/state/s1", params={"version": "x"})
    assert (bad_version.status_code, bad_version.json()["detail"][0]["loc"]) == (
        422,
        ["query", "version"],
    )
    bad_body = await client.post("/state/s1", json={"state_data": [1]})
    assert (bad_body.status_code, bad_body.json()["detail"][0]["loc"]) == (
        422,
        ["body", "state_data"],
    )
    bad_id = await client.get("/state/" + "a" * 257)
    assert bad_id.status_code == 422
    merge = {"Content-Type": "application/merge-patch+json"}
    with_ttl = await client.patch("/state/s1", params={"ttl_seconds": 60}, json={}, headers=merge)
    assert with_ttl.status_code == 200 and with_ttl.json()["expires_at"]
    bad_ttl = await client.patch("/state/s1", params={"ttl_seconds": 0}, json={}, headers=merge)
    assert (bad_ttl.status_code, bad_ttl.json()["detail"][0]["loc"]) == (
        422,
        ["query", "ttl_seconds"],
    )
    empty = await client.patch("/state/s1", headers=merge)
    assert empty.status_code == 422
    assert fast_calls == []
