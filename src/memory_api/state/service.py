"""Session state use cases. Reads come back as ready-to-send JSON bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request

from memory_api.db.columns import utcnow
from memory_api.db.session import get_database
from memory_api.errors import NotFound
from memory_api.state.repository import StateRepository, StateStore, StoredState
from memory_api.state.repository_asyncpg import AsyncpgStateRepository, acquire

_TIME = orjson.OPT_UTC_Z


class SessionNotFound(NotFound):
    default_detail = "Session not found"


def render(state: StoredState) -> bytes:
    """The ``StateRetrieveResponse`` JSON, with the stored document spliced in unparsed."""
    return b"".join(
        (
            b'{"session_id":',
            orjson.dumps(state.session_id),
            b',"state_data":',
            state.state_json.encode(),
            b',"created_at":',
            orjson.dumps(state.created_at, option=_TIME),
            b',"updated_at":',
            orjson.dumps(state.updated_at, option=_TIME),
            b"}",
        )
    )


class StateService:
    def __init__(self, repository: StateStore) -> None:
        self.repository = repository

    async def store(self, session_id: str, state_data: dict[str, Any]) -> None:
        await self.repository.upsert(session_id, state_data, utcnow())

    async def retrieve(self, session_id: str) -> bytes:
        state = await self.repository.get(session_id)
        if state is None:
            raise SessionNotFound()
        return render(state)

    async def delete(self, session_id: str) -> None:
        if not await self.repository.delete(session_id):
            raise SessionNotFound()

    async def list(self, skip: int, limit: int) -> bytes:
        states = await self.repository.list(skip, limit)
        return b"[" + b",".join(render(state) for state in states) + b"]"


async def get_state_service(request: Request) -> AsyncIterator[StateService]:
    """asyncpg's pool on PostgreSQL, SQLAlchemy otherwise; the connection is released (and,
    on SQLite, committed) before the response is sent."""
    database = get_database(request)
    if database.driver_pool is not None:
        async with acquire(database.driver_pool) as driver:
            yield StateService(AsyncpgStateRepository(driver))
    else:
        async with database.single_statement() as connection:
            yield StateService(StateRepository(connection))


StateServiceDep = Annotated[StateService, Depends(get_state_service, scope="function")]
