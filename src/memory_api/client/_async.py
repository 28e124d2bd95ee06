"""``AsyncMemoryClient``: the asynchronous client (same methods, awaited)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import httpx

from memory_api.client._base import (
    FINISHED,
    Call,
    Calls,
    Condition,
    StateStored,
    client_options,
    no_answer,
    read,
)
from memory_api.documents.schemas import RAGStatsResponse
from memory_api.health.schemas import HealthResponse
from memory_api.indexing.schemas import (
    IndexJobSummary,
    IndexTaskStartResponse,
    IndexTaskStatusResponse,
)
from memory_api.search.schemas import RAGQueryResponse
from memory_api.state.schemas import (
    SessionsPage,
    StateResponse,
    StateRetrieveResponse,
    StateVersionInfo,
)

T = TypeVar("T")


class AsyncMemoryClient:
    """Talks to a memory-api server. ``transport`` lets tests run it against an app in-process."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        headers: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        options = client_options(base_url, api_key, timeout, headers)
        self._http = httpx.AsyncClient(transport=transport, **options)

    async def _send(self, call: Call[T]) -> T:
        try:
            response = await self._http.request(
                call.method,
                call.path,
                json=call.json,
                content=call.content,
                params=call.params or None,
                headers=call.headers or None,
            )
        except httpx.TransportError as error:
            raise no_answer(self._http.base_url, call, error) from error
        return read(call, response)

    async def put_state(
        self,
        session_id: str,
        state_data: dict[str, Any],
        *,
        ttl_seconds: int | None = None,
        if_match: Condition = None,
        if_none_match: Condition = None,
    ) -> StateStored:
        """Create or replace. ``if_match``: only at this version (or "*": only if it exists);
        ``if_none_match="*"``: create only. PreconditionFailedError (412) when not."""
        return await self._send(
            Calls.put_state(session_id, state_data, ttl_seconds, if_match, if_none_match)
        )

    async def get_state(self, session_id: str, *, version: int | None = None) -> StateResponse:
        """The state, or one of its kept versions."""
        return await self._send(Calls.get_state(session_id, version))

    async def get_state_if_changed(self, session_id: str, version: int) -> StateResponse | None:
        """None while the session is still at ``version`` (HTTP 304), else its state."""
        return await self._send(Calls.get_state(session_id, None, version))

    async def patch_state(
        self,
        session_id: str,
        patch: dict[str, Any] | list[dict[str, Any]],
        *,
        ttl_seconds: int | None = None,
        if_match: Condition = None,
    ) -> StateResponse:
        """Change part of the state atomically: a dict is a merge patch (RFC 7396), a list of
        operations a JSON Patch (RFC 6902), e.g. [{"op": "add", "path": "/messages/-", ...}]."""
        return await self._send(Calls.patch_state(session_id, patch, ttl_seconds, if_match))

    async def state_history(
        self, session_id: str, *, limit: int = 100, before_version: int | None = None
    ) -> list[StateVersionInfo]:
        """The kept versions, newest first (read one with ``get_state(id, version=N)``)."""
        return await self._send(Calls.state_history(session_id, limit, before_version))

    async def delete_state(self, session_id: str, *, if_match: Condition = None) -> None:
        await self._send(Calls.delete_state(session_id, if_match))

    async def list_sessions(
        self, skip: int = 0, limit: int = 100, *, prefix: str | None = None
    ) -> list[StateRetrieveResponse]:
        return await self._send(Calls.list_sessions(skip, limit, prefix))

    async def sessions_page(
        self,
        *,
        limit: int = 100,
        cursor: str | None = None,
        prefix: str | None = None,
        include_state: bool = True,
    ) -> SessionsPage:
        """One keyset page; pass its ``next_cursor`` for the next (None: the last page)."""
        return await self._send(Calls.sessions_page(limit, cursor, prefix, include_state))

    async def query(
        self,
        query: str,
        top_k: int = 5,
        filter_metadata: dict[str, Any] | None = None,
        *,
        mode: str | None = None,
        collection: str | None = None,
        fusion: dict[str, Any] | None = None,
    ) -> RAGQueryResponse:
        """Search: ``mode`` "hybrid" (the server's default), "semantic" or "lexical";
        ``fusion`` e.g. {"method": "rrf", "semantic_weight": 0.5}."""
        call = Calls.query(query, top_k, filter_metadata, mode, collection, fusion)
        return await self._send(call)

    async def stats(self) -> RAGStatsResponse:
        return await self._send(Calls.stats())

    async def index(
        self,
        directory: str | None = None,
        file_extensions: list[str] | None = None,
        force_reindex: bool = False,
    ) -> IndexTaskStartResponse:
        return await self._send(Calls.index(directory, file_extensions, force_reindex))

    async def index_status(self, task_id: str) -> IndexTaskStatusResponse:
        return await self._send(Calls.index_status(task_id))

    async def list_jobs(self, status: str | None = None, limit: int = 100) -> list[IndexJobSummary]:
        """Recent indexing jobs, newest first; ``status`` filters (pending, in_progress, ...)."""
        return await self._send(Calls.list_jobs(status, limit))

    async def cancel_job(self, task_id: str) -> IndexTaskStatusResponse:
        """Cancel a job: a pending one ends now, a running one stops at its next step (it then
        ends as failed with ``result["cancelled"]``). ConflictError if it already ended."""
        return await self._send(Calls.cancel_job(task_id))

    async def health(self) -> HealthResponse:
        return await self._send(Calls.health())

    async def index_and_wait(
        self,
        directory: str | None = None,
        file_extensions: list[str] | None = None,
        force_reindex: bool = False,
        *,
        poll_interval: float = 0.5,
        timeout: float | None = None,  # noqa: ASYNC109 - same signature as the sync client
        on_progress: Callable[[IndexTaskStatusResponse], None] | None = None,
    ) -> IndexTaskStatusResponse:
        """Start a job and poll it until it is completed or failed."""
        started = await self.index(directory, file_extensions, force_reindex)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = await self.index_status(started.task_id)
            if on_progress is not None:
                on_progress(status)
            if status.status in FINISHED:
                return status
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {started.task_id} still {status.status}")
            await asyncio.sleep(poll_interval)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncMemoryClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
