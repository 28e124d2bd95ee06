"""A lean HTTP/1.1 transport for ``httpx.AsyncClient``: plain ``http://``, kept-alive
connections, responses parsed by httptools (uvicorn's parser, already installed).

httpx's default transport (httpcore over anyio) costs about a millisecond of CPU per request
here: on every request its pool checks each kept connection (``has_expired``, ~26 calls per
request in bench.langgraph_steps, each building anyio's attribute dict anew), and its layers
add as much again. ``MemoryAPISaver`` sends two requests per graph step, so that was most of
the client's time: bench.langgraph_steps gave 0.32-0.36x of LangGraph's ``AsyncPostgresSaver``
in steps/s, and 0.61-0.70x with this transport (client CPU per step 3.8-5.5 ms against
1.7-2.0; BENCHMARKS.md). ``MemoryAPIStore``'s async methods use it too.

It does what the saver's requests need and no more: a request's whole body is sent, the whole
response is read (Content-Length or chunked; never streamed), connect and read timeouts come
from httpx's, failures are httpx's own exceptions (``ConnectError``, ``ReadError``,
``RemoteProtocolError``, timeouts), so callers handle them as before. ``lean_transport`` hands
it out only for ``http://`` URLs that no environment proxy applies to; https and proxies keep
httpx's transport.
"""

from __future__ import annotations

import asyncio
import urllib.request

import httptools
import httpx

MAX_IDLE = 20  # kept connections per host, as httpx's default keep-alive limit


def lean_transport(url: str) -> KeepAliveTransport | None:
    """The lean transport for ``url``, or None where httpx's own should be used."""
    parsed = httpx.URL(url)
    if parsed.scheme != "http":
        return None
    proxies = urllib.request.getproxies()
    if (proxies.get("http") or proxies.get("all")) and not urllib.request.proxy_bypass(parsed.host):
        return None
    return KeepAliveTransport()


class KeepAliveTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[_Connection]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        key = (request.url.host, request.url.port or 80)
        connection = self._reuse(key) or await _Connection.open(
            request, key, timeouts.get("connect")
        )
        try:
            response = await connection.exchange(request, timeouts.get("read"))
        except BaseException:  # a cancelled or failed exchange leaves the connection unknown
            connection.close()
            raise
        idle = self._idle.setdefault(key, [])
        if connection.reusable and len(idle) < MAX_IDLE:
            idle.append(connection)
        else:
            connection.close()
        return response

    def _reuse(self, key: tuple[str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if connection.alive:
                return connection
            connection.close()
        return None

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()


class _Connection:
    __slots__ = ("reader", "reusable", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.reusable = False

    @classmethod
    async def open(
        cls, request: httpx.Request, key: tuple[str, int], within: float | None
    ) -> _Connection:
        try:
            async with asyncio.timeout(within):
                reader, writer = await asyncio.open_connection(*key)
        except TimeoutError as error:
            raise httpx.ConnectTimeout(f"connect to {key[0]}:{key[1]}", request=request) from error
        except OSError as error:
            raise httpx.ConnectError(str(error), request=request) from error
        return cls(reader, writer)

    @property
    def alive(self) -> bool:
        """Not closed by the server while it was idle (as far as this loop has seen)."""
        return not self.reader.at_eof() and not self.writer.is_closing()

    async def exchange(self, request: httpx.Request, within: float | None) -> httpx.Response:
        body = await request.aread()
        head = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), request.url.raw_path)]
        for name, value in request.headers.raw:
            head.append(b"%s: %s\r\n" % (name, value))
        head.append(b"\r\n")
        received = _Received(head_only=request.method == "HEAD")
        parser = received.parser = httptools.HttpResponseParser(received)
        try:
            async with asyncio.timeout(within):
                self.writer.write(b"".join(head) + body)
                await self.writer.drain()
                while not received.complete:
                    data = await self.reader.read(65536)
                    if not data:
                        raise httpx.RemoteProtocolError(
                            "Server disconnected without sending a complete response.",
                            request=request,
                        )
                    parser.feed_data(data)
        except TimeoutError as error:
            raise httpx.ReadTimeout("no answer in time", request=request) from error
        except httptools.HttpParserError as error:
            raise httpx.RemoteProtocolError(str(error), request=request) from error
        except OSError as error:
            raise httpx.ReadError(str(error) or type(error).__name__, request=request) from error
        self.reusable = received.keep_alive and not received.more
        return httpx.Response(
            parser.get_status_code(),
            headers=received.headers,
            content=b"".join(received.body),
            extensions={"http_version": b"HTTP/1.1"},
        )

    def close(self) -> None:
        self.reusable = False
        self.writer.close()


class _Received:
    """httptools' callbacks: one response's headers and body."""

    __slots__ = ("body", "complete", "head_only", "headers", "keep_alive", "more", "parser")

    def __init__(self, *, head_only: bool) -> None:
        self.head_only = head_only
        self.parser: httptools.HttpResponseParser | None = None
        self.keep_alive = False  # read when the message ends: the parser forgets it after
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.complete = False
        self.more = False  # bytes of a second message: the connection is out of step

    def on_message_begin(self) -> None:
        if self.complete:
            self.more = True

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self.head_only:  # no body follows, whatever Content-Length says
            self._end()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if not self.complete:
            self._end()

    def _end(self) -> None:
        assert self.parser is not None
        self.keep_alive = self.parser.should_keep_alive()
        self.complete = True
