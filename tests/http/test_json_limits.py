"""What JSON bodies may hold: nesting up to MAX_DEPTH, integers that fit in 64 bits.

Both are refused with 422 when parsed, so no handler, orjson encoder or database sees them;
what is accepted round-trips exactly on both backends.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from memory_api.http.json_body import INT_MAX, INT_MIN, MAX_DEPTH

JSON = {"content-type": "application/json"}


def nested(levels: int) -> Any:
    """An object of ``levels`` nested objects and arrays."""
    value: Any = {}
    for level in range(levels - 1):
        value = {"k": value} if (levels - level) % 2 == 0 else [value]
    return value


async def post_raw(client: httpx.AsyncClient, path: str, body: bytes) -> httpx.Response:
    return await client.post(path, content=body, headers=JSON)


async def test_state_at_the_depth_limit_round_trips(client: httpx.AsyncClient) -> None:
    state = nested(MAX_DEPTH - 1)  # the body object is one level
    response = await client.post("/state/deep", json={"state_data": state})
    assert response.status_code == 201, response.text
    assert (await client.get("/state/deep")).json()["state_data"] == state


@pytest.mark.parametrize("levels", [MAX_DEPTH, 300, 1023, 5000])
async def test_deeper_state_is_refused(client: httpx.AsyncClient, levels: int) -> None:
    body = b'{"state_data": ' + b'{"k": ' * levels + b"{}" + b"}" * levels + b"}"
    response = await post_raw(client, "/state/deep", body)
    assert response.status_code == 422, response.text[:300]
    assert response.json()["detail"] == [
        {
            "type": "json_too_deep",
            "loc": ["body"],
            "msg": f"JSON nested deeper than {MAX_DEPTH} levels of arrays and objects "
            "(the body itself counts as one)",
            "ctx": {"max_depth": MAX_DEPTH},
        }
    ]
    assert (await client.get("/state/deep")).status_code == 404


async def test_depth_applies_to_every_body(client: httpx.AsyncClient) -> None:
    deep = {"query": "x", "filter_metadata": {"a": {"$eq": nested(MAX_DEPTH)}}}
    response = await client.post("/rag_query", json=deep)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_too_deep"
    response = await client.post("/index_files", json={"file_extensions": nested(MAX_DEPTH)})
    assert response.json()["detail"][0]["type"] == "json_too_deep"


async def test_many_brackets_in_strings_are_not_depth(client: httpx.AsyncClient) -> None:
    state = {"text": "[{" * 5000, "list": [[1]] * 500}
    response = await client.post("/state/brackets", json={"state_data": state})
    assert response.status_code == 201, response.text
    assert (await client.get("/state/brackets")).json()["state_data"] == state


async def test_64_bit_integers_round_trip_exactly(client: httpx.AsyncClient) -> None:
    literal = f'{{"state_data": {{"max": {INT_MAX}, "min": {INT_MIN}, "ns": 1700000000000000000}}}}'
    response = await post_raw(client, "/state/ints", literal.encode())
    assert response.status_code == 201, response.text
    stored = (await client.get("/state/ints")).json()["state_data"]  # Python's parser: exact
    assert stored == {"max": 2**64 - 1, "min": -(2**63), "ns": 1700000000000000000}


@pytest.mark.parametrize(
    "number", [INT_MAX + 1, INT_MIN - 1, 123456789012345678901234567890, -(10**400)]
)
async def test_larger_integers_are_refused(client: httpx.AsyncClient, number: int) -> None:
    body = f'{{"state_data": {{"a": [1, {{"b": {number}}}]}}}}'.encode()
    response = await post_raw(client, "/state/big", body)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["type"] == "json_int_out_of_range"
    assert error["msg"].startswith(f"integer outside the 64-bit range ({INT_MIN} to {INT_MAX})")
    assert error["input"].startswith(str(number)[:50])
    assert (await client.get("/state/big")).status_code == 404


async def test_long_digit_strings_are_text(client: httpx.AsyncClient) -> None:
    state = {"id": "123456789012345678901234567890", "x": ",123456789012345678901234567890"}
    response = await client.post("/state/text", json={"state_data": state})
    assert response.status_code == 201
    assert (await client.get("/state/text")).json()["state_data"] == state


async def test_integer_range_applies_to_every_body(client: httpx.AsyncClient) -> None:
    body = b'{"query": "x", "filter_metadata": {"chunk_index": 99999999999999999999999}}'
    response = await post_raw(client, "/rag_query", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_int_out_of_range"


async def test_numbers_beyond_double_range_are_refused(client: httpx.AsyncClient) -> None:
    response = await post_raw(client, "/state/inf", b'{"state_data": {"x": 1e400}}')
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
