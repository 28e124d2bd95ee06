"""422 bodies never echo a large input back: every echoed string is cut, and says so."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from memory_api.http.validation import MAX_ECHO, MAX_MESSAGE

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def cut(text: str, limit: int = MAX_ECHO) -> str:
    return f"{text[:limit]}...[{len(text) - limit} more characters cut]"


def only_error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert len(errors) == 1, errors
    error: dict[str, Any] = errors[0]
    return error


async def test_a_large_query_is_cut(client: httpx.AsyncClient) -> None:
    text = "q" * 500_000
    response = await client.post("/rag_query", json={"query": text})
    assert len(response.content) < 2000
    error = only_error(response)
    assert error["type"] == "string_too_long"
    assert error["input"] == cut(text)
    assert error["ctx"] == {"max_length": 10_000}


async def test_a_large_state_string_is_cut(client: httpx.AsyncClient) -> None:
    text = "s" * 900_000
    response = await client.post("/state/s", json={"state_data": text})
    assert len(response.content) < 2000
    assert only_error(response)["input"] == cut(text)


async def test_a_large_structure_is_cut_as_its_json_text(client: httpx.AsyncClient) -> None:
    items = list(range(100_000))
    response = await client.post("/state/s", json={"state_data": items})
    assert len(response.content) < 2000
    text = "[" + ",".join(map(str, items)) + "]"
    assert only_error(response)["input"] == cut(text)


async def test_small_inputs_are_echoed_whole(client: httpx.AsyncClient) -> None:
    response = await client.post("/state/s", json={"state_data": [1, 2]})
    assert only_error(response)["input"] == [1, 2]
    response = await client.post("/rag_query", json={"query": "x", "top_k": 99})
    assert only_error(response)["input"] == 99


async def test_a_large_unknown_field_name_is_cut(client: httpx.AsyncClient) -> None:
    name = "k" * 300_000
    response = await client.post("/state/s", json={"state_data": {}, name: 1})
    assert len(response.content) < 2000
    error = only_error(response)
    assert error["type"] == "extra_forbidden"
    assert error["loc"] == ["body", cut(name)]


async def test_a_large_filter_key_is_cut_in_the_message(client: httpx.AsyncClient) -> None:
    key = "$" + "f" * 300_000
    response = await client.post("/rag_query", json={"query": "x", "filter_metadata": {key: 1}})
    assert len(response.content) < 4000
    error = only_error(response)
    assert error["msg"].startswith("Value error, filter_metadata: '$fff")
    assert error["msg"].endswith("more characters cut]")
    assert len(error["msg"]) < MAX_MESSAGE + 40
    assert len(str(error["input"])) < MAX_ECHO + 40


async def test_a_large_path_parameter_is_cut(client: httpx.AsyncClient) -> None:
    session_id = "i" * 5000
    response = await client.get(f"/state/{session_id}")
    error = only_error(response)
    assert error["loc"] == ["path", "session_id"]
    assert error["input"] == cut(session_id)
