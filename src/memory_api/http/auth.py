"""API-key authentication for every route but the liveness probe.

Keys come from ``MEMORY_API_API_KEYS``; a request presents one as ``Authorization: Bearer <key>``
or ``X-API-Key: <key>``. Comparison is constant-time and keys are never logged.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from memory_api.http.schemas import ErrorResponse

PUBLIC_PATHS = frozenset({"/livez"})


class APIKeyMiddleware:
    def __init__(self, app: ASGIApp, keys: Sequence[str]) -> None:
        self.app = app
        self.keys = [key.encode() for key in keys]

    def _authorised(self, presented: str | None) -> bool:
        if not presented:
            return False
        candidate = presented.encode()
        # Compare with every key, without stopping early, so timing reveals nothing.
        matches = [hmac.compare_digest(candidate, key) for key in self.keys]
        return any(matches)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        presented = headers.get("x-api-key")
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if presented is None and scheme.lower() == "bearer":
            presented = token.strip()
        if self._authorised(presented):
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {"detail": "Missing or invalid API key"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="memory-api"'},
        )
        await response(scope, receive, send)


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
