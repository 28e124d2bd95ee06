"""HTTP routes of the short-term memory."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Response, status

from memory_api.http.routing import JSONRoute, accepts, fast_path
from memory_api.http.schemas import error_responses
from memory_api.state.fast_path import patch_arguments, retrieve_arguments, store_arguments
from memory_api.state.paging import decode_cursor, encode_cursor
from memory_api.state.patching import parse_patch
from memory_api.state.preconditions import Preconditions, TagList, etag
from memory_api.state.rendering import (
    render_page,
    render_state,
    render_states,
    render_stored,
    render_versions,
)
from memory_api.state.repository import SessionPage
from memory_api.state.schemas import (
    JSON_PATCH,
    MAX_TTL_SECONDS,
    MERGE_PATCH,
    SESSION_ID_PATTERN,
    SESSION_ID_RULE,
    SessionsPage,
    StateResponse,
    StateRetrieveResponse,
    StateStoreRequest,
    StateStoreResponse,
    StateSummary,
    StateVersionInfo,
)
from memory_api.state.service import NO_VERSION_LIMIT, StateServiceDep

JSON = "application/json"
router = APIRouter(tags=["short-term memory"], route_class=JSONRoute)

SessionId = Annotated[
    str, Path(pattern=SESSION_ID_PATTERN, description=f"Session id: {SESSION_ID_RULE}.")
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="Write only if the session is at this ETag (as a response gave it: "
        '"<version>-<incarnation>", e.g. "3-6123f0a9b8c7d"), or exists (*); else 412 and '
        "nothing changes. The ETag of an earlier incarnation (before a delete or an expiry) "
        "never matches.",
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        description="On a write, * creates only (412 if the session exists); on GET, 304 "
        "when the session is still at this ETag.",
    ),
]
_POINTER = {"type": "string", "pattern": "^(/([^~/]|~[01])*)*$"}
#: RFC 6902 section 4, for the OpenAPI document
JSON_PATCH_OPERATION = {
    "oneOf": [
        {
            "type": "object",
            "required": ["op", "path", "value"],
            "properties": {
                "op": {"enum": ["add", "replace", "test"]},
                "path": _POINTER,
                "value": {},
            },
        },
        {
            "type": "object",
            "required": ["op", "path"],
            "properties": {"op": {"enum": ["remove"]}, "path": _POINTER},
        },
        {
            "type": "object",
            "required": ["op", "from", "path"],
            "properties": {"op": {"enum": ["move", "copy"]}, "from": _POINTER, "path": _POINTER},
        },
    ]
}
#: the response header of GET, POST and PATCH, for the OpenAPI document
ETAG = {
    "headers": {
        "ETag": {
            "description": 'The version and incarnation of the session: "<version>-<incarnation>" '
            '(e.g. "3-6123f0a9b8c7d"; the incarnation is its created_at in microseconds since '
            "the epoch, in hexadecimal, new when a deleted or expired session is written again). "
            "Opaque: send it back in If-Match / If-None-Match as given.",
            "schema": {"type": "string"},
        }
    }
}
MAX_SKIP = 1_000_000_000  # beyond any real list; keeps the value inside SQL integers
NOT_FOUND = error_responses(404, 422, 503, d404="Session not found")
WRITE_ERRORS = error_responses(412, 413, 422, 503)
PATCH_ERRORS = error_responses(404, 409, 412, 413, 422, 503, d404="Session not found")


@router.post(
    "/state/{session_id}",
    status_code=status.HTTP_201_CREATED,
    summary="Store (create or replace) a session's state",
    response_model=StateStoreResponse,
    responses={201: ETAG, **WRITE_ERRORS},
)
@fast_path(store_arguments)
async def store_state(
    session_id: SessionId,
    body: StateStoreRequest,
    service: StateServiceDep,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    stored = await service.store(
        session_id,
        body.state_data,
        ttl_seconds=body.ttl_seconds,
        preconditions=Preconditions.from_headers(if_match, if_none_match),
    )
    return Response(
        render_stored(session_id),
        status_code=status.HTTP_201_CREATED,
        media_type=JSON,
        headers={"ETag": etag(stored.tag)},
    )


@router.get(
    "/state/{session_id}",
    summary="Read a session's state (or one of its kept versions)",
    response_model=StateResponse,
    responses={
        200: ETAG,
        304: {"description": "Still at the ETag given in If-None-Match", **ETAG},
        **NOT_FOUND,
    },
)
@fast_path(retrieve_arguments)
async def retrieve_state(
    session_id: SessionId,
    service: StateServiceDep,
    version: Annotated[
        int | None, Query(ge=1, lt=NO_VERSION_LIMIT, description="A kept version to read.")
    ] = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    state = await service.retrieve(session_id, version)
    headers = {"ETag": etag(state.tag)}
    condition = TagList.parse(if_none_match)
    if condition is not None and condition.matches_weakly(state.tag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(render_state(state), media_type=JSON, headers=headers)


@router.patch(
    "/state/{session_id}",
    summary="Change part of a session's state atomically (merge patch or JSON Patch)",
    response_model=StateResponse,
    responses={200: ETAG, **PATCH_ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                MERGE_PATCH: {"schema": {"type": "object"}, "example": {"step": 3}},
                # An example of its own: ReDoc's sampler cannot draw an array of oneOf (it
                # warns "found allOf with array type" in the browser's console).
                JSON_PATCH: {
                    "schema": {"type": "array", "items": JSON_PATCH_OPERATION},
                    "example": [{"op": "add", "path": "/messages/-", "value": "hello"}],
                },
            },
        }
    },
)
@accepts(MERGE_PATCH, JSON_PATCH)
@fast_path(patch_arguments)
async def patch_state(
    session_id: SessionId,
    patch: Annotated[Any, Body(media_type=MERGE_PATCH)],
    service: StateServiceDep,
    content_type: Annotated[str, Header(alias="Content-Type", include_in_schema=False)],
    ttl_seconds: Annotated[
        int | None, Query(ge=1, le=MAX_TTL_SECONDS, description="Reset the expiry.")
    ] = None,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    state = await service.patch(
        session_id,
        parse_patch(content_type, patch),
        ttl_seconds=ttl_seconds,
        preconditions=Preconditions.from_headers(if_match, if_none_match),
    )
    headers = {"ETag": etag(state.tag)}
    return Response(render_state(state), media_type=JSON, headers=headers)


@router.delete(
    "/state/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a session's state and its history",
    responses={**NOT_FOUND, **error_responses(412)},
)
async def delete_state(
    session_id: SessionId,
    service: StateServiceDep,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    await service.delete(session_id, Preconditions.from_headers(if_match, if_none_match))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/state/{session_id}/history",
    response_model=list[StateVersionInfo],
    summary="List a session's kept versions, newest first",
    responses=NOT_FOUND,
)
async def state_history(
    session_id: SessionId,
    service: StateServiceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_version: Annotated[
        int | None,
        Query(ge=1, le=NO_VERSION_LIMIT, description="Only versions below it (next page)."),
    ] = None,
) -> Response:
    return Response(
        render_versions(await service.versions(session_id, before_version, limit)),
        media_type=JSON,
    )


@router.get(
    "/sessions",
    response_model=list[StateRetrieveResponse] | list[StateSummary] | SessionsPage,
    summary="List sessions, most recently updated first",
    description="A full page carries the next page's cursor in the X-Next-Cursor header "
    "(and in the body with envelope=true: {sessions: [StateResponse], next_cursor}).",
    responses={
        # An example of its own: ReDoc's sampler cannot merge a choice of arrays (it warns
        # "found allOf with array type" in the browser's console).
        200: {
            "content": {
                "application/json": {
                    "example": [
                        {
                            "session_id": "agent-42",
                            "state_data": {"step": 2},
                            "created_at": "2026-12-01T15:00:00.123456Z",
                            "updated_at": "2026-12-01T15:02:00.654321Z",
                        }
                    ]
                }
            }
        },
        **error_responses(422, 503),
    },
)
async def list_sessions(
    service: StateServiceDep,
    skip: Annotated[int, Query(ge=0, le=MAX_SKIP)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    prefix: Annotated[
        str, Query(pattern=r"^[A-Za-z0-9._:@-]{0,256}$", description="Only ids starting so.")
    ] = "",
    cursor: Annotated[
        str | None, Query(max_length=2048, description="next_cursor of the previous page.")
    ] = None,
    include_state: Annotated[
        bool, Query(description="false: leave state_data out of the items.")
    ] = True,
    envelope: Annotated[
        bool, Query(description="true: answer {sessions, next_cursor} instead of a list.")
    ] = False,
) -> Response:
    page = SessionPage(
        skip=skip,
        limit=limit,
        prefix=prefix,
        after=None if cursor is None else decode_cursor(cursor),
        include_state=include_state,
    )
    states = await service.list(page)
    next_cursor = encode_cursor(states[-1]) if len(states) == limit else None
    headers = {} if next_cursor is None else {"X-Next-Cursor": next_cursor}
    if envelope:
        body = render_page(states, next_cursor, include_state=include_state)
    else:
        body = render_states(states, include_state=include_state)
    return Response(body, media_type=JSON, headers=headers)


async def history_method_not_allowed() -> Response:
    return Response(
        b'{"detail":"Method Not Allowed"}',
        status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
        media_type=JSON,
        headers={"Allow": "GET"},
    )


# Before the "slashed" routes below, which would take ".../history" for an id with a "/".
router.add_api_route(
    "/state/{session_id}/history",
    history_method_not_allowed,
    methods=["POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)

# After the routes above: an id holding "/" (sent as %2F, or a trailing slash) matches none of
# them, and gets the id rule's 422 here instead of a 404 (or a redirect to another session).
for _method, _endpoint in (
    ("POST", store_state),
    ("GET", retrieve_state),
    ("PATCH", patch_state),
    ("DELETE", delete_state),
):
    router.add_api_route(
        "/state/{session_id:slashed}",
        _endpoint,
        methods=[_method],
        name=f"{_endpoint.__name__}_slashed",
        include_in_schema=False,
    )
