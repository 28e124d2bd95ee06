"""LangGraph's TTL semantics over the wire: a put without ``ttl`` takes the store's default
TTL, ``ttl=None`` never expires. ``MemoryAPIStore`` omits ``ttl`` for the first and sends
``null`` for the second; the server tells an absent field from an explicit null."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from langgraph.store.base import TTLConfig
from langgraph_sdk import get_client

from memory_api.langgraph import MemoryAPIStore
from memory_api.store import service
from memory_api.testing.server import ServerProcess

pytestmark = pytest.mark.model


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"store_default_ttl_minutes": 5}


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    clock = [datetime(2026, 1, 1, tzinfo=UTC)]
    monkeypatch.setattr(service, "utcnow", lambda: clock[0])
    return clock


@pytest.fixture
async def store(app: FastAPI) -> AsyncIterator[MemoryAPIStore]:
    transport = httpx.ASGITransport(app=app)
    async with MemoryAPIStore(url="http://test", async_transport=transport) as memory:
        yield memory


async def live(store: MemoryAPIStore) -> list[str]:
    return sorted(item.key for item in await store.asearch(("t",), refresh_ttl=False))


async def test_absent_ttl_is_the_default_and_none_is_forever(
    store: MemoryAPIStore, now: list[datetime]
) -> None:
    await store.aput(("t",), "default", {"v": 1})
    await store.aput(("t",), "forever", {"v": 2}, ttl=None)
    await store.aput(("t",), "short", {"v": 3}, ttl=1)
    now[0] += timedelta(minutes=1, seconds=1)
    assert await live(store) == ["default", "forever"]
    now[0] += timedelta(minutes=4)  # 5 min 1 s: the server's default TTL is over
    assert await live(store) == ["forever"]
    now[0] += timedelta(days=3650)
    assert await live(store) == ["forever"]


async def test_client_ttl_config_default_wins_over_the_servers(
    app: FastAPI, now: list[datetime]
) -> None:
    transport = httpx.ASGITransport(app=app)
    config = TTLConfig(default_ttl=1)
    async with MemoryAPIStore(url="http://test", async_transport=transport, ttl=config) as store:
        await store.aput(("t",), "configured", {"v": 1})
        await store.aput(("t",), "forever", {"v": 2}, ttl=None)
        now[0] += timedelta(minutes=1, seconds=1)
        assert await live(store) == ["forever"]


async def test_raw_bodies_absent_null_number(
    client: httpx.AsyncClient, now: list[datetime]
) -> None:
    for key, extra in (("absent", {}), ("null", {"ttl": None}), ("two", {"ttl": 2})):
        body = {"namespace": ["t"], "key": key, "value": {}, **extra}
        assert (await client.put("/store/items", json=body)).status_code == 204
    now[0] += timedelta(minutes=2, seconds=1)

    async def keys() -> list[str]:
        found = await client.post("/store/items/search", json={"refresh_ttl": False})
        return sorted(item["key"] for item in found.json()["items"])

    assert await keys() == ["absent", "null"]
    now[0] += timedelta(minutes=3)
    assert await keys() == ["null"]


@pytest.mark.slow
async def test_sdk_and_sync_store_against_a_server(
    server_factory: Any, tenant_key: tuple[str, str]
) -> None:
    """Real clock: the server's default TTL is 0.02 minutes (1.2 s). The SDK drops a None
    ``ttl`` from its body (so ``put_item(ttl=None)`` takes the default, as on LangGraph
    Platform); an explicit null is sent through the SDK's own HTTP client."""
    server: ServerProcess = server_factory(MEMORY_API_STORE_DEFAULT_TTL_MINUTES="0.02")
    client = get_client(url=server.url, api_key=tenant_key[1])
    try:
        await client.store.put_item(["s"], "sdk-default", {"v": 1})
        await client.store.put_item(["s"], "sdk-ttl", {"v": 2}, ttl=60)
        await client.http.put(
            "/store/items", json={"namespace": ["s"], "key": "sdk-null", "value": {}, "ttl": None}
        )
        with MemoryAPIStore(url=server.url, api_key=tenant_key[1]) as store:
            # the sync methods, from a thread while this loop runs
            await asyncio.to_thread(store.put, ("s",), "sync-default", {"v": 3})
            await asyncio.to_thread(store.put, ("s",), "sync-none", {"v": 4}, ttl=None)
            started = time.monotonic()
            deadline = started + 30
            while True:
                found = await client.store.search_items(["s"], refresh_ttl=False)
                keys = sorted(item["key"] for item in found["items"])
                if len(keys) == 3 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            assert keys == ["sdk-null", "sdk-ttl", "sync-none"]
            assert time.monotonic() - started >= 1.0  # expired by the default, not at once
            assert await asyncio.to_thread(store.get, ("s",), "sync-none") is not None
    finally:
        await client.aclose()
