"""The store API in-process: tenants never see each other's items, the OpenAPI document
describes every store route, and bodies must be JSON."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from memory_api.store.fields import texts_at

pytestmark = pytest.mark.model

ONE = {"x-api-key": "key-one"}
TWO = {"x-api-key": "key-two"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"api_keys": "one:key-one,two:key-two"}


async def test_tenants_are_isolated(client: httpx.AsyncClient) -> None:
    body = {"namespace": ["shared"], "key": "k", "value": {"owner": "one"}}
    assert (await client.put("/store/items", json=body, headers=ONE)).status_code == 204
    params = {"namespace": "shared", "key": "k"}
    assert (await client.get("/store/items", params=params, headers=TWO)).status_code == 404
    assert (await client.post("/store/items/search", json={}, headers=TWO)).json() == {"items": []}
    assert (await client.post("/store/namespaces", json={}, headers=TWO)).json() == {
        "namespaces": []
    }
    # the other tenant's delete of the same namespace and key deletes nothing of ours
    await client.request("DELETE", "/store/items", json=body | {"value": None}, headers=TWO)
    delete = {"namespace": ["shared"], "key": "k"}
    assert (
        await client.request("DELETE", "/store/items", json=delete, headers=TWO)
    ).status_code == 204
    mine = await client.get("/store/items", params=params, headers=ONE)
    assert mine.json()["value"] == {"owner": "one"}
    assert (await client.get("/store/items", params=params)).status_code == 401


async def test_openapi_and_media_types(app: FastAPI, client: httpx.AsyncClient) -> None:
    paths = app.openapi()["paths"]
    assert sorted(
        (method, path)
        for path, item in paths.items()
        if path.startswith("/store")
        for method in item
    ) == [
        ("delete", "/store/items"),
        ("get", "/store/items"),
        ("post", "/store/items/search"),
        ("post", "/store/namespaces"),
        ("put", "/store/items"),
    ]
    for method, path in (
        ("PUT", "/store/items"),
        ("DELETE", "/store/items"),
        ("POST", "/store/items/search"),
        ("POST", "/store/namespaces"),
    ):
        response = await client.request(
            method, path, content=b"{}", headers={**ONE, "content-type": "text/plain"}
        )
        assert response.status_code == 415, (method, path)


def test_texts_at_follows_langgraph_paths() -> None:
    value = {"a": {"b": "x"}, "l": [{"t": "one"}, {"t": "two"}, {"u": 3}], "n": 5, "e": ""}
    assert texts_at(value, ["a.b"]) == ["x"]
    assert texts_at(value, ["l[*].t"]) == ["one", "two"]
    assert texts_at(value, ["l[0].t", "l[-1]"]) == ["one", '{"u":3}']
    assert texts_at(value, ["n", "missing", "l[9]", "e"]) == ["5"]
    assert texts_at({"k": "v"}, ["$"]) == ['{"k":"v"}']


async def test_filter_semantics_in_the_database(client: httpx.AsyncClient) -> None:
    value = {"n": 3, "s": "b", "flag": True, "nested": {"x": 1}, "l": [5], "none": None}
    body = {"namespace": ["f"], "key": "k", "value": value, "index": False}
    assert (await client.put("/store/items", json=body, headers=ONE)).status_code == 204

    async def matches(conditions: dict[str, Any]) -> bool:
        response = await client.post(
            "/store/items/search", json={"filter": conditions}, headers=ONE
        )
        assert response.status_code == 200, (conditions, response.text)
        return [item["key"] for item in response.json()["items"]] == ["k"]

    assert await matches({"n": 3, "nested.x": 1})
    assert await matches({"n": 3.0})  # JSON equality: numbers by value
    assert not await matches({"n": "3"})
    assert await matches({"n": {"$gt": 2, "$lte": 3}})
    assert not await matches({"n": {"$gt": 3}})
    assert await matches({"s": {"$gte": "a", "$lt": "c"}})
    assert not await matches({"s": {"$gt": 1}})  # a string is not greater than a number
    assert not await matches({"flag": {"$gt": 0}})  # nor is a boolean
    assert not await matches({"flag": 1})  # a boolean is not a number
    assert await matches({"flag": True, "none": None})
    assert await matches({"missing": {"$ne": 1}})
    assert await matches({"n": {"$ne": 4}, "s": {"$ne": "c"}})
    assert not await matches({"n": {"$ne": 3}})
    assert not await matches({"missing": {"$eq": None}})
    assert not await matches({"missing": 1})
    assert await matches({"nested": {"x": 1}})  # a dict without operators is a value
    assert not await matches({"nested": {"x": 2}})
    assert await matches({"l": [5]})
    assert not await matches({"l.0": 5})  # dotted paths reach objects, not array elements
    assert not await matches({"n.x": 3})
    assert not await matches({"n": 2**63})  # beyond SQLite's integers: compared as a double
    assert await matches({"n": {"$lt": 2**64 - 1}})
    for refused_filter in (
        {'a"b': 1},
        {"a\\b": 1},
        {"a\nb": 1},
        {"s": "a\x00"},
        {"n": 2**70},  # by the body parser
    ):
        refused = await client.post(
            "/store/items/search", json={"filter": refused_filter}, headers=ONE
        )
        assert refused.status_code == 422 and refused.json()["detail"], refused_filter


async def test_erasing_a_tenant_erases_its_items(client: httpx.AsyncClient) -> None:
    for tenant_headers, keys in ((ONE, ("a", "b")), (TWO, ("c",))):
        for key in keys:
            body = {"namespace": ["ns"], "key": key, "value": {"k": key}, "index": False}
            assert (
                await client.put("/store/items", json=body, headers=tenant_headers)
            ).status_code == 204
    erased = await client.delete("/tenant", params={"confirm": "one"}, headers=ONE)
    assert erased.status_code == 200, erased.text
    assert erased.json()["deleted"]["store_items"] == 2
    assert (await client.post("/store/items/search", json={}, headers=ONE)).json() == {"items": []}
    left = (await client.post("/store/items/search", json={}, headers=TWO)).json()["items"]
    assert [item["key"] for item in left] == ["c"]
