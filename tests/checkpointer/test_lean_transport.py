"""The saver's lean HTTP/1.1 transport against a scripted HTTP server on a real socket: what
it reuses, what it reads, and that every failure is httpx's own exception."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from memory_api.client._transport import MAX_IDLE, KeepAliveTransport, lean_transport
from memory_api.langgraph import MemoryAPISaver, MemoryAPIStore

Handler = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]


def answer(body: bytes, *headers: bytes) -> bytes:
    head = b"".join(header + b"\r\n" for header in headers)
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), head, body)


class Scripted:
    """An HTTP server on a real socket: ``handle(request head + body, writer)`` answers one
    request and says whether to keep the connection; ``connections`` counts accepted ones."""

    def __init__(self, handle: Handler) -> None:
        self.handle = handle
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = head + await reader.readexactly(length)
                if not await self.handle(request, writer):
                    return
                await writer.drain()
        finally:
            writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[Scripted]]]:
    started: list[Scripted] = []

    async def start(handle: Handler) -> Scripted:
        scripted = Scripted(handle)
        scripted.server = await asyncio.start_server(scripted._serve, "127.0.0.1", 0)
        started.append(scripted)
        return scripted

    yield start
    for scripted in started:
        assert scripted.server is not None
        scripted.server.close()


def client(url: str, timeout: float = 5) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=KeepAliveTransport(), base_url=url, timeout=timeout)


async def echo_path(request: bytes, writer: asyncio.StreamWriter) -> bool:
    writer.write(answer(request.split(b" ")[1]))
    return True


async def test_requests_share_one_kept_alive_connection(
    serve: Callable[..., Awaitable[Scripted]],
) -> None:
    server = await serve(echo_path)
    async with client(server.url) as http:
        answers = [(await http.get(f"/n/{i}")).text for i in range(5)]
    assert answers == [f"/n/{i}" for i in range(5)]
    assert server.connections == 1


async def test_the_whole_body_goes_out_and_comes_back(
    serve: Callable[..., Awaitable[Scripted]],
) -> None:
    async def length(request: bytes, writer: asyncio.StreamWriter) -> bool:
        body = request.split(b"\r\n\r\n", 1)[1]
        writer.write(answer(b"%d %s" % (len(body), body[-3:])))
        return True

    server = await serve(length)
    async with client(server.url) as http:
        sent = b"x" * (2 << 20) + b"end"
        response = await http.post("/big", content=sent)
    assert response.text == f"{len(sent)} end"


async def test_a_chunked_answer_is_read_whole(serve: Callable[..., Awaitable[Scripted]]) -> None:
    async def chunked(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for piece in (b'{"a":', b" 1}"):
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(b"0\r\n\r\n")
        return True

    server = await serve(chunked)
    async with client(server.url) as http:
        assert (await http.get("/")).json() == {"a": 1}
        assert (await http.get("/")).json() == {"a": 1}
    assert server.connections == 1


async def test_a_compressed_answer_is_decoded(serve: Callable[..., Awaitable[Scripted]]) -> None:
    async def compressed(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(gzip.compress(b'{"ok": true}'), b"content-encoding: gzip"))
        return True

    server = await serve(compressed)
    async with client(server.url) as http:
        assert (await http.get("/")).json() == {"ok": True}


async def test_connection_close_and_idle_closes_open_a_new_connection(
    serve: Callable[..., Awaitable[Scripted]],
) -> None:
    turns = iter(["close header", "just closed", "kept"] * 2)

    async def closing(request: bytes, writer: asyncio.StreamWriter) -> bool:
        turn = next(turns)
        if turn == "close header":
            writer.write(answer(b"1", b"connection: close"))
            return False
        writer.write(answer(b"2" if turn == "just closed" else b"3"))
        return turn == "kept"  # "just closed": as a server's idle timeout would

    server = await serve(closing)
    async with client(server.url) as http:
        seen = []
        for _ in range(6):
            seen.append((await http.get("/")).text)
            await asyncio.sleep(0.05)  # the server's close reaches the client's loop
    assert seen == ["1", "2", "3"] * 2
    # 1 | 2 | 3 and 1 on the same connection | 2 | 3: each close forces a new one
    assert server.connections == 5


async def test_a_server_that_hangs_up_without_answering_is_a_protocol_error(
    serve: Callable[..., Awaitable[Scripted]],
) -> None:
    async def hang_up(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")
        return False

    server = await serve(hang_up)
    transport = KeepAliveTransport()
    async with httpx.AsyncClient(transport=transport, base_url=server.url) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/")
        assert not any(transport._idle.values())  # the broken connection is not kept


async def test_garbage_is_a_protocol_error(serve: Callable[..., Awaitable[Scripted]]) -> None:
    async def garbage(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"SMTP ready\r\n\r\n")
        return True

    server = await serve(garbage)
    async with client(server.url) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/")


async def test_no_answer_in_time_is_a_read_timeout_and_the_connection_is_dropped(
    serve: Callable[..., Awaitable[Scripted]],
) -> None:
    async def silent(request: bytes, writer: asyncio.StreamWriter) -> bool:
        if b"/slow" in request.split(b"\r\n")[0]:
            await asyncio.sleep(1)
        writer.write(answer(b"late" if b"/slow" in request else b"fast"))
        return True

    server = await serve(silent)
    async with client(server.url, timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/slow")
        assert (await http.get("/fast")).text == "fast"  # not the late answer to /slow
    assert server.connections == 2


async def test_a_refused_connection_is_a_connect_error() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    async with client(f"http://127.0.0.1:{port}") as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/")


async def test_concurrent_requests_each_get_their_own_answer(
    serve: Callable[..., Awaitable[Scripted]],
) -> None:
    async def slow_echo(request: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.02)
        return await echo_path(request, writer)

    server = await serve(slow_echo)
    transport = KeepAliveTransport()
    async with httpx.AsyncClient(transport=transport, base_url=server.url) as http:
        for _ in range(2):
            answers = await asyncio.gather(*(http.get(f"/c/{i}") for i in range(MAX_IDLE + 5)))
            assert [a.text for a in answers] == [f"/c/{i}" for i in range(MAX_IDLE + 5)]
            assert sum(len(idle) for idle in transport._idle.values()) == MAX_IDLE
    assert server.connections <= 2 * (MAX_IDLE + 5)


async def test_a_cancelled_request_does_not_leave_its_connection_for_the_next(
    serve: Callable[..., Awaitable[Scripted]],
) -> None:
    async def slow_first(request: bytes, writer: asyncio.StreamWriter) -> bool:
        if b"/first" in request:
            await asyncio.sleep(0.3)
        return await echo_path(request, writer)

    server = await serve(slow_first)
    async with client(server.url) as http:
        first = asyncio.create_task(http.get("/first"))
        await asyncio.sleep(0.05)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert (await http.get("/second")).text == "/second"
    assert server.connections == 2


def test_chosen_for_plain_http_without_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(lean_transport("http://memory:8000"), KeepAliveTransport)
    assert lean_transport("https://memory.example") is None  # TLS: httpx's transport
    monkeypatch.setenv("HTTP_PROXY", "http://proxy:3128")
    assert lean_transport("http://memory:8000") is None  # the proxy is httpx's business
    monkeypatch.setenv("NO_PROXY", "memory")
    assert isinstance(lean_transport("http://memory:8000"), KeepAliveTransport)


async def test_the_adapters_use_it_unless_given_a_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    async with MemoryAPISaver(url="http://memory:8000") as saver:
        assert isinstance(saver._async()._transport, KeepAliveTransport)
    given = httpx.MockTransport(lambda request: httpx.Response(200))
    async with MemoryAPISaver(url="http://memory:8000", async_transport=given) as saver:
        assert saver._async()._transport is given
    async with MemoryAPIStore(url="http://memory:8000") as store:
        assert isinstance(store._async()._transport, KeepAliveTransport)
    async with MemoryAPIStore(url="https://memory.example") as store:
        assert not isinstance(store._async()._transport, KeepAliveTransport)
