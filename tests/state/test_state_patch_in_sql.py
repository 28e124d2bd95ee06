"""PATCH applied by the database in one statement (merge patches, appends to an array member),
with the same documents, byte for byte, as the service's own patching, and the general path
(read, apply, conditional write) for whatever the database cannot apply. Both databases."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx
import orjson
import pytest

from memory_api.state.patching import parse_patch
from memory_api.state.repository import StateRepository

MERGE = {"content-type": "application/merge-patch+json"}
JSON_PATCH = {"content-type": "application/json-patch+json"}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The reads of the current state a PATCH made before writing (the general path's)."""
    made: list[str] = []
    for name in ("get", "lock"):
        original = getattr(StateRepository, name)

        async def spy(self: StateRepository, *args: Any, _o: Any = original, _n: str = name) -> Any:
            made.append(_n)
            return await _o(self, *args)

        monkeypatch.setattr(StateRepository, name, spy)
    return made


async def _patch(
    client: httpx.AsyncClient, sid: str, patch: Any, headers: dict[str, str], **params: Any
) -> httpx.Response:
    return await client.patch(
        f"/state/{sid}", content=orjson.dumps(patch), headers=headers, params=params
    )


def _state_text(response: httpx.Response) -> bytes:
    """The state_data of a StateResponse as the server wrote it."""
    body = response.content
    start = body.index(b'"state_data":') + len(b'"state_data":')
    return body[start : body.index(b',"created_at":')]


# RFC 7396 appendix A (the cases whose target and patch are objects), then key order, escapes
# and the texts the database keeps as they were (numbers, "\u0000")
MERGE_CASES: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    (
        {"z": 1, "a": 2, "y": 3},
        {"m": 3, "a": None, "y": 9, "b": 4},
        {"z": 1, "y": 9, "m": 3, "b": 4},
    ),
    (
        {"a": 1, "b": 2},
        {"a": {"x": None, "y": [1, {"k": None}]}},
        {"a": {"y": [1, {"k": None}]}, "b": 2},
    ),
    ({"k": {}}, {}, {"k": {}}),
    ({}, {}, {}),
    (
        {'q"k': 1, "é": "ü", "line\nbreak": "\t", "\\": "/"},
        {"é": {"x": [1, "\u001f"]}, "tab\t": True, "\\": None},
        {'q"k': 1, "é": {"x": [1, "\u001f"]}, "line\nbreak": "\t", "tab\t": True},
    ),
    (
        {"f": 1.5, "big": 2**63 - 1, "neg": -7},
        {"g": 1e-7, "h": 0},
        {"f": 1.5, "big": 2**63 - 1, "neg": -7, "g": 1e-7, "h": 0},
    ),
    ({"nul": "a\u0000b"}, {"n": 1}, {"nul": "a\u0000b", "n": 1}),
    ({"n": 1}, {"nul": "\u0000", "n": None}, {"nul": "\u0000"}),
]


@pytest.mark.parametrize(("state", "patch", "expected"), MERGE_CASES)
async def test_merge_patches_give_the_services_documents(
    client: httpx.AsyncClient, state: dict[str, Any], patch: dict[str, Any], expected: Any
) -> None:
    await client.post("/state/m", json={"state_data": state})
    response = await _patch(client, "m", patch, MERGE)
    assert response.status_code == 200, response.text
    # byte for byte: the same members in the same order, compact, as orjson writes them
    assert _state_text(response) == orjson.dumps(expected)
    read = await client.get("/state/m")
    assert (_state_text(read), read.json()["version"]) == (orjson.dumps(expected), 2)
    history = (await client.get("/state/m/history")).json()
    assert history[0]["size_bytes"] == len(orjson.dumps(expected))
    assert (await client.get("/state/m", params={"version": 1})).json()["state_data"] == state


async def test_common_patches_are_one_statement(
    client: httpx.AsyncClient, reads: list[str]
) -> None:
    stored = await client.post("/state/s", json={"state_data": {"messages": [], "step": 1}})
    first = stored.headers["etag"]
    merged = await _patch(client, "s", {"step": 2}, {**MERGE, "If-Match": first})
    assert (merged.status_code, merged.headers["etag"]) == (200, first.replace('"1-', '"2-', 1))
    message = {"role": "ai", "content": 'hé "there"\n'}
    one = [{"op": "add", "path": "/messages/-", "value": message}]
    appended = await _patch(client, "s", one, {**JSON_PATCH, "If-Match": "*"}, ttl_seconds=60)
    two = [{"op": "add", "path": "/messages/-", "value": v} for v in ([], {"n": None})]
    again = await _patch(client, "s", two, JSON_PATCH)
    assert reads == []  # none of them read the state first
    assert appended.json()["expires_at"] is not None
    body = again.json()
    assert body["version"] == 4 and body["expires_at"] == appended.json()["expires_at"]
    expected = {"messages": [message, [], {"n": None}], "step": 2}
    assert _state_text(again) == orjson.dumps(expected)
    versions = (await client.get("/state/s/history")).json()
    assert [v["version"] for v in versions] == [4, 3, 2, 1]
    assert versions[0]["size_bytes"] == len(orjson.dumps(expected))


async def test_what_the_database_cannot_apply_takes_the_general_path(
    client: httpx.AsyncClient, reads: list[str]
) -> None:
    await client.post("/state/g", json={"state_data": {"messages": {}, "text": "x"}})
    # "-" of an object is a member named "-" (RFC 6901); the database appends to arrays only
    keyed = await _patch(
        client, "g", [{"op": "add", "path": "/messages/-", "value": 1}], JSON_PATCH
    )
    assert (keyed.status_code, keyed.json()["state_data"]["messages"]) == (200, {"-": 1})
    assert reads == ["get"]
    through = await _patch(client, "g", [{"op": "add", "path": "/text/-", "value": 1}], JSON_PATCH)
    assert through.status_code == 409
    assert through.json()["detail"].startswith("operation 0 (add /text/-) does not apply")
    missing = await _patch(client, "g", [{"op": "add", "path": "/none/-", "value": 1}], JSON_PATCH)
    assert missing.status_code == 409 and "operation 0 (add /none/-)" in missing.json()["detail"]
    stale = await _patch(client, "g", {"a": 1}, {**MERGE, "If-Match": '"1-0"'})
    assert stale.status_code == 412
    absent = await _patch(client, "nobody", {"a": 1}, MERGE)
    assert (absent.status_code, absent.json()) == (404, {"detail": "Session not found"})
    body = (await client.get("/state/g")).json()
    assert (body["version"], body["state_data"]) == (2, {"messages": {"-": 1}, "text": "x"})


async def test_concurrent_conditional_patches_exactly_one_wins(client: httpx.AsyncClient) -> None:
    first = (await client.post("/state/race", json={"state_data": {"m": []}})).headers["etag"]
    ops = [[{"op": "add", "path": "/m/-", "value": i}] for i in range(25)]
    patches = [(op, JSON_PATCH) for op in ops] + [({f"k{i}": i}, MERGE) for i in range(25)]
    responses = await asyncio.gather(
        *(_patch(client, "race", patch, {**kind, "If-Match": first}) for patch, kind in patches)
    )
    assert sorted(r.status_code for r in responses) == [200] + [412] * 49
    body = (await client.get("/state/race")).json()
    assert body["version"] == 2
    assert (
        body["state_data"]
        == next(r for r in responses if r.status_code == 200).json()["state_data"]
    )


# Appends the database makes (add to /member/-): the state, the values appended to its
# "messages", as the service's own patching (jsonpatch, then orjson) would write them
APPEND_CASES: list[tuple[dict[str, Any], list[Any]]] = [
    ({"messages": [{"role": "user", "content": "hi"}], "step": 7}, [{"role": "ai"}]),
    ({"messages": [], "step": 7}, [{"role": "ai", "content": "first"}]),
    ({"step": 7, "messages": []}, [1, "two", [3], {"four": 4}, None, True]),
    ({"messages": [1, 2]}, [3, 4, 5]),
    (
        {
            'q"k\b\f\r\n\t\u001f\u007f\\/é😀': {"line\nbreak": "\t"},
            "messages": ["\\", "/"],
            "z": "\u001f",
        },
        ['hé "there"\n', "\u001f\u007f", "😀 </script>", {"é\t": "\\u0041"}],
    ),
    (
        {"messages": [{"n": {"deep": [1, {"messages": []}]}}], "meta": {"messages": [9]}},
        [{"a": {"b": [1, {"c": None}], "messages": [2]}}, []],
    ),
    ({"f": 1.5, "big": 2**63 - 1, "messages": [1e-7], "last": -0.0}, [0.1, 2**53, -7]),
    ({"messages": [{}], "a": {}, "b": [], "c": ""}, [{}]),
]


@pytest.mark.parametrize(("state", "values"), APPEND_CASES)
async def test_appends_give_the_services_documents(
    client: httpx.AsyncClient, reads: list[str], state: dict[str, Any], values: list[Any]
) -> None:
    await client.post("/state/a", json={"state_data": state})
    operations = [{"op": "add", "path": "/messages/-", "value": value} for value in values]
    expected = orjson.dumps(
        parse_patch(JSON_PATCH["content-type"], operations).apply(copy.deepcopy(state))
    )
    response = await _patch(client, "a", operations, JSON_PATCH)
    assert response.status_code == 200, response.text
    assert reads == []  # the database applied it: the service's path was not taken
    assert _state_text(response) == expected  # byte for byte, as orjson writes it
    read = await client.get("/state/a")
    assert (_state_text(read), read.json()["version"]) == (expected, 2)
    history = (await client.get("/state/a/history")).json()
    assert history[0]["size_bytes"] == len(expected)


async def test_an_append_to_a_document_with_nul_gives_the_services_document(
    client: httpx.AsyncClient, reads: list[str], backend: str
) -> None:
    """PostgreSQL's json functions refuse a document with "\\u0000" (they turn its strings into
    text): there the service applies the append itself, with the same result."""
    state = {"nul": "a\u0000b", "messages": ["\u0000"]}
    await client.post("/state/n", json={"state_data": state})
    operations = [{"op": "add", "path": "/messages/-", "value": v} for v in ("\u0000", {"k": 1})]
    response = await _patch(client, "n", operations, JSON_PATCH)
    assert response.status_code == 200, response.text
    assert reads == (["get"] if backend == "postgres" else [])
    expected = {"nul": "a\u0000b", "messages": ["\u0000", "\u0000", {"k": 1}]}
    assert _state_text(response) == orjson.dumps(expected)
