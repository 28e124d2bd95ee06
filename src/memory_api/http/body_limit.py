"""Refuse request bodies over a size limit, or too slow to arrive, without buffering them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Set in the scope by the server's protocol (``http.server_protocol``) once the whole body has
#: arrived: reading it then cannot wait, so no deadline is armed for it (an ``asyncio.timeout``
#: per read was a few percent of a POST's CPU time, bench.state_throughput).
BODY_RECEIVED = "memory_api.body_received"


class BodySizeLimitMiddleware:
    """413 for bodies over ``max_bytes``: at once when Content-Length says so, otherwise as soon
    as the streamed body crosses the limit (chunked uploads are never buffered whole). 408 when
    the body is not all there ``timeout`` seconds after the request reached the app (a client
    trickling its body would otherwise hold the request open); the connection is then closed.
    ``paths``: other limits for the paths matching a pattern (uploads)."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        timeout: float | None = None,
        paths: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.paths = [(re.compile(pattern), limit) for pattern, limit in paths]

    def _limit(self, path: str) -> int:
        for pattern, limit in self.paths:
            if pattern.fullmatch(path):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_body, declared = _framing(scope)
        if not has_body:  # neither Content-Length nor Transfer-Encoding: no body to limit
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope.get("path", ""))
        detail = f"Request body too large (limit {max_bytes} bytes)"
        if declared is not None and declared > max_bytes:
            await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = None if self.timeout is None else loop.time() + self.timeout
        received = 0
        complete = False

        async def limited_receive() -> Message:
            nonlocal received, complete
            if complete or deadline is None or BODY_RECEIVED in scope:
                # all there already, or after the body (then it waits for the disconnect)
                message = await receive()
            else:
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await receive()
                except TimeoutError:
                    raise HTTPException(
                        status_code=408,
                        detail=f"Request body not received within {self.timeout:g} seconds",
                        headers={"Connection": "close"},
                    ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > max_bytes:
                    # An HTTPException passes through FastAPI's body parsing untouched.
                    raise HTTPException(status_code=413, detail=detail)
            return message

        await self.app(scope, limited_receive, send)


def _framing(scope: Scope) -> tuple[bool, int | None]:
    """Whether the request has a body (HTTP/1.1: a Content-Length or a Transfer-Encoding),
    and its declared length (None: chunked, or a Content-Length that is not a number)."""
    has_body, length = False, None
    for name, value in scope["headers"]:
        if name == b"content-length":
            has_body = True
            try:
                length = int(value)
            except ValueError:
                return True, None
        elif name == b"transfer-encoding":
            return True, None
    return has_body, length
