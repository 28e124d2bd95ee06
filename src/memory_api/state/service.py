"""Session state use cases. They return domain objects (``StoredState``); routes render them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends

from memory_api.auth.principal import PrincipalDep
from memory_api.components import DatabaseDep
from memory_api.db.columns import utcnow
from memory_api.db.session import Database
from memory_api.errors import NotFound
from memory_api.state.repository import SQLAlchemyExecutor, StateRepository, StoredState
from memory_api.state.repository_asyncpg import AsyncpgExecutor, acquire


class SessionNotFound(NotFound):
    default_detail = "Session not found"


class StateService:
    """Each use case takes a pooled connection for its one statement and gives it back (and,
    on SQLite, commits) before returning: a 2xx answer means the write is durable."""

    def __init__(self, database: Database, tenant: str) -> None:
        self.database = database
        self.tenant = tenant

    @asynccontextmanager
    async def _repository(self, *, read_only: bool = False) -> AsyncIterator[StateRepository]:
        if self.database.driver_pool is not None:  # PostgreSQL: the plain asyncpg pool
            async with acquire(self.database.driver_pool) as driver:
                yield StateRepository(AsyncpgExecutor(driver))
        else:
            async with self.database.single_statement(read_only=read_only) as connection:
                yield StateRepository(SQLAlchemyExecutor(connection))

    async def store(self, session_id: str, state_data: dict[str, Any]) -> None:
        async with self._repository() as repository:
            await repository.upsert(self.tenant, session_id, state_data, utcnow())

    async def retrieve(self, session_id: str) -> StoredState:
        async with self._repository(read_only=True) as repository:
            state = await repository.get(self.tenant, session_id)
        if state is None:
            raise SessionNotFound()
        return state

    async def delete(self, session_id: str) -> None:
        async with self._repository() as repository:
            deleted = await repository.delete(self.tenant, session_id)
        if not deleted:
            raise SessionNotFound()

    async def list(self, skip: int, limit: int) -> list[StoredState]:
        async with self._repository(read_only=True) as repository:
            states = await repository.list(self.tenant, skip, limit)
        return states


async def get_state_service(database: DatabaseDep, principal: PrincipalDep) -> StateService:
    return StateService(database, principal.tenant)


StateServiceDep = Annotated[StateService, Depends(get_state_service)]
