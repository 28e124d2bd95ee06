"""Argument binding for the hottest routes, GET, POST and PATCH ``/state/{session_id}``.

FastAPI validates each declared parameter and solves the dependency tree (components,
principal, service) on every request: about a third of a GET's CPU time in the service
(bench.state_throughput). For the common form of these requests (no query string, a valid
session id, a body that validates; a PATCH's patch is checked by the endpoint itself) the
arguments are read here directly; anything else returns None and FastAPI binds them as
before, so every error keeps its exact answer.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from memory_api.auth.principal import get_principal
from memory_api.components import get_components
from memory_api.state.schemas import SESSION_ID_PATTERN, StateStoreRequest
from memory_api.state.service import get_state_service

# The parameter's own pattern without its anchors, matched whole: never looser than it.
_SESSION_ID = re.compile(SESSION_ID_PATTERN.removeprefix("^").removesuffix("$"))


async def _common(request: Request) -> dict[str, Any] | None:
    if request.scope["query_string"]:
        return None
    session_id = request.path_params.get("session_id")
    if not isinstance(session_id, str) or _SESSION_ID.fullmatch(session_id) is None:
        return None
    components = await get_components(request)
    principal = await get_principal(request)
    service = await get_state_service(components, principal)
    return {"session_id": session_id, "service": service}


async def retrieve_arguments(request: Request) -> dict[str, Any] | None:
    arguments = await _common(request)
    if arguments is not None:
        arguments.update(version=None, if_none_match=request.headers.get("if-none-match"))
    return arguments


async def store_arguments(request: Request) -> dict[str, Any] | None:
    # The route's body checks ran first: a JSON body is parsed and cached (or was refused).
    if not await request.body():
        return None
    try:
        body = StateStoreRequest.model_validate(await request.json())
    except ValidationError:
        return None
    arguments = await _common(request)
    if arguments is not None:
        headers = request.headers
        arguments.update(
            body=body,
            if_match=headers.get("if-match"),
            if_none_match=headers.get("if-none-match"),
        )
    return arguments


async def patch_arguments(request: Request) -> dict[str, Any] | None:
    # The route's body checks ran first: a body of one of the patch media types is parsed
    # and cached (or was refused); parse_patch, in the endpoint, checks the patch itself.
    content_type = request.headers.get("content-type")
    if content_type is None or not await request.body():
        return None
    arguments = await _common(request)
    if arguments is not None:
        headers = request.headers
        arguments.update(
            patch=await request.json(),
            content_type=content_type,
            ttl_seconds=None,
            if_match=headers.get("if-match"),
            if_none_match=headers.get("if-none-match"),
        )
    return arguments
