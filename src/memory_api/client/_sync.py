"""``MemoryClient``: the synchronous client."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from memory_api.client._base import (
    Call,
    Calls,
    Condition,
    DocumentCalls,
    StateRead,
    StateStored,
    client_options,
    no_answer,
    read,
    uploaded,
)
from memory_api.collections.schemas import CollectionInfo
from memory_api.documents.api_schemas import (
    BatchResponse,
    DocumentDetail,
    DocumentPage,
    DocumentWritten,
    UploadResponse,
)
from memory_api.documents.schemas import RAGStatsResponse
from memory_api.health.schemas import HealthResponse
from memory_api.indexing.schemas import (
    IndexJobSummary,
    IndexTaskStartResponse,
    IndexTaskStatusResponse,
)
from memory_api.jobs.status import FINISHED
from memory_api.search.schemas import RAGQueryResponse
from memory_api.state.schemas import (
    SessionsPage,
    StateRetrieveResponse,
    StateVersionInfo,
)
from memory_api.tenants.schemas import TenantErasedResponse

T = TypeVar("T")


class MemoryClient:
    """Talks to a memory-api server. ``transport`` lets tests run it against an app in-process."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        options = client_options(base_url, api_key, timeout, headers)
        self._http = httpx.Client(transport=transport, **options)

    def _send(self, call: Call[T]) -> T:
        try:
            response = self._http.request(call.method, call.path, **call.request_options())
        except httpx.TransportError as error:
            raise no_answer(self._http.base_url, call, error) from error
        return read(call, response)

    def put_state(
        self,
        session_id: str,
        state_data: dict[str, Any],
        *,
        ttl_seconds: int | None = None,
        if_match: Condition = None,
        if_none_match: Condition = None,
    ) -> StateStored:
        """Create or replace. ``if_match``: only at this ETag (the ``etag`` of a result, e.g.
        of ``get_state``), or "*": only if it exists; ``if_none_match="*"``: create only.
        PreconditionFailedError (412) when not. The result's ``etag`` is the new version's."""
        return self._send(
            Calls.put_state(session_id, state_data, ttl_seconds, if_match, if_none_match)
        )

    def get_state(self, session_id: str, *, version: int | None = None) -> StateRead:
        """The state, or one of its kept versions, with its ``etag``."""
        return self._send(Calls.get_state(session_id, version))

    def get_state_if_changed(self, session_id: str, etag: str) -> StateRead | None:
        """None while the session is still at ``etag`` (HTTP 304), else its state."""
        return self._send(Calls.get_state(session_id, None, etag))

    def patch_state(
        self,
        session_id: str,
        patch: dict[str, Any] | list[dict[str, Any]],
        *,
        ttl_seconds: int | None = None,
        if_match: Condition = None,
    ) -> StateRead:
        """Change part of the state atomically: a dict is a merge patch (RFC 7396), a list of
        operations a JSON Patch (RFC 6902), e.g. [{"op": "add", "path": "/messages/-", ...}]."""
        return self._send(Calls.patch_state(session_id, patch, ttl_seconds, if_match))

    def state_history(
        self, session_id: str, *, limit: int = 100, before_version: int | None = None
    ) -> list[StateVersionInfo]:
        """The kept versions, newest first (read one with ``get_state(id, version=N)``)."""
        return self._send(Calls.state_history(session_id, limit, before_version))

    def delete_state(self, session_id: str, *, if_match: Condition = None) -> None:
        self._send(Calls.delete_state(session_id, if_match))

    def list_sessions(
        self, skip: int = 0, limit: int = 100, *, prefix: str | None = None
    ) -> list[StateRetrieveResponse]:
        return self._send(Calls.list_sessions(skip, limit, prefix))

    def sessions_page(
        self,
        *,
        limit: int = 100,
        cursor: str | None = None,
        prefix: str | None = None,
        include_state: bool = True,
    ) -> SessionsPage:
        """One keyset page; pass its ``next_cursor`` for the next (None: the last page)."""
        return self._send(Calls.sessions_page(limit, cursor, prefix, include_state))

    def query(
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
        return self._send(call)

    def stats(self, collection: str | None = None) -> RAGStatsResponse:
        """Statistics of the default collection, or of ``collection``."""
        return self._send(Calls.stats(collection))

    def index(
        self,
        directory: str | None = None,
        file_extensions: list[str] | None = None,
        force_reindex: bool = False,
        collection: str | None = None,
    ) -> IndexTaskStartResponse:
        """Start indexing ``directory`` into ``collection`` (default: the default one)."""
        return self._send(Calls.index(directory, file_extensions, force_reindex, collection))

    def index_status(self, task_id: str) -> IndexTaskStatusResponse:
        return self._send(Calls.index_status(task_id))

    def list_jobs(self, status: str | None = None, limit: int = 100) -> list[IndexJobSummary]:
        """Recent indexing jobs, newest first; ``status`` filters (pending, in_progress, ...)."""
        return self._send(Calls.list_jobs(status, limit))

    def cancel_job(self, task_id: str) -> IndexTaskStatusResponse:
        """Cancel a job: a pending one ends now, a running one stops at its next step (it then
        ends as failed with ``result["cancelled"]``). ConflictError if it already ended."""
        return self._send(Calls.cancel_job(task_id))

    # --- collections and documents -------------------------------------------------------------
    def create_collection(
        self,
        name: str,
        *,
        metadata: dict[str, Any] | None = None,
        chunk_size: int | None = None,
        chunk_overlap: int | None = None,
    ) -> CollectionInfo:
        """ConflictError if it exists; chunking not given: the server's settings."""
        return self._send(
            DocumentCalls.create_collection(name, metadata, chunk_size, chunk_overlap)
        )

    def list_collections(self) -> list[CollectionInfo]:
        return self._send(DocumentCalls.list_collections())

    def get_collection(self, name: str) -> CollectionInfo:
        return self._send(DocumentCalls.get_collection(name))

    def reembed(self, name: str) -> IndexTaskStartResponse:
        """Start rebuilding the collection's vectors with the server's configured model (after
        a model change); follow it with ``wait_job(task_id)``."""
        return self._send(DocumentCalls.reembed(name))

    def delete_collection(self, name: str) -> None:
        """Gone at once, with its documents (removed in the background)."""
        self._send(DocumentCalls.delete_collection(name))

    def put_document(
        self, collection: str, doc_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> DocumentWritten:
        """Create or replace a document; searchable when this returns."""
        return self._send(DocumentCalls.put_document(collection, doc_id, text, metadata))

    def put_documents(self, collection: str, documents: list[dict[str, Any]]) -> BatchResponse:
        """Up to 1,000 ``{"doc_id", "text", "metadata"?}`` at once; errors per document."""
        return self._send(DocumentCalls.put_documents(collection, documents))

    def list_documents(
        self, collection: str, prefix: str = "", limit: int = 100, cursor: str | None = None
    ) -> DocumentPage:
        """One page, by doc_id; pass ``next_cursor`` back for the next one."""
        return self._send(DocumentCalls.list_documents(collection, prefix, limit, cursor))

    def get_document(
        self, collection: str, doc_id: str, *, include_chunks: bool = False
    ) -> DocumentDetail:
        """The document; with ``include_chunks``, its chunks too (``.chunks``, in order)."""
        return self._send(DocumentCalls.get_document(collection, doc_id, include_chunks))

    def delete_document(self, collection: str, doc_id: str) -> None:
        self._send(DocumentCalls.delete_document(collection, doc_id))

    def upload_files(
        self,
        collection: str,
        paths: list[str | Path],
        *,
        metadata: dict[str, Any] | None = None,
        prefix: str = "",
        poll_interval: float = 0.5,
        timeout: float | None = None,
    ) -> UploadResponse:
        """Upload files (text, Markdown, code, PDF, HTML); indexed when this returns. A big
        upload (202: indexed by a job) is waited for; MemoryAPIClientError if its job fails."""
        answer = self.start_upload(collection, paths, metadata=metadata, prefix=prefix)
        if isinstance(answer, UploadResponse):
            return answer
        return uploaded(self.wait_job(answer.task_id, poll_interval=poll_interval, timeout=timeout))

    def start_upload(
        self,
        collection: str,
        paths: list[str | Path],
        *,
        metadata: dict[str, Any] | None = None,
        prefix: str = "",
    ) -> UploadResponse | IndexTaskStartResponse:
        """Upload files without waiting: the 201 of a small upload, or a big one's job."""
        return self._send(DocumentCalls.upload(collection, paths, metadata, prefix))

    def delete_tenant(self, confirm: str) -> TenantErasedResponse:
        """Erase everything the key's tenant owns (sessions, collections, documents, vectors,
        jobs); ``confirm`` repeats the tenant's name. Counts of what went, by kind."""
        return self._send(Calls.delete_tenant(confirm))

    def health(self) -> HealthResponse:
        return self._send(Calls.health())

    def index_and_wait(
        self,
        directory: str | None = None,
        file_extensions: list[str] | None = None,
        force_reindex: bool = False,
        collection: str | None = None,
        *,
        poll_interval: float = 0.5,
        timeout: float | None = None,
        on_progress: Callable[[IndexTaskStatusResponse], None] | None = None,
    ) -> IndexTaskStatusResponse:
        """Start a job and poll it until it is completed or failed."""
        started = self.index(directory, file_extensions, force_reindex, collection)
        return self.wait_job(
            started.task_id, poll_interval=poll_interval, timeout=timeout, on_progress=on_progress
        )

    def wait_job(
        self,
        task_id: str,
        *,
        poll_interval: float = 0.5,
        timeout: float | None = None,
        on_progress: Callable[[IndexTaskStatusResponse], None] | None = None,
    ) -> IndexTaskStatusResponse:
        """Poll a job (indexing, upload, re-embedding) until it is completed or failed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = self.index_status(task_id)
            if on_progress is not None:
                on_progress(status)
            if status.status in FINISHED:
                return status
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {task_id} still {status.status}")
            time.sleep(poll_interval)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MemoryClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
