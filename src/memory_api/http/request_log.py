"""One structured log line per request, with a request id that is accepted and returned,
and the request's metrics: one layer that times each request once.

Only the method, path, status and duration are logged: never headers (keys), bodies (state
contents) or query strings.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from memory_api.logging_config import ACCESS_LOGGER, AccessHandler
from memory_api.observability.metrics import Metrics, RouteMetrics

REQUEST_ID_HEADER = "x-request-id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_logger = logging.getLogger(ACCESS_LOGGER)


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` so error logs can be tied to the request that caused them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RequestLogMiddleware:
    """With ``metrics``, also counts and times each request by its route template (one layer,
    timer and send wrapper per request for both: bench.state_throughput); ``plain_paths``:
    routes labelled by their path (``observability.metrics.plain_paths``)."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics | None = None,
        plain_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.plain_paths = plain_paths
        #: The metrics' children by (method, route, status): ``labels()`` looks them up under
        #: a lock each time (a few us per request). As bounded as the metrics' own labels.
        self._children: dict[tuple[str, str, int], RouteMetrics] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, REQUEST_ID_HEADER)
        # 32 random hex digits (what uuid4().hex gave, in a fifth of its time)
        request_id = incoming if incoming and _VALID_ID.match(incoming) else os.urandom(16).hex()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            if self.metrics is not None:
                self._observe(self.metrics, scope, status, seconds)
            if access_logger.isEnabledFor(logging.INFO):
                # orjson: a fifth of json.dumps's time for the same line.
                line = {
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                }
                log_access(orjson.dumps(line).decode())
            request_id_var.reset(token)

    def _observe(self, metrics: Metrics, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None)
        if route is None:
            route = scope["path"] if scope["path"] in self.plain_paths else "unmatched"
        key = (scope["method"], route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = metrics.route(*key)
        children.requests.inc()
        children.latency.observe(seconds)


def log_access(message: str) -> None:
    """``access_logger.info(message)``. Where ``memory-api serve``'s configuration is in place
    (its ``AccessHandler`` alone takes the access lines: no filter, no propagation, a level
    that lets INFO through) the handler writes the line itself; otherwise a record goes
    through the logger's filters and handlers as any other, made without the caller lookup
    (``findCaller`` walks the stack for a file and line the access format does not show: its
    source is "(unknown file)", line 0, as with ``logging._srcfile = None``)."""
    logger = access_logger
    handlers = logger.handlers
    if len(handlers) == 1 and not logger.propagate and not logger.filters:
        handler = handlers[0]
        if (
            isinstance(handler, AccessHandler)
            and handler.direct
            and not handler.filters
            and handler.level <= logging.INFO
        ):
            handler.write_access(message, time.time())
            return
    logger.handle(
        logger.makeRecord(logger.name, logging.INFO, "(unknown file)", 0, message, (), None)
    )


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope["headers"]:
        if key == wanted:
            return str(value.decode("latin-1"))
    return None
