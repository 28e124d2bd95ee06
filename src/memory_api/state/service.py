"""Session state use cases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from memory_api.db.columns import utcnow
from memory_api.db.session import SessionDep
from memory_api.errors import NotFound
from memory_api.state.repository import StateRepository
from memory_api.state.schemas import StateRetrieveResponse


class SessionNotFound(NotFound):
    default_detail = "Session not found"


class StateService:
    def __init__(self, repository: StateRepository) -> None:
        self.repository = repository

    async def store(self, session_id: str, state_data: dict[str, Any]) -> None:
        await self.repository.upsert(session_id, state_data, utcnow())

    async def retrieve(self, session_id: str) -> StateRetrieveResponse:
        row = await self.repository.get(session_id)
        if row is None:
            raise SessionNotFound()
        return StateRetrieveResponse.model_validate(row)

    async def delete(self, session_id: str) -> None:
        if not await self.repository.delete(session_id):
            raise SessionNotFound()

    async def list(self, skip: int, limit: int) -> list[StateRetrieveResponse]:
        rows = await self.repository.list(skip, limit)
        return [StateRetrieveResponse.model_validate(row) for row in rows]


def get_state_service(session: SessionDep) -> StateService:
    return StateService(StateRepository(session))


StateServiceDep = Annotated[StateService, Depends(get_state_service)]
