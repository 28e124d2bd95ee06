"""The server's default TTL (``MEMORY_API_STORE_DEFAULT_TTL_MINUTES``) for puts without one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from langgraph.store.base import TTLConfig

from memory_api.langgraph import MemoryAPIStore
from memory_api.store import service

pytestmark = pytest.mark.model


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"store_default_ttl_minutes": 5, "store_index_fields": ["title"]}


async def test_default_ttl_and_default_index_fields(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    monkeypatch.setattr(service, "utcnow", lambda: now)
    # y's body is all about cooking: were the whole value embedded ("$"), y would come first
    values = {
        "x": {"title": "tomato soup recipe", "body": "zzz"},
        "y": {"title": "train timetable", "body": "cooking: how to cook soup, a cooking class"},
    }
    for key, value in values.items():
        body = {"namespace": ["n"], "key": key, "value": value}
        assert (await client.put("/store/items", json=body)).status_code == 204
    found = await client.post("/store/items/search", json={"query": "cooking"})
    assert [(item["key"], item["score"] is not None) for item in found.json()["items"]] == [
        ("x", True),
        ("y", True),
    ]
    now += timedelta(minutes=5, seconds=1)
    gone = await client.get("/store/items", params={"namespace": "n", "key": "x"})
    assert gone.status_code == 404
    assert "'x'" in gone.json()["detail"]


async def test_null_ttl_never_expires_and_absent_takes_the_default(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LangGraph's meaning of ``ttl=None`` (never) beside the server's default for a put that
    gives no ttl, over HTTP and through ``MemoryAPIStore``; a client ``default_ttl`` wins."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    monkeypatch.setattr(service, "utcnow", lambda: now)
    assert (
        await client.put(
            "/store/items", json={"namespace": ["h"], "key": "null", "value": {}, "ttl": None}
        )
    ).status_code == 204
    assert (
        await client.put("/store/items", json={"namespace": ["h"], "key": "absent", "value": {}})
    ).status_code == 204
    transport = httpx.ASGITransport(app=app)
    async with MemoryAPIStore(url="http://test", async_transport=transport) as store:
        await store.aput(("s",), "none", {"v": 1}, ttl=None)
        await store.aput(("s",), "unset", {"v": 1})
        await store.aput(("s",), "ten", {"v": 1}, ttl=10)
    config = TTLConfig(default_ttl=20)
    async with MemoryAPIStore(url="http://test", async_transport=transport, ttl=config) as store:
        await store.aput(("s",), "client", {"v": 1})
        now += timedelta(minutes=6)
        found = {item.key for item in await store.asearch(("s",), refresh_ttl=False)}
        assert found == {"none", "ten", "client"}  # "unset" took the server's 5 minutes
        now += timedelta(minutes=5)
        found = {item.key for item in await store.asearch(("s",), refresh_ttl=False)}
        assert found == {"none", "client"}
        now += timedelta(minutes=10)
        assert {item.key for item in await store.asearch(("s",))} == {"none"}
    kept = await client.get("/store/items", params={"namespace": "h", "key": "null"})
    assert kept.status_code == 200
    gone = await client.get("/store/items", params={"namespace": "h", "key": "absent"})
    assert gone.status_code == 404
