"""uvicorn's HTTP/1.1 protocol (httptools) with deadlines on reading a request.

uvicorn bounds only idle keep-alive connections: a client that sends its request one byte a
second (headers or body) holds a connection, and a task, for as long as it likes. Here:

- headers: from the connection's start, or a new request's first byte, to the end of its
  headers, at most ``header_timeout`` seconds; then 408 and the connection is closed;
- body: at most ``body_timeout`` seconds from the end of the headers. While the app reads the
  body, ``BodySizeLimitMiddleware`` enforces it (a 408 from the app); once the app has answered
  without reading all of it, the rest would be discarded as it trickles in, so the connection
  is closed when the deadline passes.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from memory_api.http.body_limit import BODY_RECEIVED

_REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: application/json\r\n"
    b"content-length: %d\r\n"
    b"connection: close\r\n\r\n%s"
)


class TimedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        header_timeout: float,
        body_timeout: float,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self._timer: asyncio.TimerHandle | None = None
        self._body_deadline = 0.0
        self._reading_body = False

    def _arm(self, delay: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(max(delay, 0.0), callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # --- deadlines -------------------------------------------------------------------------------
    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        super().connection_made(transport)
        self._arm(self.header_timeout, self._headers_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._timer is None:  # a new request on a kept-alive connection
            self._arm(self.header_timeout, self._headers_too_slow)

    def on_headers_complete(self) -> None:
        self._disarm()
        self._reading_body = True
        self._body_deadline = self.loop.time() + self.body_timeout
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading_body = False
        self._disarm()
        # the scope the app is given (a key of ours, not in uvicorn's type): see body_limit
        self.scope[BODY_RECEIVED] = True  # type: ignore[literal-required]
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._reading_body and not self.transport.is_closing():
            # Answered before the body was read: what still comes is discarded.
            self._arm(self._body_deadline - self.loop.time(), self._close)

    # --- expiry ----------------------------------------------------------------------------------
    def _headers_too_slow(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:  # no answer is being written
            detail = b'{"detail":"Request headers not received within %g seconds"}' % (
                self.header_timeout
            )
            self.transport.write(_REQUEST_TIMEOUT % (len(detail), detail))
        self.transport.close()

    def _close(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            self.transport.close()


def timed_protocol(header_timeout: float, body_timeout: float) -> Any:
    """What ``uvicorn.run(http=...)`` takes: a factory uvicorn calls with its own arguments
    (a ``partial``, so it pickles into ``--workers`` processes)."""
    return functools.partial(
        TimedHttpToolsProtocol, header_timeout=header_timeout, body_timeout=body_timeout
    )
