"""Bad input to the state endpoints gets a clear 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_body_bytes": 2048}


@pytest.mark.parametrize("session_id", ["a", "A-z_0.9:x@y", "x" * 256])
async def test_valid_session_ids(client: httpx.AsyncClient, session_id: str) -> None:
    response = await client.post(f"/state/{session_id}", json={"state_data": {}})
    assert response.status_code == 201
    assert (await client.get(f"/state/{session_id}")).json()["session_id"] == session_id


@pytest.mark.parametrize(
    "raw_id",
    ["x" * 257, "has%20space", "caf%C3%A9", "ctrl%01", "semi%3Bcolon", "quote%22", "tab%09"],
)
async def test_invalid_session_ids(client: httpx.AsyncClient, raw_id: str) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = await client.request(method, f"/state/{raw_id}", json={"state_data": {}})
        assert response.status_code == 422, (method, raw_id, response.text)
        assert "session_id" in response.text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"state_data": [1, 2]},
        {"state_data": "text"},
        {"state_data": None},
        {"state_data": 3},
        {"state_data": {}, "state": {"typo": True}},  # unknown fields are refused
        [1],
    ],
)
async def test_state_data_must_be_an_object(client: httpx.AsyncClient, body: Any) -> None:
    response = await client.post("/state/s", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/state/s", content=b'{"state_data": {', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_body_over_limit_by_content_length(client: httpx.AsyncClient) -> None:
    response = await client.post("/state/s", json={"state_data": {"blob": "x" * 4096}})
    assert response.status_code == 413
    assert "2048" in response.json()["detail"]
    assert (await client.get("/state/s")).status_code == 404


async def test_body_over_limit_streamed_without_length(client: httpx.AsyncClient) -> None:
    sent = 0

    async def chunks() -> Any:
        nonlocal sent
        yield b'{"state_data": {"blob": "'
        for _ in range(1000):  # would be ~1 MB if read whole
            sent += 1
            yield b"x" * 1024
        yield b'"}}'

    response = await client.post(
        "/state/s", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert sent < 10, "the server kept reading after the limit"
    assert (await client.get("/state/s")).status_code == 404


async def test_body_at_limit_is_accepted(client: httpx.AsyncClient) -> None:
    prefix, suffix = b'{"state_data": {"b": "', b'"}}'
    body = prefix + b"y" * (2048 - len(prefix) - len(suffix)) + suffix
    assert len(body) == 2048
    response = await client.post(
        "/state/s", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201


async def test_nan_and_infinity_are_malformed_json(client: httpx.AsyncClient) -> None:
    for literal in (b"NaN", b"Infinity", b"-Infinity"):
        body = b'{"state_data": {"x": ' + literal + b"}}"
        response = await client.post(
            "/state/s", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, literal
        assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_invalid_utf8_is_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/state/s",
        content=b'{"state_data": {"x": "\xff\xfe"}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_nul_characters_round_trip(client: httpx.AsyncClient) -> None:
    state = {"key\u0000": "value\u0000with nul", "list": ["\u0000"], "emoji": "\U0001f600"}
    assert (await client.post("/state/nul", json={"state_data": state})).status_code == 201
    assert (await client.get("/state/nul")).json()["state_data"] == state


async def test_wrong_method_lists_allowed_ones(client: httpx.AsyncClient) -> None:
    response = await client.request("PUT", "/state/s", json={"state_data": {}})
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PATCH, POST"  # PATCH: issue 15


async def test_strict_types_in_bodies(client: httpx.AsyncClient) -> None:
    response = await client.post("/index_files", json={"force_reindex": 0})
    assert response.status_code == 422
    response = await client.post("/rag_query", json={"query": "x", "top_k": "5"})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "raw_id", ["a%2Fb", "a%2fb", "%2F", "a%2F", "..%2Fsessions", "x%2F..%2F..%2Flivez", "a/b", "a/"]
)
async def test_session_ids_with_a_slash_get_the_id_rule(
    client: httpx.AsyncClient, raw_id: str
) -> None:
    """Routing sees the decoded path, so %2F is a slash there: these ids still get the 422."""
    for method in ("GET", "POST", "DELETE"):
        response = await client.request(method, f"/state/{raw_id}", json={"state_data": {}})
        assert response.status_code == 422, (method, raw_id, response.text)
        errors = response.json()["detail"]
        assert errors[0]["loc"] == ["path", "session_id"], errors
        assert errors[0]["msg"].startswith("String should match pattern")
    response = await client.request("PUT", f"/state/{raw_id}", json={"state_data": {}})
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PATCH, POST"  # PATCH: issue 15


async def test_task_ids_with_a_slash_are_unknown_tasks(client: httpx.AsyncClient) -> None:
    response = await client.get("/index_status/a%2Fb")
    assert response.status_code == 404
    assert response.json() == {
        "task_id": "a/b",
        "status": "not_found",
        "progress": 0,
        "details": "No indexing task with this id",
        "result": None,
    }


async def test_other_trailing_slashes_still_redirect(client: httpx.AsyncClient) -> None:
    response = await client.get("/sessions/")
    assert response.status_code == 307
    assert response.headers["location"].endswith("/sessions")
