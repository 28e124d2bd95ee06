"""GET /sessions: prefix, keyset cursors, include_state and the opt-in envelope."""

from __future__ import annotations

import asyncio

import httpx
import pytest


async def _seed(client: httpx.AsyncClient) -> None:
    for name in ["a1", "a2", "b1", "a_3", "A4"]:
        await client.post(f"/state/{name}", json={"state_data": {"name": name}})
        await asyncio.sleep(0.002)  # distinct updated_at: the order is then known


async def test_prefix_is_exact_and_case_sensitive(client: httpx.AsyncClient) -> None:
    await _seed(client)
    listed = (await client.get("/sessions", params={"prefix": "a"})).json()
    assert [s["session_id"] for s in listed] == ["a_3", "a2", "a1"]
    assert [s["session_id"] for s in (await client.get("/sessions?prefix=a_")).json()] == ["a_3"]
    assert (await client.get("/sessions", params={"prefix": "zz"})).json() == []


async def test_keyset_pages_walk_every_session_once(client: httpx.AsyncClient) -> None:
    await _seed(client)
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):  # a bound: 5 sessions in pages of 2 take 3 pages
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/sessions", params=params)
        seen += [s["session_id"] for s in response.json()]
        cursor = response.headers.get("x-next-cursor")
        if cursor is None:
            break
    assert seen == ["A4", "a_3", "b1", "a2", "a1"]


async def test_envelope_and_include_state(client: httpx.AsyncClient) -> None:
    await _seed(client)
    page = (await client.get("/sessions", params={"envelope": "true", "limit": 4})).json()
    assert [s["session_id"] for s in page["sessions"]] == ["A4", "a_3", "b1", "a2"]
    assert page["sessions"][0]["version"] == 1
    assert page["sessions"][0]["expires_at"] is None
    rest = await client.get("/sessions", params={"envelope": "true", "cursor": page["next_cursor"]})
    assert rest.json() == {
        "sessions": [(await client.get("/state/a1")).json()],
        "next_cursor": None,
    }
    bare = (await client.get("/sessions", params={"include_state": "false"})).json()
    assert set(bare[0]) == {"session_id", "created_at", "updated_at"}


@pytest.mark.parametrize(
    "params", [{"cursor": "nope"}, {"cursor": "W10"}, {"prefix": "a b"}, {"prefix": "x" * 257}]
)
async def test_bad_listing_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/sessions", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]
