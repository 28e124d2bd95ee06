"""SDK error messages a person can read: validation errors as `field: problem`, and the URL that
got no answer (the CLI prints these messages as they are)."""

from __future__ import annotations

import httpx
import pytest

from memory_api.client import AsyncMemoryClient, MemoryClient, TransportError, ValidationError

DETAIL = [
    {"type": "string_too_short", "loc": ["body", "query"], "msg": "String should have at least 1"},
    {"type": "less_than_equal", "loc": ["body", "top_k"], "msg": "Input should be <= 20"},
    {"type": "value_error", "loc": ["body", "filter_metadata", "$and", 1], "msg": "Value error, x"},
    {"type": "int_parsing", "loc": ["query", "limit"], "msg": "Input should be a valid integer"},
    {"type": "json_invalid", "loc": ["body"], "msg": "Body is not valid UTF-8 JSON"},
]


def test_validation_errors_read_as_field_and_problem() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(422, json={"detail": DETAIL}))
    with MemoryClient("http://memory.test", transport=transport) as client:
        with pytest.raises(ValidationError) as raised:
            client.query("")
    assert str(raised.value) == (
        "HTTP 422: query: String should have at least 1; top_k: Input should be <= 20; "
        "filter_metadata.$and[1]: x; limit: Input should be a valid integer; "
        "body: Body is not valid UTF-8 JSON"
    )
    assert raised.value.detail == DETAIL  # as sent, for programs


def test_other_details_are_shown_as_they_are() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(404, json={"detail": "Session not found"})
    )
    with MemoryClient("http://memory.test", transport=transport) as client:
        with pytest.raises(Exception, match=r"^HTTP 404: Session not found$"):
            client.get_state("s")


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


async def test_no_answer_names_the_url_it_was_sent_to() -> None:
    expected = (
        "no answer from http://memory.test:9/base/rag_stats "
        "(ConnectError: [Errno 111] Connection refused)"
    )
    url = "http://memory.test:9/base"
    with MemoryClient(url, transport=httpx.MockTransport(_refuse)) as client:
        with pytest.raises(TransportError) as raised:
            client.stats()
    assert str(raised.value) == expected
    async with AsyncMemoryClient(url, transport=httpx.MockTransport(_refuse)) as aclient:
        with pytest.raises(TransportError) as araised:
            await aclient.stats()
    assert str(araised.value) == expected
