"""A streamed body (chunked, no Content-Length) over MEMORY_API_MAX_BODY_BYTES gets 413 from a
real ``memory-api serve`` as soon as it crosses the limit: the server does not wait for the rest
of the body (the test never sends its end), and nothing is stored. Raw sockets."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from memory_api.testing.server import ServerProcess

LIMIT = 1000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp_path = tmp_path_factory.mktemp("body-limit")
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_MAX_BODY_BYTES=str(LIMIT),
        # Far beyond the waits below: an answer comes from the limit, never from a 408.
        MEMORY_API_HTTP_BODY_TIMEOUT="120",
    )
    with ServerProcess(env, tmp_path / "server.log") as running:
        yield running


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def head(session_id: str) -> bytes:
    return (
        f"POST /state/{session_id} HTTP/1.1\r\nHost: test\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()


def read_response(sock: socket.socket, seconds: float = 20) -> tuple[int, bytes]:
    """The status and body of the one response the server sends (it has a Content-Length)."""
    deadline = time.monotonic() + seconds
    raw = b""
    while True:
        header_end = raw.find(b"\r\n\r\n")
        if header_end >= 0:
            lines = raw[:header_end].decode().split("\r\n")
            headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
            body = raw[header_end + 4 :]
            if len(body) >= int(headers["content-length"]):
                return int(lines[0].split()[1]), body[: int(headers["content-length"])]
        assert time.monotonic() < deadline, f"no answer within {seconds} s: {raw!r}"
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        assert data, f"connection closed: {raw!r}"
        raw += data


def test_a_chunked_body_over_the_limit_gets_413_before_it_ends(server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head("chunked-big") + chunk(b'{"state_data": {"blob": "'))
        for _ in range(6):  # 3 KB in all, the limit is 1000 bytes; the last chunk never comes
            sock.sendall(chunk(b"x" * 500))
            time.sleep(0.05)
        status, body = read_response(sock)
    assert status == 413
    assert json.loads(body) == {"detail": f"Request body too large (limit {LIMIT} bytes)"}
    assert httpx.get(f"{server.url}/state/chunked-big", timeout=10).status_code == 404


def test_a_chunked_body_under_the_limit_is_stored(server: ServerProcess) -> None:
    """The same request, complete and under the limit: chunked bodies are read as such."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head("chunked-small") + chunk(b'{"state_data": {"blob": "'))
        sock.sendall(chunk(b"x" * 500) + chunk(b'"}}') + b"0\r\n\r\n")
        status, _ = read_response(sock)
    assert status == 201
    stored = httpx.get(f"{server.url}/state/chunked-small", timeout=10).json()
    assert stored["state_data"] == {"blob": "x" * 500}
