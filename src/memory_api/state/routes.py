"""HTTP routes of the short-term memory."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from memory_api.state.schemas import (
    SESSION_ID_PATTERN,
    SESSION_ID_RULE,
    StateRetrieveResponse,
    StateStoreRequest,
    StateStoreResponse,
)
from memory_api.state.service import StateServiceDep

router = APIRouter(tags=["short-term memory"])

SessionId = Annotated[
    str, Path(pattern=SESSION_ID_PATTERN, description=f"Session id: {SESSION_ID_RULE}.")
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Session not found"}}


@router.post(
    "/state/{session_id}",
    status_code=status.HTTP_201_CREATED,
    summary="Store (create or replace) a session's state",
)
async def store_state(
    session_id: SessionId, body: StateStoreRequest, service: StateServiceDep
) -> StateStoreResponse:
    await service.store(session_id, body.state_data)
    return StateStoreResponse(session_id=session_id)


@router.get("/state/{session_id}", summary="Read a session's state", responses=NOT_FOUND)
async def retrieve_state(session_id: SessionId, service: StateServiceDep) -> StateRetrieveResponse:
    return await service.retrieve(session_id)


@router.delete(
    "/state/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a session's state",
    responses=NOT_FOUND,
)
async def delete_state(session_id: SessionId, service: StateServiceDep) -> Response:
    await service.delete(session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sessions", summary="List sessions, most recently updated first")
async def list_sessions(
    service: StateServiceDep,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[StateRetrieveResponse]:
    return await service.list(skip, limit)
