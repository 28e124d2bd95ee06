"""API-key authentication for every route but the public ones.

A request presents a key as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; the
matching key's tenant becomes the request's ``Principal``. Comparison is constant-time and keys
are never logged.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from memory_api.auth.keys import APIKey
from memory_api.auth.principal import PRINCIPAL_STATE_KEY, Principal

# The liveness probe, and the console's shell (see memory_api.console.routes for why it holds
# nothing to protect): a browser cannot attach a key to a page load.
PUBLIC_PATHS = frozenset({"/livez", "/", "/ui", "/ui/config"})
PUBLIC_PREFIXES = ("/ui/assets/",)


class APIKeyMiddleware:
    """Accepts a request when a presented key matches: ``X-API-Key`` or ``Authorization:
    Bearer``, either one (a stale value in one header does not hide a valid other). Values are
    trimmed and compared as raw UTF-8 bytes, so keys need not be ASCII."""

    def __init__(self, app: ASGIApp, keys: Sequence[APIKey]) -> None:
        self.app = app
        self.keys = list(keys)
        self.principals = [Principal(key.tenant, key.key_id) for key in self.keys]

    def _principal(self, candidates: list[bytes]) -> Principal | None:
        # Compare every candidate with every key, without stopping early: timing reveals
        # nothing about which part matched.
        found: Principal | None = None
        for candidate in candidates:
            for key, principal in zip(self.keys, self.principals, strict=True):
                if hmac.compare_digest(candidate, key.secret) and found is None:
                    found = principal
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _public(scope["path"]):
            await self.app(scope, receive, send)
            return
        principal = self._principal(_presented(scope))
        if principal is not None:
            scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = principal
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {"detail": "Missing or invalid API key"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="memory-api"'},
        )
        await response(scope, receive, send)


def _public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


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
