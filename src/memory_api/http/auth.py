"""API-key authentication for every route but the liveness probe.

Keys come from ``MEMORY_API_API_KEYS``; a request presents one as ``Authorization: Bearer <key>``
or ``X-API-Key: <key>``. Comparison is constant-time and keys are never logged.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from memory_api.http.schemas import ErrorResponse

PUBLIC_PATHS = frozenset({"/livez"})


class APIKeyMiddleware:
    """Accepts a request when a presented key matches: ``X-API-Key`` or ``Authorization:
    Bearer``, either one (a stale value in one header does not hide a valid other). Values are
    trimmed and compared as raw UTF-8 bytes, so keys need not be ASCII."""

    def __init__(self, app: ASGIApp, keys: Sequence[str]) -> None:
        self.app = app
        self.keys = [key.encode() for key in keys]

    def _authorised(self, candidates: list[bytes]) -> bool:
        # Compare every candidate with every key, without stopping early: timing reveals
        # nothing about which part matched.
        matches = [hmac.compare_digest(c, key) for c in candidates for key in self.keys]
        return any(matches)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        if self._authorised(_presented(scope)):
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {"detail": "Missing or invalid API key"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="memory-api"'},
        )
        await response(scope, receive, send)


def _presented(scope: Scope) -> list[bytes]:
    """The non-empty, trimmed credentials of the first X-API-Key and Authorization headers."""
    api_key: bytes | None = None
    authorization: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"x-api-key" and api_key is None:
            api_key = value.strip()
        elif name == b"authorization" and authorization is None:
            authorization = value
    candidates = [api_key] if api_key else []
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(b" ")
        if scheme.lower() == b"bearer" and token.strip():
            candidates.append(token.strip())
    return candidates


def declare_security(openapi: dict[str, Any]) -> dict[str, Any]:
    """Add the two accepted schemes to an OpenAPI document: required on every operation but
    the public ones, each of which then documents its 401."""
    components = openapi.setdefault("components", {})
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    components.setdefault("schemas", {}).setdefault(
        "ErrorResponse", ErrorResponse.model_json_schema()
    )
    openapi["security"] = [{"bearer": []}, {"apiKey": []}]
    unauthorised = {
        "description": "Missing or invalid API key",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
    for path, item in openapi.get("paths", {}).items():
        for operation in item.values():
            if path in PUBLIC_PATHS:
                operation["security"] = []
            else:
                operation.setdefault("responses", {}).setdefault("401", unauthorised)
    return openapi
