"""``query`` runs the service's hybrid retrieval over the store collection (in-process app, both
databases, the real model): a rare number the embedding misses is found by its lexical
postings, a paraphrase by its vector; prefix, filter and expiry restrict both lists; the items'
documents are a collection of the tenant like any other, and the lexical index stays exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.collections.repository import CollectionRepository
from memory_api.collections.sweeper import CollectionSweeper
from memory_api.search.lexical.consistency import check_lexical
from memory_api.store import service
from memory_api.store.documents import STORE_COLLECTION, item_doc_id

pytestmark = pytest.mark.model

INVOICES = {
    "plumber": "Paid the plumber, invoice 40417, for the kitchen sink repair",
    "folder": "The user keeps every invoice in a blue folder",
    "electrician": "Invoice number 40471 from the electrician is still unpaid",
    "roof": "An invoice arrived for the roof",
}


async def put(client: httpx.AsyncClient, namespace: list[str], key: str, **fields: Any) -> None:
    body = {"namespace": namespace, "key": key, **fields}
    response = await client.put("/store/items", json=body)
    assert response.status_code == 204, response.text


async def search(client: httpx.AsyncClient, **body: Any) -> list[tuple[str, float | None]]:
    response = await client.post("/store/items/search", json=body)
    assert response.status_code == 200, response.text
    return [(item["key"], item["score"]) for item in response.json()["items"]]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


async def test_a_rare_number_is_found_by_its_postings(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for key, text in INVOICES.items():
        await put(client, ["house"], key, value={"text": text}, index=["text"])
    # the precondition: the embedding alone ranks another invoice first
    embedder = app.state.components.embedder
    query = await embedder.embed_query("invoice 40417")
    vectors = await embedder.embed_documents(list(INVOICES.values()))
    by_cosine = sorted(
        zip(INVOICES, (cosine(query, vector) for vector in vectors), strict=True),
        key=lambda pair: -pair[1],
    )
    assert by_cosine[0][0] != "plumber"

    found = await search(client, query="invoice 40417")
    assert found[0][0] == "plumber"
    scores = [score for _, score in found]
    assert all(score is not None and 0.0 <= score <= 1.0 for score in scores)
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]


async def test_a_paraphrase_is_found_by_its_vector(client: httpx.AsyncClient) -> None:
    memories = {
        "club": "The user's favourite football club is Arsenal",
        "food": "The user is allergic to peanuts",
        "home": "The user lives in Lisbon, Portugal",
    }
    for key, text in memories.items():
        await put(client, ["mem"], key, value={"text": text}, index=["text"])
    # no term in common with any item: the lexical list is empty, the semantic one decides
    assert (await search(client, query="soccer team", limit=1))[0][0] == "club"
    assert (await search(client, query="nut intolerance", limit=1))[0][0] == "food"


async def test_prefix_and_filter_restrict_both_lists(client: httpx.AsyncClient) -> None:
    for user in ("u1", "u2"):
        for key, text in INVOICES.items():
            value = {"text": text, "paid": key == "plumber", "year": 2020 + len(key) % 3}
            await put(client, ["house", user], key, value=value, index=["text"])
    await put(client, ["elsewhere"], "plumber", value={"text": INVOICES["plumber"]})

    def namespaces(response: httpx.Response) -> set[tuple[str, ...]]:
        return {tuple(item["namespace"]) for item in response.json()["items"]}

    body = {"query": "invoice 40417", "namespace_prefix": ["house", "u2"], "limit": 20}
    response = await client.post("/store/items/search", json=body)
    assert namespaces(response) == {("house", "u2")}
    assert response.json()["items"][0]["key"] == "plumber"
    assert len(response.json()["items"]) == len(INVOICES)

    unpaid = await search(client, **body, filter={"paid": False})
    assert "plumber" not in [key for key, _ in unpaid]
    assert len(unpaid) == len(INVOICES) - 1
    assert all(score is not None for _, score in unpaid)
    recent = await search(client, **body, filter={"year": {"$gte": 2021}})
    expected = {key for key in INVOICES if 2020 + len(key) % 3 >= 2021}
    assert {key for key, _ in recent} == expected
    # a page of the ranking, then the rest
    first = await search(client, query="invoice 40417", namespace_prefix=["house"], limit=3)
    rest = await search(
        client, query="invoice 40417", namespace_prefix=["house"], limit=20, offset=3
    )
    everything = await search(client, query="invoice 40417", namespace_prefix=["house"], limit=20)
    assert first + rest == everything
    assert len(everything) == 2 * len(INVOICES)


async def test_expired_items_never_appear(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    monkeypatch.setattr(service, "utcnow", lambda: now)
    await put(client, ["t"], "short", value={"text": INVOICES["plumber"]}, index=["text"], ttl=1)
    await put(client, ["t"], "long", value={"text": INVOICES["roof"]}, index=["text"])
    await put(client, ["t"], "plain", value={"text": "invoice 40417"}, index=False, ttl=1)
    assert {key for key, _ in await search(client, query="invoice 40417")} == {
        "short",
        "long",
        "plain",
    }
    now += timedelta(minutes=1, seconds=1)
    assert await search(client, query="invoice 40417") == [("long", 1.0)]
    assert await search(client, query="invoice 40417", offset=1) == []
    assert [key for key, _ in await search(client)] == ["long"]

    async def documents() -> int:
        response = await client.get(f"/collections/{STORE_COLLECTION}")
        assert response.status_code == 200, response.text
        count: int = response.json()["documents"]
        return count

    assert await documents() == 3  # until swept
    assert await app.state.components.store_sweeper.sweep_once(now) == 2
    assert await documents() == 1
    await assert_lexical_exact(app)


async def assert_lexical_exact(app: FastAPI) -> None:
    database = app.state.components.database
    async with database.reading() as session:
        collections = await CollectionRepository(session).list_live(DEFAULT_TENANT)
    (collection,) = [record for record in collections if record.name == STORE_COLLECTION]
    assert (await check_lexical(database, collection.id)).consistent


async def test_items_are_documents_of_the_store_collection(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert STORE_COLLECTION not in [c["name"] for c in (await client.get("/collections")).json()]
    await put(
        client, ["a", "b"], "k1", value={"text": "first words", "n": [{"t": "x"}, {"t": "y"}]}
    )
    await put(client, ["a"], "k2", value={"n": [{"t": "one"}, {"t": "two"}]}, index=["n[*].t"])
    await put(client, ["a"], "k3", value={"text": "not indexed"}, index=False)
    listed = {c["name"]: c for c in (await client.get("/collections")).json()}
    assert listed[STORE_COLLECTION]["documents"] == 3
    assert listed[STORE_COLLECTION]["chunks"] == 3  # "$" for k1, two elements for k2
    # replaced: its old texts leave both indexes (assert_lexical_exact), the new ones enter
    await put(client, ["a"], "k2", value={"n": [{"t": "three"}]}, index=["n[*].t"])
    assert (await search(client, query="three"))[0] == ("k2", 1.0)
    await assert_lexical_exact(app)
    delete = {"namespace": ["a", "b"], "key": "k1"}
    assert (await client.request("DELETE", "/store/items", json=delete)).status_code == 204
    info = (await client.get(f"/collections/{STORE_COLLECTION}")).json()
    assert (info["documents"], info["chunks"]) == (2, 1)
    await assert_lexical_exact(app)


async def test_the_documents_api_reads_and_deletes_items_but_does_not_write_them(
    client: httpx.AsyncClient,
) -> None:
    await put(client, ["n"], "k", value={"text": "the spare key is under the mat"}, index=["text"])
    documents = f"/collections/{STORE_COLLECTION}/documents"
    doc_id = item_doc_id(["n"], "k")
    read = await client.get(f"{documents}/{doc_id}", params={"include_chunks": "true"})
    assert read.status_code == 200, read.text
    assert read.json()["source"] == "store"
    assert read.json()["metadata"] == {"namespace": ["n"], "key": "k"}
    assert [chunk["text"] for chunk in read.json()["chunks"]] == ["the spare key is under the mat"]
    written = await client.put(f"{documents}/{doc_id}", json={"text": "something else"})
    assert written.status_code == 422 and "PUT /store/items" in written.json()["detail"]
    assert (await client.delete(f"{documents}/{doc_id}")).status_code == 204
    gone = await client.get("/store/items", params={"namespace": "n", "key": "k"})
    assert gone.status_code == 404


async def test_deleting_the_store_collection_deletes_the_items(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await put(client, ["n"], "old", value={"text": "kept until the sweep"}, index=["text"])
    assert (await client.delete(f"/collections/{STORE_COLLECTION}")).status_code == 204
    components = app.state.components  # the app's own sweeper may have run already
    await CollectionSweeper(components.database, components.vectors, interval=60).sweep()
    assert await search(client) == []
    await put(client, ["n"], "new", value={"text": "written after"}, index=["text"])  # a new one
    assert await search(client) == [("new", None)]
    assert (await search(client, query="written after"))[0][0] == "new"
