"""Collections over HTTP: create, list, show, delete (hidden at once, swept in the background,
and swept by the next process when the one that deleted stopped first). Both backend pairs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from memory_api.app import create_app
from memory_api.collections.models import Collection
from memory_api.collections.sweeper import CollectionSweeper
from memory_api.documents.models import Chunk, Document
from memory_api.errors import VectorStoreUnavailable
from memory_api.settings import Settings
from memory_api.testing.database import clear_tables

NOTE = "Lighthouses guide ships along rocky coasts at night with rotating lamps."


@asynccontextmanager
async def serving(settings: Settings, *, run_worker: bool) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, run_worker=run_worker)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http


async def rows(app: FastAPI) -> tuple[int, int, int]:
    """(collections incl. deleted, documents, chunks) in the database."""
    async with app.state.components.database.reading() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (Collection, Document, Chunk)
        ]
    return counts[0], counts[1], counts[2]


async def vector_collection(app: FastAPI, name: str) -> str:
    async with app.state.components.database.reading() as session:
        found = await session.scalar(
            select(Collection.vector_collection).where(Collection.name == name)
        )
    assert found is not None
    return str(found)


async def wait_until_swept(app: FastAPI, vectors: str, limit: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    store = app.state.components.vectors
    while await rows(app) != (0, 0, 0) or await store.collection_info(vectors) is not None:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"not swept after {limit}s: {await rows(app)}")
        await asyncio.sleep(0.1)


async def test_create_list_show(lt_client: httpx.AsyncClient) -> None:
    created = await lt_client.post(
        "/collections",
        json={"name": "notes", "metadata": {"team": "ops"}, "chunk_size": 300, "chunk_overlap": 30},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body.pop("created_at").endswith(("Z", "+00:00"))
    assert body == {
        "name": "notes",
        "metadata": {"team": "ops"},
        "documents": 0,
        "chunks": 0,
        "embedding_model": "all-MiniLM-L6-v2-int8",  # the default build for a new database
        "embedding_dimension": 384,
        "chunk_size": 300,
        "chunk_overlap": 30,
    }
    plain = await lt_client.post("/collections", json={"name": "a-0_z"})
    assert plain.status_code == 201
    assert (plain.json()["chunk_size"], plain.json()["chunk_overlap"]) == (1000, 200)
    small = await lt_client.post("/collections", json={"name": "small", "chunk_size": 50})
    assert (small.json()["chunk_size"], small.json()["chunk_overlap"]) == (50, 10)

    again = await lt_client.post("/collections", json={"name": "notes"})
    assert again.status_code == 409
    assert again.json() == {"detail": "Collection 'notes' already exists"}

    put = await lt_client.put("/collections/notes/documents/n1", json={"text": NOTE})
    assert put.status_code == 201, put.text
    listed = (await lt_client.get("/collections")).json()
    assert [(c["name"], c["documents"], c["chunks"]) for c in listed] == [
        ("a-0_z", 0, 0),
        ("notes", 1, 1),
        ("small", 0, 0),
    ]
    shown = await lt_client.get("/collections/notes")
    assert shown.status_code == 200
    assert shown.json() == listed[1]
    missing = await lt_client.get("/collections/nope")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Collection 'nope' not found"}


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "Notes"},
        {"name": "a" * 64},
        {"name": "a b"},
        {"name": "é"},
        {"name": "notes", "chunk_size": 49},
        {"name": "notes", "chunk_overlap": -1},
        {"name": "notes", "chunk_size": 100, "chunk_overlap": 100},
        {"name": "notes", "metadata": []},
        {"name": "notes", "unknown": 1},
    ],
)
async def test_invalid_collections_are_422(
    lt_client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await lt_client.post("/collections", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]
    assert (await lt_client.get("/collections")).json() == []


async def test_chunk_overlap_error_names_both_values(lt_client: httpx.AsyncClient) -> None:
    response = await lt_client.post(
        "/collections", json={"name": "n", "chunk_size": 100, "chunk_overlap": 100}
    )
    assert response.json() == {
        "detail": "chunk_overlap (100) must be smaller than chunk_size (100)"
    }
    for path in ("/collections/Bad", "/collections/" + "a" * 64):
        assert (await lt_client.get(path)).status_code == 422
        assert (await lt_client.delete(path)).status_code == 422


async def test_delete_hides_at_once_then_removes_everything(
    lt_client: httpx.AsyncClient, lt_app: FastAPI
) -> None:
    assert (await lt_client.post("/collections", json={"name": "notes"})).status_code == 201
    batch = [{"doc_id": f"d{i}", "text": f"{NOTE} Number {i}."} for i in range(3)]
    written = await lt_client.post("/collections/notes/documents/batch", json={"documents": batch})
    assert written.json()["created"] == 3
    vectors = await vector_collection(lt_app, "notes")
    assert await lt_app.state.components.vectors.count(vectors) == 3

    deleted = await lt_client.delete("/collections/notes")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await lt_client.get("/collections/notes")).status_code == 404
    assert (await lt_client.get("/collections")).json() == []
    assert (await lt_client.get("/collections/notes/documents")).status_code == 404
    query = {"query": "lighthouse", "collection": "notes", "mode": "semantic"}
    assert (await lt_client.post("/rag_query", json=query)).status_code == 404
    assert (await lt_client.delete("/collections/notes")).status_code == 404

    await wait_until_swept(lt_app, vectors)

    # The name is free again, and the new collection starts empty.
    assert (await lt_client.post("/collections", json={"name": "notes"})).status_code == 201
    assert (await lt_client.get("/collections/notes")).json()["documents"] == 0
    assert (await lt_client.post("/rag_query", json=query)).json()["results"] == []


async def test_a_deletion_left_unfinished_is_finished_by_the_next_process(
    lt_settings: Settings,
) -> None:
    """The process that deleted stops before sweeping (here: it runs no background work):
    the collection stays hidden, its rows wait, and the next process to start removes them."""
    async with serving(lt_settings, run_worker=False) as first:
        app: FastAPI = first.app  # type: ignore[attr-defined]
        await clear_tables(app.state.components.database.engine)
        assert (await first.post("/collections", json={"name": "notes"})).status_code == 201
        doc = await first.put("/collections/notes/documents/d1", json={"text": NOTE})
        assert doc.status_code == 201
        vectors = await vector_collection(app, "notes")
        assert (await first.delete("/collections/notes")).status_code == 204
        assert (await first.get("/collections")).json() == []
        await asyncio.sleep(0.5)
        assert await rows(app) == (1, 1, 1)  # nothing swept in this process
        assert await app.state.components.vectors.count(vectors) == 1

    async with serving(lt_settings, run_worker=True) as second:
        await wait_until_swept(second.app, vectors)  # type: ignore[attr-defined]
        assert (await second.get("/collections")).json() == []


async def test_chunk_keys_freed_by_a_sweep_cut_short_are_reused_cleanly(
    lt_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep removes the documents, then the vector store fails before the registry row
    goes: the collection's lexical rows must not outlive its chunks, or a new chunk that gets
    a freed key (SQLite reuses the highest) collides with them."""
    async with serving(lt_settings, run_worker=False) as http:
        app: FastAPI = http.app  # type: ignore[attr-defined]
        components = app.state.components
        await clear_tables(components.database.engine)
        assert (await http.post("/collections", json={"name": "notes"})).status_code == 201
        assert (await http.post("/collections", json={"name": "other"})).status_code == 201
        put = await http.put("/collections/notes/documents/d1", json={"text": NOTE})
        assert put.status_code == 201
        assert (await http.delete("/collections/notes")).status_code == 204

        async def down(name: str) -> None:
            raise VectorStoreUnavailable("the vector store is down")

        monkeypatch.setattr(components.vectors, "delete_collection", down)
        sweeper = CollectionSweeper(components.database, components.vectors, interval=60)
        with pytest.raises(VectorStoreUnavailable):
            await sweeper.sweep()
        assert await rows(app) == (2, 0, 0)  # documents gone, registry row still there

        text = "Zanzibar ferries leave at dawn."
        put = await http.put("/collections/other/documents/o1", json={"text": text})
        assert put.status_code == 201, put.text
        query = {"query": "zanzibar", "collection": "other", "mode": "lexical"}
        found = (await http.post("/rag_query", json=query)).json()["results"]
        assert [hit["content"] for hit in found] == [text]


async def test_rag_stats_of_a_collection(lt_client: httpx.AsyncClient) -> None:
    assert (await lt_client.post("/collections", json={"name": "notes"})).status_code == 201
    await lt_client.put("/collections/notes/documents/n1", json={"text": NOTE})
    stats = (await lt_client.get("/rag_stats", params={"collection": "notes"})).json()
    assert (stats["collection"], stats["documents"], stats["chunks"]) == ("notes", 1, 1)
    assert stats["vectors"] == 1
    assert stats["by_extension"] == {"": {"documents": 1, "chunks": 1}}
    default = (await lt_client.get("/rag_stats")).json()
    assert (default["documents"], default["chunks"]) == (0, 0)
    missing = await lt_client.get("/rag_stats", params={"collection": "nope"})
    assert (missing.status_code, missing.json()) == (404, {"detail": "Collection 'nope' not found"})
    assert (await lt_client.get("/rag_stats", params={"collection": "No"})).status_code == 422
