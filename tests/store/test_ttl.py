"""TTLs of store items under a controlled clock (in-process app, both databases): expiry is
immediate for every read, reads restart a TTL unless ``refresh_ttl`` is false, a put over an
expired item makes a new one, the sweeper deletes exactly the expired rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from langgraph.store.base import TTLConfig

from memory_api.langgraph import MemoryAPIStore
from memory_api.store import service

pytestmark = pytest.mark.model


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(service, "utcnow", fake)
    return fake


@pytest.fixture
async def store(app: FastAPI) -> AsyncIterator[MemoryAPIStore]:
    transport = httpx.ASGITransport(app=app)
    async with MemoryAPIStore(url="http://test", async_transport=transport) as memory:
        yield memory


async def keys(store: MemoryAPIStore, *, refresh: bool = False) -> list[str]:
    return sorted(item.key for item in await store.asearch(("t",), refresh_ttl=refresh))


async def test_expiry_refresh_and_sweep(app: FastAPI, store: MemoryAPIStore, clock: Clock) -> None:
    await store.aput(("t",), "a", {"v": "a"}, ttl=1)
    await store.aput(("t",), "b", {"v": "b"}, ttl=1)
    await store.aput(("t",), "c", {"v": "c"})  # no TTL: forever
    clock.advance(40)
    assert await store.aget(("t",), "a") is not None  # refreshes: now expires at 100 s
    assert await keys(store) == ["a", "b", "c"]  # refresh_ttl=False: b still expires at 60 s
    clock.advance(40)  # 80 s
    assert await store.aget(("t",), "b") is None
    assert await keys(store) == ["a", "c"]
    assert await store.aget(("t",), "a", refresh_ttl=False) is not None
    clock.advance(21)  # 101 s: a's refreshed TTL is over
    assert await store.aget(("t",), "a") is None
    assert await keys(store) == ["c"]
    assert await store.alist_namespaces() == [("t",)]

    sweeper = app.state.components.store_sweeper
    assert await sweeper.sweep_once(clock()) == 2
    assert await sweeper.sweep_once(clock()) == 0
    assert await keys(store) == ["c"]


async def test_search_refreshes_what_it_returns(store: MemoryAPIStore, clock: Clock) -> None:
    await store.aput(("t",), "a", {"v": 1}, ttl=1)
    await store.aput(("t",), "b", {"v": 2}, ttl=1)
    clock.advance(50)
    found = await store.asearch(("t",), filter={"v": 1}, refresh_ttl=True)
    assert [item.key for item in found] == ["a"]
    clock.advance(50)  # 100 s: a was refreshed at 50 s, b was not
    assert await keys(store) == ["a"]
    clock.advance(11)
    assert await keys(store) == []
    assert await store.alist_namespaces() == []


async def test_put_over_an_expired_item_is_a_new_item(store: MemoryAPIStore, clock: Clock) -> None:
    await store.aput(("t",), "a", {"v": 1}, ttl=1)
    first = await store.aget(("t",), "a", refresh_ttl=False)
    assert first is not None
    clock.advance(30)
    await store.aput(("t",), "a", {"v": 2}, ttl=1)  # live: an update
    second = await store.aget(("t",), "a", refresh_ttl=False)
    assert second is not None
    assert second.created_at == first.created_at
    assert second.updated_at == clock()
    clock.advance(61)
    await store.aput(("t",), "a", {"v": 3})  # expired: a new item, without TTL now
    third = await store.aget(("t",), "a")
    assert third is not None
    assert third.created_at == third.updated_at == clock()
    clock.advance(10**6)
    assert await store.aget(("t",), "a") is not None


async def test_client_ttl_config_default(app: FastAPI, clock: Clock) -> None:
    transport = httpx.ASGITransport(app=app)
    config = TTLConfig(default_ttl=2, refresh_on_read=False)
    async with MemoryAPIStore(url="http://test", async_transport=transport, ttl=config) as store:
        await store.aput(("t",), "a", {"v": 1})
        clock.advance(100)
        assert await store.aget(("t",), "a") is not None  # not refreshed: refresh_on_read=False
        clock.advance(21)
        assert await store.aget(("t",), "a") is None
