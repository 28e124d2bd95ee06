"""One place that turns exceptions into ``{"detail": ...}`` JSON responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from memory_api.errors import MemoryAPIError, Unavailable

logger = logging.getLogger("memory_api")


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, MemoryAPIError)
    headers = {"Retry-After": "5"} if isinstance(error, Unavailable) else None
    if error.status_code >= 500:
        logger.warning(
            "%s %s -> %d: %s", request.method, request.url.path, error.status_code, error.detail
        )
    return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MemoryAPIError, _domain_error)
    app.add_exception_handler(Exception, _unexpected_error)
