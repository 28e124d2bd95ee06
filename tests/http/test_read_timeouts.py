"""A client that trickles its request (a byte a second) is cut off: headers and body each have
a deadline (MEMORY_API_HTTP_HEADER_TIMEOUT, MEMORY_API_HTTP_BODY_TIMEOUT). Against a real
``memory-api serve``, with raw sockets."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from memory_api.testing.server import ServerProcess

TIMEOUT = 2.0  # both deadlines, in the server below
SLACK = 3.0  # how late a cut may come on a busy machine
HOST = b"Host: test\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp_path = tmp_path_factory.mktemp("timeouts")
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_HTTP_HEADER_TIMEOUT=str(TIMEOUT),
        MEMORY_API_HTTP_BODY_TIMEOUT=str(TIMEOUT),
        MEMORY_API_MAX_BODY_BYTES="1000",
    )
    with ServerProcess(env, tmp_path / "server.log") as running:
        yield running


def trickle(server: ServerProcess, first: bytes, limit: float = 15.0) -> tuple[float, bytes]:
    """Send ``first``, then one byte a second until the server closes the connection; the
    seconds that took and all the server sent. Fails if it is still open after ``limit``."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(first)
        received = b""
        while time.monotonic() - started < limit:
            readable, _, _ = select.select([sock], [], [], 1.0)
            try:
                if not readable:
                    sock.send(b"a")
                    continue
                chunk = sock.recv(65536)
            except (BrokenPipeError, ConnectionResetError):
                chunk = b""
            if not chunk:
                return time.monotonic() - started, received
            received += chunk
    raise AssertionError(f"connection still open after {limit} s; received {received!r}")


def responses(raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """(status, headers, body) of each response in ``raw`` (all have a Content-Length)."""
    found = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        status_line, *lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        length = int(headers["content-length"])
        found.append((int(status_line.split()[1]), headers, rest[:length]))
        raw = rest[length:]
    return found


def assert_cut_in_time(elapsed: float) -> None:
    assert TIMEOUT - 0.5 <= elapsed <= TIMEOUT + SLACK, elapsed


def test_slow_headers_get_408_and_the_connection_closes(server: ServerProcess) -> None:
    elapsed, raw = trickle(server, b"GET /livez HTTP/1.1\r\n" + HOST + b"X-Slow: ")
    assert_cut_in_time(elapsed)
    ((status, headers, body),) = responses(raw)
    assert status == 408
    assert headers["connection"] == "close"
    assert json.loads(body) == {"detail": "Request headers not received within 2 seconds"}


def test_a_silent_connection_is_closed(server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        started = time.monotonic()
        sock.settimeout(TIMEOUT + SLACK + 5)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    assert_cut_in_time(time.monotonic() - started)
    assert [status for status, _, _ in responses(raw)] == [408]


def test_slow_headers_on_a_kept_alive_connection_are_cut(server: ServerProcess) -> None:
    first = b"GET /livez HTTP/1.1\r\n" + HOST + b"\r\n"
    elapsed, raw = trickle(server, first + b"GET /livez HTTP/1.1\r\n" + HOST + b"X-Slow: ")
    assert_cut_in_time(elapsed)
    assert [status for status, _, _ in responses(raw)] == [200, 408]


def test_a_slow_body_gets_408_and_nothing_is_stored(server: ServerProcess) -> None:
    head = (
        b"POST /state/slow-body HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
        b"Content-Length: 500\r\n\r\n"
    )
    elapsed, raw = trickle(server, head + b'{"state_data": {"x": "')
    assert_cut_in_time(elapsed)
    ((status, headers, body),) = responses(raw)
    assert status == 408
    assert headers["connection"] == "close"
    assert json.loads(body) == {"detail": "Request body not received within 2 seconds"}
    assert httpx.get(f"{server.url}/state/slow-body").status_code == 404


def test_an_unread_body_cannot_hold_the_connection(server: ServerProcess) -> None:
    """Refused at once by its length (413), the body then trickles in: cut at the deadline."""
    head = (
        b"POST /state/big HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n"
    )
    elapsed, raw = trickle(server, head)
    assert_cut_in_time(elapsed)
    assert [status for status, _, _ in responses(raw)] == [413]


def test_a_client_within_the_deadlines_is_served(server: ServerProcess) -> None:
    body = b'{"state_data": {"step": 1}}'
    head = (
        b"POST /state/prompt HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        for _ in range(2):  # twice on one connection, each paused under the deadlines
            sock.sendall(head[:20])
            time.sleep(TIMEOUT / 2)
            sock.sendall(head[20:] + body[:5])
            time.sleep(TIMEOUT / 2)
            sock.sendall(body[5:])
            raw = b""
            deadline = time.monotonic() + 30
            while b'"session_id":"prompt"}' not in raw:
                assert time.monotonic() < deadline, raw
                chunk = sock.recv(65536)
                assert chunk, raw
                raw += chunk
            assert [status for status, _, _ in responses(raw)] == [201]
