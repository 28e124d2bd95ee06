"""The store API driven by LangGraph's official client, ``langgraph_sdk.get_client().store``,
against a real server process: what a LangGraph Platform user's code does, unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import StoreClient

from memory_api.testing.server import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.model]


@pytest.fixture
async def store(server: ServerProcess, tenant_key: tuple[str, str]) -> AsyncIterator[StoreClient]:
    client = get_client(url=server.url, api_key=tenant_key[1])
    yield client.store
    await client.aclose()


async def test_put_get_delete_round_trip(store: StoreClient) -> None:
    await store.put_item(["users", "u1"], "prefs", {"theme": "dark", "n": 1})
    item = await store.get_item(["users", "u1"], "prefs")
    assert {k: item[k] for k in ("namespace", "key", "value")} == {  # type: ignore[literal-required]
        "namespace": ["users", "u1"],
        "key": "prefs",
        "value": {"theme": "dark", "n": 1},
    }
    created = datetime.fromisoformat(str(item["created_at"]))
    assert datetime.fromisoformat(str(item["updated_at"])) == created

    await store.put_item(["users", "u1"], "prefs", {"theme": "light"})
    replaced = await store.get_item(["users", "u1"], "prefs")
    assert replaced["value"] == {"theme": "light"}
    assert datetime.fromisoformat(str(replaced["created_at"])) == created  # kept on update
    assert datetime.fromisoformat(str(replaced["updated_at"])) > created

    await store.delete_item(["users", "u1"], "prefs")
    with pytest.raises(httpx.HTTPStatusError) as missing:
        await store.get_item(["users", "u1"], "prefs")
    assert missing.value.response.status_code == 404
    await store.delete_item(["users", "u1"], "prefs")  # deleting the absent is no error


async def test_search_prefix_filter_limit_offset(store: StoreClient) -> None:
    for index, (namespace, value) in enumerate(
        [
            (["docs", "a"], {"author": "ann", "year": 2020, "tags": {"lang": "en"}}),
            (["docs", "a"], {"author": "bob", "year": 2021, "tags": {"lang": "fr"}}),
            (["docs", "b"], {"author": "ann", "year": 2022, "tags": {"lang": "en"}}),
            (["other"], {"author": "ann", "year": 2023}),
        ]
    ):
        await store.put_item(namespace, f"k{index}", value, index=False)

    def keys(response: Any) -> list[str]:
        return [item["key"] for item in response["items"]]

    # newest first, only under the prefix
    assert keys(await store.search_items(["docs"])) == ["k2", "k1", "k0"]
    assert keys(await store.search_items(["docs", "a"])) == ["k1", "k0"]
    assert keys(await store.search_items(["do"])) == []  # a prefix of labels, not of text
    assert keys(await store.search_items([])) == ["k3", "k2", "k1", "k0"]
    assert keys(await store.search_items(["docs"], filter={"author": "ann"})) == ["k2", "k0"]
    assert keys(await store.search_items(["docs"], filter={"year": {"$gt": 2020}})) == [
        "k2",
        "k1",
    ]
    assert keys(await store.search_items([], filter={"year": {"$gte": 2021, "$lt": 2023}})) == [
        "k2",
        "k1",
    ]
    assert keys(await store.search_items([], filter={"year": {"$lte": 2020}})) == ["k0"]
    assert keys(await store.search_items([], filter={"author": {"$ne": "ann"}})) == ["k1"]
    assert keys(await store.search_items([], filter={"author": {"$eq": "bob"}})) == ["k1"]
    assert keys(await store.search_items([], filter={"tags.lang": "en"})) == ["k2", "k0"]
    assert keys(await store.search_items([], limit=2)) == ["k3", "k2"]
    assert keys(await store.search_items([], limit=2, offset=2)) == ["k1", "k0"]
    unscored = await store.search_items(["other"])
    assert unscored["items"][0]["score"] is None
    assert unscored["items"][0]["namespace"] == ["other"]


async def test_query_ranks_by_the_indexed_fields(store: StoreClient) -> None:
    memories = {
        "m1": {"text": "The user is allergic to peanuts", "kind": "health"},
        "m2": {"text": "The user's favourite football club is Arsenal", "kind": "sport"},
        "m3": {"text": "The user lives in Lisbon, Portugal", "kind": "place"},
    }
    for key, value in memories.items():
        await store.put_item(["mem", "u1"], key, value, index=["text"])
    await store.put_item(["mem", "u1"], "m4", {"text": "allergic to peanuts"}, index=False)

    found = await store.search_items(["mem"], query="which food allergy does the user have?")
    keys = [item["key"] for item in found["items"]]
    assert keys[0] == "m1"
    assert keys[-1] == "m4"  # not indexed: after every scored item, without a score
    scores = [item["score"] for item in found["items"]]
    assert scores[-1] is None
    assert all(isinstance(score, float) for score in scores[:3])
    assert scores[:3] == sorted(scores[:3], reverse=True)  # type: ignore[type-var]

    city = await store.search_items(["mem"], query="city of residence", limit=1)
    assert [item["key"] for item in city["items"]] == ["m3"]
    sport = await store.search_items(["mem"], query="soccer team", filter={"kind": "sport"})
    assert [item["key"] for item in sport["items"]] == ["m2"]


async def test_index_paths_embed_each_element(store: StoreClient) -> None:
    value = {"title": "groceries", "notes": [{"body": "buy fresh basil"}, {"body": "oat milk"}]}
    await store.put_item(["lists"], "shop", value, index=["notes[*].body"])
    await store.put_item(["lists"], "other", {"title": "buy fresh basil"}, index=["notes[*].body"])
    found = await store.search_items(["lists"], query="basil")
    # "other" has no notes: nothing embedded, so it comes unscored after "shop"
    assert [(item["key"], item["score"] is None) for item in found["items"]] == [
        ("shop", False),
        ("other", True),
    ]


async def test_list_namespaces(store: StoreClient) -> None:
    for namespace in (["a", "b", "c"], ["a", "b", "d"], ["a", "x"], ["z", "b", "c"]):
        await store.put_item(namespace, "k", {"v": 1}, index=False)
    listed = await store.list_namespaces()
    assert listed == {"namespaces": [["a", "b", "c"], ["a", "b", "d"], ["a", "x"], ["z", "b", "c"]]}
    assert (await store.list_namespaces(prefix=["a", "b"]))["namespaces"] == [
        ["a", "b", "c"],
        ["a", "b", "d"],
    ]
    assert (await store.list_namespaces(suffix=["c"]))["namespaces"] == [
        ["a", "b", "c"],
        ["z", "b", "c"],
    ]
    assert (await store.list_namespaces(max_depth=2))["namespaces"] == [
        ["a", "b"],
        ["a", "x"],
        ["z", "b"],
    ]
    assert (await store.list_namespaces(limit=1, offset=1))["namespaces"] == [["a", "b", "d"]]


async def test_bad_input_is_a_422_with_detail(
    server: ServerProcess, tenant_key: tuple[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {tenant_key[1]}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as http:
        cases: list[tuple[str, str, dict[str, Any]]] = [
            ("PUT", "/store/items", {"namespace": [], "key": "k", "value": {}}),
            ("PUT", "/store/items", {"namespace": ["a.b"], "key": "k", "value": {}}),
            ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": [1]}),
            ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {}, "ttl": -1}),
            ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {}, "index": ["a["]}),
            ("POST", "/store/items/search", {"filter": {"n": {"$in": [1]}}}),
            ("POST", "/store/items/search", {"limit": 0}),
        ]
        for method, path, body in cases:
            response = await http.request(method, path, json=body)
            assert response.status_code == 422, (body, response.text)
            assert response.json()["detail"], body
        response = await http.get("/store/items", params={"namespace": "a..b", "key": "k"})
        assert response.status_code == 422
        assert "empty" in response.json()["detail"]
        nul = await http.get("/store/items", params={"namespace": "a", "key": "k\x00"})
        assert nul.status_code == 422  # PostgreSQL can not hold it: refused, not a 500
        anonymous = await http.get(
            "/store/items", params={"key": "k"}, headers={"Authorization": ""}
        )
        assert anonymous.status_code == 401
