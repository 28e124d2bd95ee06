"""``MemoryAPIStore``'s async calls of one event-loop tick share one ``abatch`` (LangGraph's
own queue runner, with its deduplication), counted at the injectable transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from langgraph.store.base import GetOp, Item, Op, PutOp, Result

from memory_api.langgraph import MemoryAPIStore
from memory_api.testing.server import ServerProcess

pytestmark = pytest.mark.model


class Counting(httpx.AsyncBaseTransport):
    """The app's ASGI transport, counting requests and the most in flight at once."""

    def __init__(self, app: FastAPI) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.requests: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.method)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)  # the requests of one batch overlap here
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1


@pytest.fixture
def transport(app: FastAPI) -> Counting:
    return Counting(app)


@pytest.fixture
async def store(transport: Counting) -> AsyncIterator[MemoryAPIStore]:
    async with MemoryAPIStore(url="http://test", async_transport=transport) as memory:
        yield memory


async def test_one_tick_is_one_batch(
    store: MemoryAPIStore, transport: Counting, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[list[Op]] = []
    abatch = store.abatch

    async def recording(ops: list[Op]) -> list[Result]:
        batches.append(list(ops))
        return await abatch(ops)

    monkeypatch.setattr(store, "abatch", recording)
    await asyncio.gather(
        *(store.aput(("t",), f"k{i}", {"n": i}) for i in range(4)),
        store.aput(("t",), "k0", {"n": 10}),  # same key in the same tick: the last put wins
    )
    assert len(batches) == 1
    assert [op.key for op in batches[0]] == ["k0", "k1", "k2", "k3"]  # type: ignore[union-attr]
    assert transport.requests == ["PUT"] * 4
    assert transport.most_in_flight == 4

    transport.requests.clear()
    got = await asyncio.gather(
        store.aget(("t",), "k0"),
        store.aget(("t",), "k0"),  # deduplicated
        store.aget(("t",), "k1"),
        store.asearch(("t",), filter={"n": {"$gte": 2}}),
        store.alist_namespaces(),
    )
    assert len(batches) == 2
    assert transport.requests == ["GET", "GET", "POST", "POST"]
    assert got[0] is not None and got[0].value == {"n": 10}
    assert got[1] == got[0]
    assert sorted(item.key for item in got[3]) == ["k0", "k2", "k3"]
    assert got[4] == [("t",)]

    transport.requests.clear()
    await store.aput(("t",), "a", {"n": 1})
    assert await store.aget(("t",), "a") is not None  # one after the other: two batches
    assert len(batches) == 4


async def test_a_batch_keeps_the_order_of_its_writes_and_reads(
    store: MemoryAPIStore, transport: Counting
) -> None:
    results = await store.abatch(
        [
            PutOp(("t",), "a", {"n": 1}),
            PutOp(("t",), "a", {"n": 2}),  # the same key: after the first
            GetOp(("t",), "a"),
            PutOp(("t",), "a", None),
            GetOp(("t",), "a"),
        ]
    )
    assert results[2] is not None and results[2].value == {"n": 2}  # type: ignore[union-attr]
    assert results[4] is None
    assert transport.most_in_flight == 1


@pytest.mark.slow
def test_the_batch_runner_follows_the_event_loop(
    server: ServerProcess, tenant_key: tuple[str, str]
) -> None:
    """One store used by two ``asyncio.run`` loops in turn (closing its async side at the end
    of each, as ``async with`` does), and by its sync methods between."""
    store = MemoryAPIStore(url=server.url, api_key=tenant_key[1])

    async def write() -> None:
        await asyncio.gather(store.aput(("t",), "a", {"n": 1}), store.aput(("t",), "b", {}))
        await store.aclose()

    async def read() -> list[Item | None]:
        found = await asyncio.gather(store.aget(("t",), "a"), store.aget(("t",), "c"))
        await store.aclose()
        return list(found)

    asyncio.run(write())
    store.put(("t",), "c", {"n": 3}, ttl=None)
    first, third = asyncio.run(read())
    assert first is not None and first.value == {"n": 1}
    assert third is not None and third.value == {"n": 3}
