"""``MemoryAPIStore`` against a real server process: the semantics of LangGraph's own store
tests (``libs/checkpoint/tests/test_store.py``, ``checkpoint-postgres/tests/test_async_store.py``)
through the sync and the async API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from langgraph.store.base import (
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchOp,
)

from memory_api.client import ValidationError
from memory_api.langgraph import MemoryAPIStore
from memory_api.testing.server import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.model]


@pytest.fixture
def store(server: ServerProcess, tenant_key: tuple[str, str]) -> Iterator[MemoryAPIStore]:
    with MemoryAPIStore(url=server.url, api_key=tenant_key[1]) as memory:
        yield memory


@pytest.fixture
async def astore(
    server: ServerProcess, tenant_key: tuple[str, str]
) -> AsyncIterator[MemoryAPIStore]:
    async with MemoryAPIStore(url=server.url, api_key=tenant_key[1]) as memory:
        yield memory


def test_sync_put_get_update_delete(store: MemoryAPIStore) -> None:
    namespace = ("test", "documents")
    assert store.get(namespace, "doc1") is None
    store.put(namespace, "doc1", {"title": "Test Document", "n": 1})
    item = store.get(namespace, "doc1")
    assert isinstance(item, Item)
    assert (item.namespace, item.key, item.value) == (
        namespace,
        "doc1",
        {"title": "Test Document", "n": 1},
    )
    store.put(namespace, "doc1", {"title": "Updated"})
    updated = store.get(namespace, "doc1")
    assert updated is not None
    assert updated.value == {"title": "Updated"}
    assert updated.created_at == item.created_at
    assert updated.updated_at > item.updated_at
    store.delete(namespace, "doc1")
    assert store.get(namespace, "doc1") is None
    # the namespace is its labels: a sibling, a parent and a child are other namespaces
    store.put(("test",), "doc1", {"where": "parent"})
    store.put(("test", "documents", "x"), "doc1", {"where": "child"})
    assert store.get(namespace, "doc1") is None


def test_sync_namespace_rules(store: MemoryAPIStore) -> None:
    with pytest.raises(InvalidNamespaceError):
        store.put((), "k", {"v": 1})
    with pytest.raises(InvalidNamespaceError):
        store.put(("a.b",), "k", {"v": 1})
    with pytest.raises(InvalidNamespaceError):
        store.put(("a", ""), "k", {"v": 1})
    with pytest.raises(ValidationError) as long_key:  # the server's 422, as the SDK's error
        store.put(("a",), "k" * 257, {"v": 1})
    assert "256" in str(long_key.value)
    assert store.search(("a",)) == []


def test_sync_search(store: MemoryAPIStore) -> None:
    store.put(("docs", "a"), "d1", {"status": "active", "score": 4.5, "tag": "x"})
    store.put(("docs", "a"), "d2", {"status": "inactive", "score": 3.0, "tag": "y"})
    store.put(("docs", "b"), "d3", {"status": "active", "score": 5.0, "tag": "x"})
    store.put(("notes",), "n1", {"status": "active", "score": 1.0})

    def keys(found: list[object]) -> list[str]:
        return [item.key for item in found]  # type: ignore[attr-defined]

    assert keys(store.search(("docs",))) == ["d3", "d2", "d1"]
    assert keys(store.search(("docs",), filter={"status": "active"})) == ["d3", "d1"]
    assert keys(store.search((), filter={"score": {"$gte": 4.5}})) == ["d3", "d1"]
    assert keys(store.search((), filter={"score": {"$lt": 3.0}})) == ["n1"]
    assert keys(store.search((), filter={"tag": {"$ne": "x"}})) == ["n1", "d2"]
    assert keys(store.search(("docs",), filter={"status": "active", "tag": "x"})) == ["d3", "d1"]
    assert keys(store.search(("docs",), limit=1, offset=1)) == ["d2"]
    assert keys(store.search(("missing",))) == []


def test_sync_list_namespaces(store: MemoryAPIStore) -> None:
    namespaces = [
        ("a", "b", "c"),
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
        ("a", "c", "f"),
        ("b", "a", "f"),
        ("users", "123"),
        ("users", "456", "settings"),
    ]
    for namespace in namespaces:
        store.put(namespace, "k", {"v": 1}, index=False)
    assert store.list_namespaces() == sorted(namespaces)
    assert store.list_namespaces(prefix=("a", "b")) == [
        ("a", "b", "c"),
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
    ]
    assert store.list_namespaces(suffix=("f",)) == [
        ("a", "b", "f"),
        ("a", "c", "f"),
        ("b", "a", "f"),
    ]
    assert store.list_namespaces(prefix=("a", "*", "f")) == [("a", "b", "f"), ("a", "c", "f")]
    assert store.list_namespaces(prefix=("a",), suffix=("d", "*")) == [
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
    ]
    assert store.list_namespaces(prefix=("a", "b"), max_depth=3) == [
        ("a", "b", "c"),
        ("a", "b", "d"),
        ("a", "b", "f"),
    ]
    assert store.list_namespaces(limit=2, offset=6) == [
        ("users", "123"),
        ("users", "456", "settings"),
    ]
    store.delete(("users", "123"), "k")
    assert ("users", "123") not in store.list_namespaces(prefix=("users",))


def test_sync_batch_keeps_order(store: MemoryAPIStore) -> None:
    results = store.batch(
        [
            PutOp(("b",), "k1", {"v": 1}),
            GetOp(("b",), "k1"),
            PutOp(("b",), "k1", {"v": 2}),
            GetOp(("b",), "k1"),
            SearchOp(("b",)),
            ListNamespacesOp(match_conditions=(MatchCondition("prefix", ("b",)),)),
            PutOp(("b",), "k1", None),
            GetOp(("b",), "k1"),
        ]
    )
    assert results[0] is None
    assert results[1].value == {"v": 1}  # type: ignore[union-attr]
    assert results[3].value == {"v": 2}  # type: ignore[union-attr]
    assert [item.key for item in results[4]] == ["k1"]  # type: ignore[union-attr]
    assert results[5] == [("b",)]
    assert results[6:] == [None, None]


def test_sync_query_search_scores(store: MemoryAPIStore) -> None:
    store.put(("m",), "food", {"text": "loves spicy Thai curry"}, index=["text"])
    store.put(("m",), "pet", {"text": "has a golden retriever named Max"}, index=["text"])
    store.put(("m",), "raw", {"text": "spicy curry"}, index=False)
    found = store.search(("m",), query="what dog does the user own?")
    assert [item.key for item in found] == ["pet", "food", "raw"]
    assert found[0].score is not None and found[1].score is not None
    assert found[0].score > found[1].score
    assert found[2].score is None


async def test_async_twins_and_concurrent_batch(astore: MemoryAPIStore) -> None:
    await astore.aput(("u", "1"), "a", {"n": 1})
    await asyncio.gather(*(astore.aput(("u", "2"), f"k{i}", {"n": i}) for i in range(5)))
    got = await asyncio.gather(*(astore.aget(("u", "2"), f"k{i}") for i in range(5)))
    assert [item.value for item in got if item is not None] == [{"n": i} for i in range(5)]
    found = await astore.asearch(("u",), filter={"n": {"$gt": 2}})
    assert sorted(item.key for item in found) == ["k3", "k4"]
    assert await astore.alist_namespaces(prefix=("u",)) == [("u", "1"), ("u", "2")]
    results = await astore.abatch(
        [GetOp(("u", "1"), "a"), GetOp(("u", "1"), "missing"), SearchOp(("u", "1"))]
    )
    assert results[0].value == {"n": 1}  # type: ignore[union-attr]
    assert results[1] is None
    assert [item.key for item in results[2]] == ["a"]  # type: ignore[union-attr]
    await astore.adelete(("u", "1"), "a")
    assert await astore.aget(("u", "1"), "a") is None
