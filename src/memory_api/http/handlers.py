"""One place that turns exceptions into ``{"detail": ...}`` JSON responses."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from memory_api.errors import MemoryAPIError, Unavailable
from memory_api.http.validation import validation_error

logger = logging.getLogger("memory_api")
# Sent with every 503 (a domain error, or /health and /readyz finding a dependency down):
# dependencies come back by themselves, so clients are told when to try again.
RETRY_AFTER = {"Retry-After": "5"}


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, MemoryAPIError)
    headers = RETRY_AFTER if isinstance(error, Unavailable) else None
    if error.status_code >= 500:
        logger.warning(
            "%s %s -> %d: %s", request.method, request.url.path, error.status_code, error.detail
        )
    return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)


_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def _leaf_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route, those of included routers too (this app includes them without prefix)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaf_routes(inner.routes)
        else:
            yield route


def _allowed_methods(request: Request) -> str:
    """Every method the path accepts (Starlette names only the first matching route's).

    Hidden catch-all routes (ids holding a "/") count only for paths no documented route
    matches: ``/index_status/x/cancel`` is the cancel route's path, not a slashed task id."""
    routes = list(_leaf_routes(request.app.router.routes))

    def matching(method: str, candidates: list[Any]) -> bool:
        scope = {**request.scope, "method": method}
        return any(route.matches(scope)[0] == Match.FULL for route in candidates)

    documented = [route for route in routes if getattr(route, "include_in_schema", True)]
    if any(matching(method, documented) for method in _METHODS):
        routes = documented
    return ", ".join(method for method in _METHODS if matching(method, routes))


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    status, headers = error.status_code, dict(error.headers or {})
    detail: object = error.detail
    if status == 400:
        # FastAPI answers 400 for a body it cannot decode (e.g. invalid UTF-8); like any other
        # malformed JSON it is a validation error of the request.
        status = 422
        detail = [{"type": "json_invalid", "loc": ["body"], "msg": "Body is not valid UTF-8 JSON"}]
    if status == 405:
        headers["Allow"] = _allowed_methods(request)
    return JSONResponse({"detail": detail}, status_code=status, headers=headers or None)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MemoryAPIError, _domain_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
