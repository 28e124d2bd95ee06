"""Documents sent by clients: PUT, batch, list, read, delete; read-your-writes; every error
status. Both backend pairs, the real model."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from memory_api.documents.identity import path_doc_id

CATS = "Domestic cats purr when content and sleep most of the day in sunny spots."
BONDS = "Government bond prices fall when central banks raise interest rates."
BREAD = "Sourdough bread needs a fed starter, a long overnight ferment and a hot oven."
DOCS = "/collections/notes/documents"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
async def notes(lt_client: httpx.AsyncClient) -> None:
    assert (await lt_client.post("/collections", json={"name": "notes"})).status_code == 201


@pytest.fixture
def embedded(lt_app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the real model embeds for documents, in order."""
    embedder = lt_app.state.components.embedder
    seen: list[str] = []
    original = embedder.embed_documents

    async def counting(texts: list[str], *args: Any, **kwargs: Any) -> list[np.ndarray]:
        seen.extend(texts)
        result: list[np.ndarray] = await original(texts, *args, **kwargs)
        return result

    monkeypatch.setattr(embedder, "embed_documents", counting)
    return seen


async def search(client: httpx.AsyncClient, text: str, **extra: Any) -> list[dict[str, Any]]:
    body = {"query": text, "collection": "notes", "mode": "semantic", **extra}
    response = await client.post("/rag_query", json=body)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


@pytest.mark.usefixtures("notes")
async def test_put_is_searchable_when_it_returns_and_identical_is_not_reembedded(
    lt_client: httpx.AsyncClient, embedded: list[str]
) -> None:
    put = await lt_client.put(f"{DOCS}/pets", json={"text": CATS, "metadata": {"topic": "pets"}})
    assert put.status_code == 201, put.text
    assert put.json() == {
        "doc_id": "pets",
        "status": "created",
        "content_hash": sha256(CATS),
        "chunk_count": 1,
    }
    assert embedded == [CATS]
    hits = await search(lt_client, "Which animal makes a rumbling noise when happy?")
    assert [(h["doc_id"], h["content"]) for h in hits] == [("pets", CATS)]
    assert hits[0]["metadata"] == {
        "source": "pets",
        "extension": "",
        "chunk_index": 0,
        "collection": "notes",
        "topic": "pets",
    }

    same = await lt_client.put(f"{DOCS}/pets", json={"text": CATS, "metadata": {"topic": "pets"}})
    assert same.status_code == 200
    assert same.json()["status"] == "unchanged"
    assert embedded == [CATS]  # nothing embedded again

    # New metadata, same text: replaced, the vector reused (not embedded).
    meta = await lt_client.put(f"{DOCS}/pets", json={"text": CATS, "metadata": {"topic": "cats"}})
    assert (meta.status_code, meta.json()["status"]) == (200, "replaced")
    assert embedded == [CATS]
    filtered = await search(lt_client, "purring", filter_metadata={"topic": "cats"})
    assert [h["doc_id"] for h in filtered] == ["pets"]
    assert await search(lt_client, "purring", filter_metadata={"topic": "pets"}) == []

    replaced = await lt_client.put(f"{DOCS}/pets", json={"text": BONDS})
    assert (replaced.status_code, replaced.json()["status"]) == (200, "replaced")
    assert embedded == [CATS, BONDS]
    hits = await search(lt_client, "what happens to fixed income when rates go up")
    assert [(h["doc_id"], h["content"]) for h in hits] == [("pets", BONDS)]


@pytest.mark.usefixtures("notes")
async def test_a_document_with_its_chunks(lt_client: httpx.AsyncClient) -> None:
    sections = [f"## Part {i}\n" + f"Paragraph {i} about herons and tides. " * 40 for i in range(4)]
    text = "\n\n".join(sections)
    await lt_client.put(f"{DOCS}/long", json={"text": text})
    body = (await lt_client.get(f"{DOCS}/long", params={"include_chunks": "true"})).json()
    chunks = body["chunks"]
    assert len(chunks) == body["chunk_count"] > 1
    assert [chunk["position"] for chunk in chunks] == list(range(len(chunks)))
    for chunk in chunks:  # each line of a chunk is the document's (a heading may lead it)
        assert all(line in text for line in chunk["text"].splitlines()), chunk
    assert "Paragraph 0" in chunks[0]["text"] and "Paragraph 3" in chunks[-1]["text"]
    plain = (await lt_client.get(f"{DOCS}/long")).json()
    assert plain["chunks"] is None
    bad = await lt_client.get(f"{DOCS}/long", params={"include_chunks": "maybe"})
    assert bad.status_code == 422


@pytest.mark.usefixtures("notes")
async def test_get_and_delete(lt_client: httpx.AsyncClient, lt_app: FastAPI) -> None:
    await lt_client.put(f"{DOCS}/a:1", json={"text": CATS, "metadata": {"n": 1}})
    await lt_client.put(f"{DOCS}/b", json={"text": CATS})  # shares the vector of a:1
    got = await lt_client.get(f"{DOCS}/a:1")
    assert got.status_code == 200
    body = got.json()
    assert body["created_at"] == body["updated_at"]
    assert body["created_at"].endswith(("Z", "+00:00"))
    del body["created_at"], body["updated_at"]
    assert body == {
        "doc_id": "a:1",
        "source": "api",
        "source_path": None,
        "extension": "",
        "content_hash": sha256(CATS),
        "size_bytes": len(CATS),
        "chunk_count": 1,
        "metadata": {"n": 1},
        "text": CATS,
        "chunks": None,
    }
    await lt_client.put(f"{DOCS}/a:1", json={"text": BREAD})
    later = (await lt_client.get(f"{DOCS}/a:1")).json()
    assert later["created_at"] == got.json()["created_at"] < later["updated_at"]

    deleted = await lt_client.delete(f"{DOCS}/a:1")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (await lt_client.get(f"{DOCS}/a:1")).status_code == 404
    assert (await lt_client.delete(f"{DOCS}/a:1")).json() == {
        "detail": "Document 'a:1' not found in collection 'notes'"
    }
    assert [h["doc_id"] for h in await search(lt_client, "sourdough starter", top_k=5)] == ["b"]
    components = lt_app.state.components
    info = (await lt_client.get("/collections/notes")).json()
    assert (info["documents"], info["chunks"]) == (1, 1)
    async with components.database.reading() as session:
        from memory_api.collections.repository import CollectionRepository

        record = await CollectionRepository(session).get("default", "notes")
    assert record is not None
    assert await components.vectors.ids(record.vector_collection) == {sha256(CATS)}


@pytest.mark.usefixtures("notes")
async def test_batch_writes_the_valid_documents_and_reports_the_others(
    lt_client: httpx.AsyncClient, embedded: list[str]
) -> None:
    await lt_client.put(f"{DOCS}/old", json={"text": BREAD})
    embedded.clear()
    documents = [
        {"doc_id": "cats", "text": CATS, "metadata": {"k": "v"}},
        {"doc_id": "bad id", "text": BONDS},
        {"doc_id": "bonds", "text": BONDS, "metadata": {"source": "x"}},
        {"doc_id": "old", "text": BREAD},
        {"doc_id": "cats", "text": BONDS},
        {"doc_id": "empty", "text": ""},
        {"doc_id": "bonds2", "text": BONDS},
        {"doc_id": "file:0123", "text": BONDS},
        {"doc_id": "batch", "text": BONDS},
    ]
    response = await lt_client.post(f"{DOCS}/batch", json={"documents": documents})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["replaced"], body["unchanged"], body["errors"]) == (2, 0, 1, 6)
    statuses = [(r["doc_id"], r["status"]) for r in body["results"]]
    assert statuses == [
        ("cats", "created"),
        ("bad id", "error"),
        ("bonds", "error"),
        ("old", "unchanged"),
        ("cats", "error"),
        ("empty", "error"),
        ("bonds2", "created"),
        ("file:0123", "error"),
        ("batch", "error"),
    ]
    details = [r["detail"] for r in body["results"] if r["status"] == "error"]
    assert details[1] == "document 'bonds': metadata keys source are reserved (set by the service)"
    assert details[2] == "doc_id 'cats' appears more than once"
    assert details[3] == "document 'empty': text is empty"
    assert details[0].startswith("doc_id 'bad id' is not valid: 1 to 512 characters")
    assert sorted(embedded) == sorted([CATS, BONDS])  # one batch, each text once
    listed = (await lt_client.get(DOCS)).json()
    assert [d["doc_id"] for d in listed["documents"]] == ["bonds2", "cats", "old"]
    hits = [h["doc_id"] for h in await search(lt_client, "interest rates and bonds")]
    assert hits[0] == "bonds2"
    assert sorted(hits) == ["bonds2", "cats", "old"]

    too_many = [{"doc_id": f"d{i}", "text": "x"} for i in range(1001)]
    over = await lt_client.post(f"{DOCS}/batch", json={"documents": too_many})
    assert over.status_code == 422
    assert (await lt_client.post(f"{DOCS}/batch", json={"documents": []})).status_code == 422


@pytest.mark.usefixtures("notes")
async def test_listing_pages_with_a_stable_cursor_and_a_prefix(
    lt_client: httpx.AsyncClient,
) -> None:
    ids = ["a", "a-2", "a.1", "a:3", "aa", "b", "B", "Z~"]
    batch = [{"doc_id": doc_id, "text": f"note {doc_id}"} for doc_id in ids]
    assert (await lt_client.post(f"{DOCS}/batch", json={"documents": batch})).status_code == 200
    seen: list[str] = []
    cursor = None
    pages = 0
    while pages < 10:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await lt_client.get(DOCS, params=params)).json()
        seen += [d["doc_id"] for d in page["documents"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids)  # byte order: upper case first
    assert pages == 3
    prefixed = (await lt_client.get(DOCS, params={"prefix": "a"})).json()
    assert [d["doc_id"] for d in prefixed["documents"]] == ["a", "a-2", "a.1", "a:3", "aa"]
    assert prefixed["next_cursor"] is None
    first = (await lt_client.get(DOCS, params={"limit": 1})).json()["documents"][0]
    assert set(first) == {
        "doc_id",
        "source",
        "source_path",
        "extension",
        "content_hash",
        "size_bytes",
        "chunk_count",
        "metadata",
        "created_at",
        "updated_at",
    }
    bad = await lt_client.get(DOCS, params={"cursor": "%%%"})
    assert bad.status_code == 422
    assert bad.json() == {"detail": "cursor is not one this service returned"}


async def test_folder_documents_appear_in_the_listing(
    lt_client: httpx.AsyncClient, lt_settings: Any, docs: Path, index: Any
) -> None:
    (docs / "cats.md").write_text(CATS)
    assert (await index())["status"] == "completed"
    name = lt_settings.collection_name
    page = (await lt_client.get(f"/collections/{name}/documents")).json()
    path = str(docs / "cats.md")
    assert [(d["doc_id"], d["source"], d["source_path"]) for d in page["documents"]] == [
        (path_doc_id(path), "path", path)
    ]
    detail = (await lt_client.get(f"/collections/{name}/documents/{path_doc_id(path)}")).json()
    assert (detail["text"], detail["extension"]) == (CATS, ".md")
    assert detail["metadata"] == {"relative_path": "cats.md"}


@pytest.mark.usefixtures("notes")
@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PUT", f"{DOCS}/x", {"text": "t", "metadata": {"chunk_index": 1}}, 422),
        ("PUT", f"{DOCS}/x", {"text": "t", "metadata": {"relative_path": "p"}}, 422),
        ("PUT", f"{DOCS}/x", {"text": ""}, 422),
        ("PUT", f"{DOCS}/x", {"text": 5}, 422),
        ("PUT", f"{DOCS}/x", {"metadata": {}}, 422),
        ("PUT", f"{DOCS}/x", {"text": "t", "extra": 1}, 422),
        ("PUT", f"{DOCS}/a%20b", {"text": "t"}, 422),
        ("PUT", f"{DOCS}/a%2Fb", {"text": "t"}, 422),
        ("PUT", f"{DOCS}/" + "x" * 513, {"text": "t"}, 422),
        ("PUT", f"{DOCS}/file:abc", {"text": "t"}, 422),
        ("PUT", "/collections/nope/documents/x", {"text": "t"}, 404),
        ("PUT", "/collections/No/documents/x", {"text": "t"}, 422),
        (
            "POST",
            "/collections/nope/documents/batch",
            {"documents": [{"doc_id": "x", "text": "t"}]},
            404,
        ),
        ("GET", "/collections/nope/documents", None, 404),
        ("GET", "/collections/nope/documents/x", None, 404),
        ("GET", f"{DOCS}/missing", None, 404),
        ("GET", f"{DOCS}/a%2Fb", None, 422),
        ("PUT", f"{DOCS}/batch", {"text": "t"}, 405),
        ("GET", f"{DOCS}/batch", None, 405),
        ("GET", f"{DOCS}?limit=0", None, 422),
        ("GET", f"{DOCS}?limit=1001", None, 422),
        ("DELETE", "/collections/nope/documents/x", None, 404),
        ("DELETE", f"{DOCS}/missing", None, 404),
        ("DELETE", f"{DOCS}/a%2Fb", None, 422),
    ],
)
async def test_error_statuses(
    lt_client: httpx.AsyncClient, method: str, path: str, body: Any, status: int
) -> None:
    response = await lt_client.request(method, path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["detail"]
    if status == 405:
        assert response.headers["allow"] == "POST"
    assert (await lt_client.get(DOCS)).json()["documents"] == []
    assert (await lt_client.get("/collections")).json()[0]["documents"] == 0


@pytest.mark.usefixtures("notes")
async def test_a_failed_batch_writes_nothing(
    lt_client: httpx.AsyncClient, lt_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vector store goes away in the middle of the write (after the rows of the batch were
    inserted in its transaction): 503, and not one document of the batch exists."""
    from memory_api.errors import VectorStoreUnavailable

    await lt_client.put(f"{DOCS}/old", json={"text": BREAD})
    store = lt_app.state.components.vectors

    async def down(*args: Any, **kwargs: Any) -> None:
        raise VectorStoreUnavailable("Vector store unavailable: test")

    monkeypatch.setattr(store, "delete", down)  # the last step of DocumentWriter.write
    batch = [
        {"doc_id": "cats", "text": CATS},
        {"doc_id": "old", "text": BONDS},  # would replace, and orphan BREAD's vector
    ]
    response = await lt_client.post(f"{DOCS}/batch", json={"documents": batch})
    assert response.status_code == 503
    assert response.json() == {"detail": "Vector store unavailable: test"}
    monkeypatch.undo()
    listed = (await lt_client.get(DOCS)).json()["documents"]
    assert [(d["doc_id"], d["content_hash"]) for d in listed] == [("old", sha256(BREAD))]
    assert (await lt_client.get(f"{DOCS}/old")).json()["text"] == BREAD


@pytest.mark.usefixtures("notes")
async def test_concurrent_writes_of_one_doc_id_leave_one_consistent_document(
    lt_client: httpx.AsyncClient, lt_app: FastAPI
) -> None:
    import asyncio

    texts = [CATS, BONDS, BREAD, f"{CATS} {BONDS}", f"{BREAD} {CATS}"]
    responses = await asyncio.gather(
        *(lt_client.put(f"{DOCS}/same", json={"text": text}) for text in texts)
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    final = (await lt_client.get(f"{DOCS}/same")).json()
    assert final["text"] in texts and final["content_hash"] == sha256(final["text"])
    info = (await lt_client.get("/collections/notes")).json()
    assert (info["documents"], info["chunks"]) == (1, 1)
    hits = await search(lt_client, final["text"], top_k=5)
    assert [(h["doc_id"], h["content"]) for h in hits] == [("same", final["text"])]
    from memory_api.collections.repository import CollectionRepository

    components = lt_app.state.components
    async with components.database.reading() as session:
        record = await CollectionRepository(session).get("default", "notes")
    assert record is not None
    assert await components.vectors.ids(record.vector_collection) == {sha256(final["text"])}
