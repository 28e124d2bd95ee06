"""``MemoryAPISaver`` over an injected httpx transport (no server): what it sends, how it
reads errors, and the one retry of a request broken on a closed kept-alive connection."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from memory_api.client import TransportError, ValidationError
from memory_api.langgraph import MemoryAPISaver

CONFIG = {"configurable": {"thread_id": "t-1", "checkpoint_ns": ""}}


class Server:
    """Answers with ``answers`` in turn (an exception is raised instead of answering)."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_put_sends_the_serialised_checkpoint_and_the_key() -> None:
    server = Server(httpx.Response(201, json={}))
    saver = MemoryAPISaver(url="http://api", api_key="k", transport=httpx.MockTransport(server))
    checkpoint = empty_checkpoint()
    stored = saver.put(CONFIG, checkpoint, {"source": "input", "step": -1}, {})

    assert stored == {
        "configurable": {"thread_id": "t-1", "checkpoint_ns": "", "checkpoint_id": checkpoint["id"]}
    }
    [request] = server.requests
    assert (request.method, request.url.path) == ("POST", "/checkpoints")
    assert request.headers["authorization"] == "Bearer k"
    body = json.loads(request.content)
    kind, data = JsonPlusSerializer().dumps_typed(checkpoint)
    assert body == {
        "thread_id": "t-1",
        "checkpoint_ns": "",
        "checkpoint_id": checkpoint["id"],
        "parent_checkpoint_id": None,
        "type": kind,
        "checkpoint": base64.b64encode(data).decode(),
        "metadata": {"source": "input", "step": -1},
    }


@pytest.mark.parametrize("broken", [httpx.ReadError("reset"), httpx.RemoteProtocolError("eof")])
def test_a_request_broken_on_a_closed_connection_is_sent_once_more(broken: Exception) -> None:
    server = Server(broken, httpx.Response(200, json=[]))
    saver = MemoryAPISaver(url="http://api", transport=httpx.MockTransport(server))
    assert saver.get_tuple(CONFIG) is None
    assert len(server.requests) == 2
    assert server.requests[0].content == server.requests[1].content


async def test_the_async_methods_retry_too() -> None:
    server = Server(httpx.ReadError("reset"), httpx.Response(200, json=[]))
    saver = MemoryAPISaver(url="http://api", async_transport=httpx.MockTransport(server))
    assert [t async for t in saver.alist(CONFIG)] == []
    assert len(server.requests) == 2


def test_a_second_break_or_a_refused_connection_is_a_transport_error() -> None:
    server = Server(httpx.ReadError("reset"), httpx.ReadError("reset again"))
    saver = MemoryAPISaver(url="http://api", transport=httpx.MockTransport(server))
    with pytest.raises(TransportError, match=r"no answer from http://api/checkpoints/search"):
        saver.get_tuple(CONFIG)
    assert len(server.requests) == 2

    refused = Server(httpx.ConnectError("refused"))
    saver = MemoryAPISaver(url="http://api", transport=httpx.MockTransport(refused))
    with pytest.raises(TransportError, match="ConnectError"):
        saver.delete_thread("t-1")
    assert len(refused.requests) == 1  # nothing reached the server: no second try


def test_an_error_answer_is_the_sdks_error_with_its_detail() -> None:
    detail = [{"loc": ["body", "thread_ids", 0], "msg": "String should have at least 1 character"}]
    server = Server(httpx.Response(422, json={"detail": detail}))
    saver = MemoryAPISaver(url="http://api", transport=httpx.MockTransport(server))
    with pytest.raises(ValidationError) as raised:
        saver.delete_thread("")
    assert raised.value.status_code == 422
    assert raised.value.detail == detail


def test_empty_batches_send_nothing_and_unknown_strategies_are_refused() -> None:
    server = Server()
    saver = MemoryAPISaver(url="http://api", transport=httpx.MockTransport(server))
    saver.delete_for_runs([])
    saver.prune([])
    with pytest.raises(ValueError, match="unknown prune strategy 'newest'"):
        saver.prune(["t-1"], strategy="newest")
    assert server.requests == []
