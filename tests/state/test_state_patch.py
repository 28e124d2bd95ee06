"""PATCH /state/{id}: merge patch (RFC 7396) and JSON Patch (RFC 6902), atomic, both databases."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson

MERGE = {"content-type": "application/merge-patch+json"}
JSON_PATCH = {"content-type": "application/json-patch+json"}


async def _patch(
    client: httpx.AsyncClient, sid: str, patch: Any, headers: dict[str, str], **params: Any
) -> httpx.Response:
    return await client.patch(
        f"/state/{sid}", content=orjson.dumps(patch), headers=headers, params=params
    )


async def test_merge_patch(client: httpx.AsyncClient) -> None:
    stored = await client.post(
        "/state/p", json={"state_data": {"a": 1, "b": {"c": 1}, "keep": [1]}}
    )
    response = await _patch(client, "p", {"a": None, "b": {"d": 2}, "new": "x"}, MERGE)
    assert response.status_code == 200
    # the ETag is "<version>-<incarnation>": the next version of the same session
    assert response.headers["etag"] == stored.headers["etag"].replace('"1-', '"2-', 1)
    body = response.json()
    assert body["state_data"] == {"b": {"c": 1, "d": 2}, "keep": [1], "new": "x"}
    assert body["version"] == 2
    assert (await client.get("/state/p")).json() == body


async def test_json_patch_appends_and_tests(client: httpx.AsyncClient) -> None:
    await client.post("/state/j", json={"state_data": {"messages": [{"role": "user"}], "n": 1}})
    ops = [
        {"op": "test", "path": "/n", "value": 1},
        {"op": "add", "path": "/messages/-", "value": {"role": "ai"}},
        {"op": "replace", "path": "/n", "value": 2},
    ]
    response = await _patch(client, "j", ops, JSON_PATCH)
    assert response.status_code == 200
    assert response.json()["state_data"] == {
        "messages": [{"role": "user"}, {"role": "ai"}],
        "n": 2,
    }


async def test_patch_that_does_not_apply_names_the_operation_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/state/x", json={"state_data": {"messages": [], "n": 1}})
    ops = [
        {"op": "add", "path": "/messages/-", "value": 1},
        {"op": "remove", "path": "/missing"},
    ]
    response = await _patch(client, "x", ops, JSON_PATCH)
    assert response.status_code == 409
    assert response.json()["detail"].startswith("operation 1 (remove /missing) does not apply")
    failed_test = await _patch(client, "x", [{"op": "test", "path": "/n", "value": 5}], JSON_PATCH)
    assert failed_test.status_code == 409
    assert "operation 0 (test /n)" in failed_test.json()["detail"]
    through_a_number = [{"op": "add", "path": "/n/deeper", "value": 1}]
    assert (await _patch(client, "x", through_a_number, JSON_PATCH)).status_code == 409
    not_an_object = await _patch(
        client, "x", [{"op": "replace", "path": "", "value": 3}], JSON_PATCH
    )
    assert not_an_object.status_code == 409
    assert "must be a JSON object" in not_an_object.json()["detail"]
    body = (await client.get("/state/x")).json()
    assert (body["version"], body["state_data"]) == (1, {"messages": [], "n": 1})


async def test_malformed_patches_are_422(client: httpx.AsyncClient) -> None:
    await client.post("/state/y", json={"state_data": {"n": 1}})
    cases = [
        ([{"op": "bogus", "path": "/n"}], JSON_PATCH, "operation 0 (bogus /n)"),
        ([{"op": "add", "path": "n", "value": 1}], JSON_PATCH, "operation 0 (add n)"),
        ({"op": "add"}, JSON_PATCH, "JSON array"),
        ([1], JSON_PATCH, "operation 0"),
        ([{"op": "add", "path": 5, "value": 1}], JSON_PATCH, "operation 0 (add 5): Invalid 'path'"),
        ([{"op": "move", "from": 5, "path": "/a"}], JSON_PATCH, "a pointer is a string"),
        ([{"op": "move", "from": "x", "path": "/a"}], JSON_PATCH, "operation 0 (move /a)"),
        ([{"op": "move", "path": "/a"}], JSON_PATCH, "no 'from' member"),
        ([{"op": "add", "path": "/a"}], JSON_PATCH, "no 'value' member"),
        ([{"op": {}, "path": "/a"}], JSON_PATCH, "operation 0"),
        ([1, 2], MERGE, "JSON object"),  # a merge patch that is not an object replaces all
        ("text", MERGE, "JSON object"),
    ]
    for patch, headers, detail in cases:
        response = await _patch(client, "y", patch, headers)
        assert response.status_code == 422, (patch, response.text)
        assert detail in str(response.json()["detail"]), (patch, response.text)
    assert (await client.get("/state/y")).json()["version"] == 1


async def test_other_media_types_are_415_and_absent_session_404(client: httpx.AsyncClient) -> None:
    await client.post("/state/z", json={"state_data": {}})
    for headers in ({"content-type": "application/json"}, {"content-type": "text/plain"}):
        response = await _patch(client, "z", {"a": 1}, headers)
        assert response.status_code == 415
        assert "application/merge-patch+json" in response.json()["detail"]
    missing = await _patch(client, "nobody", {"a": 1}, MERGE)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Session not found"})


async def test_patch_preconditions(client: httpx.AsyncClient) -> None:
    first = (await client.post("/state/c", json={"state_data": {"n": 1}})).headers["etag"]
    for stale_tag in (first.replace('"1-', '"7-', 1), '"1"'):
        stale = await _patch(client, "c", {"n": 2}, {**MERGE, "If-Match": stale_tag})
        assert stale.status_code == 412, stale_tag
    ok = await _patch(client, "c", {"n": 2}, {**MERGE, "If-Match": first})
    assert (ok.status_code, ok.headers["etag"]) == (200, first.replace('"1-', '"2-', 1))


async def test_concurrent_json_patch_appends_lose_nothing(client: httpx.AsyncClient) -> None:
    await client.post("/state/chat", json={"state_data": {"messages": []}})
    responses = await asyncio.gather(
        *(
            _patch(client, "chat", [{"op": "add", "path": "/messages/-", "value": i}], JSON_PATCH)
            for i in range(50)
        )
    )
    assert [r.status_code for r in responses] == [200] * 50
    assert sorted(r.json()["version"] for r in responses) == list(range(2, 52))
    body = (await client.get("/state/chat")).json()
    assert sorted(body["state_data"]["messages"]) == list(range(50))
    assert body["version"] == 51


async def test_concurrent_merge_patches_of_distinct_keys_all_land(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/state/keys", json={"state_data": {}})
    responses = await asyncio.gather(
        *(_patch(client, "keys", {f"k{i}": i}, MERGE) for i in range(50))
    )
    assert [r.status_code for r in responses] == [200] * 50
    state = (await client.get("/state/keys")).json()["state_data"]
    assert state == {f"k{i}": i for i in range(50)}
