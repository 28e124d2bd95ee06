"""HTTP routes of the short-term memory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from memory_api.http.routing import JSONRoute
from memory_api.http.schemas import error_responses
from memory_api.state.rendering import render_state, render_states, render_stored
from memory_api.state.schemas import (
    SESSION_ID_PATTERN,
    SESSION_ID_RULE,
    StateRetrieveResponse,
    StateStoreRequest,
    StateStoreResponse,
)
from memory_api.state.service import StateServiceDep

JSON = "application/json"
router = APIRouter(tags=["short-term memory"], route_class=JSONRoute)

SessionId = Annotated[
    str, Path(pattern=SESSION_ID_PATTERN, description=f"Session id: {SESSION_ID_RULE}.")
]
MAX_SKIP = 1_000_000_000  # beyond any real list; keeps the value inside SQL integers
NOT_FOUND = error_responses(404, 422, 503, d404="Session not found")
WRITE_ERRORS = error_responses(413, 422, 503)


@router.post(
    "/state/{session_id}",
    status_code=status.HTTP_201_CREATED,
    summary="Store (create or replace) a session's state",
    response_model=StateStoreResponse,
    responses=WRITE_ERRORS,
)
async def store_state(
    session_id: SessionId, body: StateStoreRequest, service: StateServiceDep
) -> Response:
    await service.store(session_id, body.state_data)
    return Response(render_stored(session_id), status_code=status.HTTP_201_CREATED, media_type=JSON)


@router.get(
    "/state/{session_id}",
    summary="Read a session's state",
    response_model=StateRetrieveResponse,
    responses=NOT_FOUND,
)
async def retrieve_state(session_id: SessionId, service: StateServiceDep) -> Response:
    return Response(render_state(await service.retrieve(session_id)), media_type=JSON)


@router.delete(
    "/state/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a session's state",
    responses=NOT_FOUND,
)
async def delete_state(session_id: SessionId, service: StateServiceDep) -> Response:
    await service.delete(session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/sessions",
    response_model=list[StateRetrieveResponse],
    summary="List sessions, most recently updated first",
    responses=error_responses(422, 503),
)
async def list_sessions(
    service: StateServiceDep,
    skip: Annotated[int, Query(ge=0, le=MAX_SKIP)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    return Response(render_states(await service.list(skip, limit)), media_type=JSON)


# After the routes above: an id holding "/" (sent as %2F, or a trailing slash) matches none of
# them, and gets the id rule's 422 here instead of a 404 (or a redirect to another session).
for _method, _endpoint in (
    ("POST", store_state),
    ("GET", retrieve_state),
    ("DELETE", delete_state),
):
    router.add_api_route(
        "/state/{session_id:slashed}",
        _endpoint,
        methods=[_method],
        name=f"{_endpoint.__name__}_slashed",
        include_in_schema=False,
    )
