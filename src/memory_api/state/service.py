"""Session state use cases. They return domain objects (``StoredState``); routes render them.

Versions make writes conditional (``Preconditions``): the check is part of the write statement
itself, so of N writers holding one version exactly one succeeds. A PATCH the database can apply
is that one statement too; any other writes conditioned on the version it read, and under the
session's row lock when that raced (see ``patch``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import Depends

from memory_api.auth.principal import PrincipalDep
from memory_api.components import ComponentsDep
from memory_api.db.columns import utcnow
from memory_api.db.session import Database
from memory_api.state.errors import PreconditionFailed, SessionNotFound, VersionNotFound
from memory_api.state.patching import Patch
from memory_api.state.preconditions import Preconditions, Tag
from memory_api.state.repository import (
    SessionPage,
    SQLAlchemyExecutor,
    StateRepository,
    StoredState,
    VersionInfo,
    WriteMode,
)
from memory_api.state.repository_asyncpg import AsyncpgExecutor, PooledConnection, PooledRepository

#: above any version a session reaches; the default of ``before_version``
NO_VERSION_LIMIT = 2**31 - 1


class StateService:
    """Each use case takes a pooled connection and gives it back (and commits) before
    returning: a 2xx answer means the write is durable."""

    def __init__(
        self,
        database: Database,
        tenant: str,
        *,
        history: int = 20,
        default_ttl_seconds: int | None = None,
    ) -> None:
        self.database = database
        self.tenant = tenant
        self.history = history
        self.default_ttl_seconds = default_ttl_seconds

    def _repository(
        self, *, read_only: bool = False, transaction: bool = False
    ) -> AbstractAsyncContextManager[StateRepository]:
        """``transaction``: several statements that must commit together (PostgreSQL; on
        SQLite every write connection is one IMMEDIATE transaction already)."""
        pool = self.database.driver_pool
        if pool is not None and not transaction:  # PostgreSQL: the plain asyncpg pool
            return PooledRepository(pool, self.history)
        return self._repository_in(read_only=read_only, transaction=transaction)

    @asynccontextmanager
    async def _repository_in(
        self, *, read_only: bool, transaction: bool
    ) -> AsyncIterator[StateRepository]:
        if self.database.driver_pool is not None:
            async with PooledConnection(self.database.driver_pool) as driver, driver.transaction():
                yield StateRepository(AsyncpgExecutor(driver), history=self.history)
        else:
            async with self.database.single_statement(
                read_only=read_only, transaction=transaction
            ) as connection:
                yield StateRepository(SQLAlchemyExecutor(connection), history=self.history)

    def _key(self, session_id: str) -> tuple[str, str]:
        return (self.tenant, session_id)

    def _expiry(self, now: datetime, ttl_seconds: int | None) -> datetime | None:
        ttl = ttl_seconds if ttl_seconds is not None else self.default_ttl_seconds
        return None if ttl is None else now + timedelta(seconds=ttl)

    async def store(
        self,
        session_id: str,
        state_data: dict[str, Any],
        *,
        ttl_seconds: int | None = None,
        preconditions: Preconditions = Preconditions(),  # noqa: B008 (immutable)
    ) -> StoredState:
        """Create or replace; with preconditions, only when they hold (else 412)."""
        now = utcnow()
        expires_at = self._expiry(now, ttl_seconds)
        key = self._key(session_id)
        async with self._repository() as repository:
            mode, expected = await self._resolve(repository, key, preconditions, now)
            written = await repository.write(mode, key, state_data, now, expires_at, expected)
        if written is None:
            raise PreconditionFailed()
        return written

    async def _resolve(
        self,
        repository: StateRepository,
        key: tuple[str, str],
        preconditions: Preconditions,
        now: datetime,
    ) -> tuple[WriteMode, Tag | None]:
        """The write that enforces ``preconditions`` atomically. The common forms need no
        read; others (tag lists, both headers) are checked against the current version and
        the write is then conditioned on that very version."""
        if preconditions.none:
            return WriteMode.UPSERT, None
        if_match, if_none_match = preconditions.if_match, preconditions.if_none_match
        if if_match is None and if_none_match is not None and if_none_match.any:
            return WriteMode.CREATE, None
        if if_none_match is None and if_match is not None:
            if if_match.any:
                return WriteMode.REPLACE, None
            single = if_match.single_tag()
            if single is not None:
                return WriteMode.REPLACE, single
        current = await repository.current_tag(key, now)
        if not preconditions.hold_for(current):
            raise PreconditionFailed()
        return (WriteMode.CREATE, None) if current is None else (WriteMode.REPLACE, current)

    async def patch(
        self,
        session_id: str,
        patch: Patch,
        *,
        ttl_seconds: int | None = None,
        preconditions: Preconditions = Preconditions(),  # noqa: B008 (immutable)
    ) -> StoredState:
        """Apply ``patch`` to the current state atomically. First optimistically (read, patch,
        write conditioned on the version read: two statements); if another writer came in
        between, again under the row lock, where each patch sees the one before it. No patch
        is lost and none retries more than once. The expiry is kept unless ``ttl_seconds``.

        A patch the database can apply itself (``Patch.in_sql``), with no precondition or an
        ``If-Match`` of one tag, is one statement; if it writes nothing (absent, another
        version, a patch the database cannot apply), the steps above give the exact answer."""
        now = utcnow()
        if patch.in_sql is not None and preconditions.if_none_match is None:
            if_match = preconditions.if_match
            expected = None if if_match is None or if_match.any else if_match.single_tag()
            if expected is not None or if_match is None or if_match.any:
                expires_at = None if ttl_seconds is None else self._expiry(now, ttl_seconds)
                async with self._repository() as repository:
                    written = await repository.patch(
                        self._key(session_id), patch.in_sql, now, expires_at, expected
                    )
                if written is not None:
                    return written
        async with self._repository() as repository:
            written = await self._patch_once(
                repository, session_id, patch, ttl_seconds, preconditions, now, lock=False
            )
        if written is not None:
            return written
        async with self._repository(transaction=True) as repository:
            written = await self._patch_once(
                repository, session_id, patch, ttl_seconds, preconditions, utcnow(), lock=True
            )
        if written is None:  # cannot happen under the lock; kept as a guard, not a 500
            raise PreconditionFailed()
        return written

    async def _patch_once(
        self,
        repository: StateRepository,
        session_id: str,
        patch: Patch,
        ttl_seconds: int | None,
        preconditions: Preconditions,
        now: datetime,
        *,
        lock: bool,
    ) -> StoredState | None:
        """None when the session moved past the version read (only without ``lock``)."""
        key = self._key(session_id)
        current = await (repository.lock(key, now) if lock else repository.get(key, now))
        if current is None:
            raise SessionNotFound()
        if not preconditions.hold_for(current.tag):
            raise PreconditionFailed()
        document = patch.apply(orjson.loads(current.state_json))
        expires_at = current.expires_at if ttl_seconds is None else self._expiry(now, ttl_seconds)
        return await repository.write(
            WriteMode.REPLACE, key, document, now, expires_at, current.tag
        )

    async def retrieve(self, session_id: str, version: int | None = None) -> StoredState:
        now = utcnow()
        key = self._key(session_id)
        async with self._repository(read_only=True) as repository:
            if version is None:
                state = await repository.get(key, now)
            else:
                state = await repository.get_version(key, version, now)
                if state is None and (current := await repository.get(key, now)) is not None:
                    if current.version != version:
                        raise VersionNotFound(
                            f"Version {version} not found (kept: the last {self.history})"
                        )
                    state = current
        if state is None:
            raise SessionNotFound()
        return state

    async def versions(
        self, session_id: str, before_version: int | None, limit: int
    ) -> list[VersionInfo]:
        """The kept versions, newest first, below ``before_version`` (keyset pages)."""
        now = utcnow()
        key = self._key(session_id)
        before = NO_VERSION_LIMIT if before_version is None else before_version
        async with self._repository(read_only=True) as repository:
            found = await repository.history_of(key, before, limit, now)
            if not found and await repository.current_tag(key, now) is None:
                raise SessionNotFound()
        return found

    async def delete(
        self,
        session_id: str,
        preconditions: Preconditions = Preconditions(),  # noqa: B008 (immutable)
    ) -> None:
        now = utcnow()
        key = self._key(session_id)
        async with self._repository() as repository:
            expected: Tag | None = None
            if not preconditions.none:
                single = preconditions.if_match.single_tag() if preconditions.if_match else None
                if single is not None and preconditions.if_none_match is None:
                    expected = single
                else:
                    expected = await repository.current_tag(key, now)
                    if expected is None:
                        raise SessionNotFound()
                    if not preconditions.hold_for(expected):
                        raise PreconditionFailed()
            deleted = await repository.delete(key, expected, now)
            exists = not deleted and expected is not None
            if exists and await repository.current_tag(key, now) is not None:
                raise PreconditionFailed()
        if not deleted:
            raise SessionNotFound()

    async def list(self, page: SessionPage) -> list[StoredState]:
        async with self._repository(read_only=True) as repository:
            return await repository.list(self.tenant, page, utcnow())


async def get_state_service(components: ComponentsDep, principal: PrincipalDep) -> StateService:
    settings = components.settings
    return StateService(
        components.database,
        principal.tenant,
        history=settings.state_history,
        default_ttl_seconds=settings.state_default_ttl_seconds,
    )


StateServiceDep = Annotated[StateService, Depends(get_state_service)]
