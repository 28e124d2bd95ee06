"""One conformance suite for the Chroma adapter, embedded and against a real `chroma run`."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from memory_api.components import chroma_config
from memory_api.errors import EmbeddingModelMismatch, VectorStoreUnavailable
from memory_api.settings import Settings
from memory_api.testing.chroma_server import ChromaServer
from memory_api.testing.tcp_proxy import TcpProxy
from memory_api.vectorstore import chroma
from memory_api.vectorstore.chroma import VectorStore

DIM = 8


@pytest.fixture(params=["embedded", "server"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    options: dict[str, Any] = {"data_dir": tmp_path}
    if request.param == "server":
        running: ChromaServer = request.getfixturevalue("chroma_server")
        options.update(chroma_host=running.host, chroma_port=running.port)
    return Settings(_env_file=None, **options)  # type: ignore[call-arg]


@pytest.fixture
async def store(store_settings: Settings) -> VectorStore:
    vector_store = VectorStore.from_config(chroma_config(store_settings))
    await vector_store.start()
    return vector_store


@pytest.fixture
def name() -> str:
    return f"c-{uuid.uuid4().hex[:10]}"


def unit(angle_degrees: float) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[0], vector[1] = np.cos(np.radians(angle_degrees)), np.sin(np.radians(angle_degrees))
    return vector


async def fill(store: VectorStore, name: str, angles: list[float]) -> None:
    await store.ensure_collection(name, model="m", dimension=DIM)
    await store.upsert(
        name,
        ids=[f"id{a:g}" for a in angles],
        embeddings=np.stack([unit(a) for a in angles]),
    )


async def test_cosine_round_trip_and_order(store: VectorStore, name: str) -> None:
    await fill(store, name, [0, 10, 60, 90, 180])
    hits = await store.query(name, unit(0), top_k=3)
    assert [h.id for h in hits] == ["id0", "id10", "id60"]
    for hit, angle in zip(hits, [0, 10, 60], strict=True):
        assert hit.distance == pytest.approx(1 - np.cos(np.radians(angle)), abs=1e-4)


async def test_search_among_given_ids(store: VectorStore, name: str) -> None:
    await fill(store, name, [0, 10, 20, 40])
    hits = await store.query(name, unit(0), top_k=5, ids=["id20", "id40", "id-missing"])
    assert [h.id for h in hits] == ["id20", "id40"]
    assert await store.query(name, unit(0), top_k=5, ids=[]) == []


async def test_missing_or_empty_collection(store: VectorStore, name: str) -> None:
    assert await store.query(name, unit(0), top_k=3) == []
    assert await store.count(name) == 0
    assert await store.ids(name) == set()
    assert await store.collection_info(name) is None
    await store.ensure_collection(name, model="m", dimension=DIM)
    assert await store.query(name, unit(0), top_k=3) == []
    assert await store.collection_info(name) == {"embedding_model": "m", "embedding_dimension": DIM}


async def test_batches_deletes_and_paging(
    store_settings: Settings, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = VectorStore.from_config(chroma_config(store_settings))
    store._batch_size = 7  # force several batches per call
    monkeypatch.setattr(chroma, "ID_PAGE", 10)  # and several pages of ids
    await store.ensure_collection(name, model="m", dimension=DIM)
    ids = [f"v{i}" for i in range(50)]
    vectors = np.random.default_rng(1).standard_normal((50, DIM)).astype(np.float32)
    await store.upsert(name, ids, vectors)
    assert await store.count(name) == 50
    assert await store.ids(name) == set(ids)  # five full pages, then an empty one
    await store.delete(name, [*ids[:23], "never-existed"])
    assert await store.ids(name) == set(ids[23:])  # 10 + 10 + 7
    assert await store.count(name) == 27


async def test_deleted_collection_is_seen_by_a_cached_handle(
    store: VectorStore, store_settings: Settings, name: str
) -> None:
    await fill(store, name, [0, 10])
    other = VectorStore.from_config(chroma_config(store_settings))  # like another process
    await other.delete_collection(name)
    assert await store.query(name, unit(0), top_k=2) == []


@pytest.mark.slow
@pytest.mark.chroma_server  # starts its own
async def test_server_outage_and_recovery(tmp_path: Path, name: str) -> None:
    server = ChromaServer(tmp_path / "own")
    server.start()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, chroma_host=server.host, chroma_port=server.port
    )
    store = VectorStore.from_config(chroma_config(settings))
    await store.start()
    await fill(store, name, [0, 30])
    server.stop()
    with pytest.raises(VectorStoreUnavailable, match=f"{server.host}:{server.port}"):
        await store.heartbeat()
    with pytest.raises(VectorStoreUnavailable):
        await store.query(name, unit(0), top_k=1)
    server.start()  # same port, same data
    await store.heartbeat()
    assert [h.id for h in await store.query(name, unit(0), top_k=1)] == ["id0"]
    server.stop()


async def test_start_does_not_raise_when_server_is_down(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=9
    )
    store = VectorStore.from_config(chroma_config(settings))
    await store.start()
    with pytest.raises(VectorStoreUnavailable):
        await store.heartbeat()


async def test_a_server_that_stops_answering_times_out(
    chroma_server: ChromaServer, tmp_path: Path, name: str
) -> None:
    """A Chroma server that accepts connections but never answers: 503 after
    MEMORY_API_CHROMA_TIMEOUT, for a store already connected and for a new one; then recovery."""
    proxy = TcpProxy(chroma_server.host, chroma_server.port)
    await proxy.start()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        chroma_host="127.0.0.1",
        chroma_port=proxy.port,
        chroma_timeout=1.0,
    )
    store = VectorStore.from_config(chroma_config(settings))
    await store.start()
    await fill(store, name, [0, 30])
    proxy.stall()
    try:
        with pytest.raises(VectorStoreUnavailable, match="Timeout"):
            await asyncio.wait_for(store.query(name, unit(0), top_k=1), 20)
        fresh = VectorStore.from_config(chroma_config(settings))
        await asyncio.wait_for(fresh.start(), 20)  # logs, does not raise or hang
        with pytest.raises(VectorStoreUnavailable, match="Timeout"):
            await asyncio.wait_for(fresh.heartbeat(), 20)
    finally:
        proxy.resume()
    assert [h.id for h in await store.query(name, unit(0), top_k=1)] == ["id0"]
    await proxy.cut()


async def test_vectors_of_another_dimension_are_a_conflict(
    store: VectorStore, store_settings: Settings, name: str
) -> None:
    """A collection filled outside the service (no model recorded) with other vectors."""
    await store.ensure_collection(name, model="m", dimension=DIM)
    await store.upsert(name, ["a"], np.stack([unit(0)]))
    with pytest.raises(EmbeddingModelMismatch, match="dimension"):
        await store.query(name, np.ones(DIM * 2, dtype=np.float32), top_k=1)
