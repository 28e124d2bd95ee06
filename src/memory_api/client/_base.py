"""What both clients share: how each call is built and how each answer is read."""

from __future__ import annotations

import json
import mimetypes
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
import orjson
from pydantic import TypeAdapter

from memory_api.client._exceptions import MemoryAPIClientError, TransportError, error_for
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
from memory_api.search.schemas import RAGQueryResponse
from memory_api.state.schemas import (
    JSON_PATCH,
    MERGE_PATCH,
    SessionsPage,
    StateResponse,
    StateRetrieveResponse,
    StateStoreResponse,
    StateVersionInfo,
)
from memory_api.tenants.schemas import TenantErasedResponse

T = TypeVar("T")
DEFAULT_URL = "http://127.0.0.1:8001"


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    result: TypeAdapter[T] | None
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    ok_statuses: frozenset[int] = frozenset()  # error statuses whose body is still a result
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None  # a multipart body
    data: dict[str, str] | None = None  # its form fields

    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None  # a raw body instead of ``json`` (PATCH documents)
    #: the answer (``StateStored``, ``StateRead``) takes the ETag header (and a version from it)
    with_etag: bool = False

    def request_options(self) -> dict[str, Any]:
        """What httpx's ``request`` takes for this call."""
        options: dict[str, Any] = {"params": self.params or None, "headers": self.headers or None}
        if self.files is not None:
            return {**options, "files": self.files, "data": self.data}
        return {**options, "json": self.json, "content": self.content}


class StateStored(StateStoreResponse):
    """What ``put_state`` returns: the seed's answer plus the new version and its ETag."""

    version: int | None = None
    #: the ETag the server gave this write: ``if_match=`` it to write only on top of it
    etag: str | None = None


class StateRead(StateResponse):
    """A state as read or patched, with its ETag (for ``if_match=`` / ``get_state_if_changed``)."""

    etag: str | None = None


#: If-Match / If-None-Match arguments: an ETag as a call returned it (``.etag``), or "*" (any
#: version / any session). Not a version number: versions restart at 1 when a session is
#: deleted and written again, and only the ETag tells the two apart.
Condition = str | None
_VERSION = re.compile(r'"([0-9]+)-[0-9a-f]+"')


def _tag(condition: object) -> str:
    if not isinstance(condition, str):
        raise TypeError(
            "if_match / if_none_match take an ETag as a call returned it (its .etag) or '*', "
            f"not {condition!r}: a version number does not tell a re-created session apart"
        )
    return condition


def conditions(if_match: Condition, if_none_match: Condition) -> dict[str, str]:
    headers = {}
    if if_match is not None:
        headers["If-Match"] = _tag(if_match)
    if if_none_match is not None:
        headers["If-None-Match"] = _tag(if_none_match)
    return headers


def version_of(etag: str | None) -> int | None:
    """The version an ETag of the server names (``"3-..."``: 3)."""
    match = _VERSION.fullmatch(etag or "")
    return int(match.group(1)) if match else None


def _segment(value: str) -> str:
    """``value`` as one path segment: "a/b" or "x?y" cannot reach another route, and "." or
    ".." (valid session ids) are not removed as dot segments."""
    if value and set(value) == {"."}:
        return "%2E" * len(value)
    return quote(value, safe="")


def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


STATE = _adapter(StateRead)
STATES = _adapter(list[StateRetrieveResponse])
SESSIONS_PAGE = _adapter(SessionsPage)
VERSIONS = _adapter(list[StateVersionInfo])
STORED = _adapter(StateStored)
QUERY = _adapter(RAGQueryResponse)
STATS = _adapter(RAGStatsResponse)
STARTED = _adapter(IndexTaskStartResponse)
STATUS = _adapter(IndexTaskStatusResponse)
JOBS = _adapter(list[IndexJobSummary])
HEALTH = _adapter(HealthResponse)
COLLECTION = _adapter(CollectionInfo)
COLLECTIONS = _adapter(list[CollectionInfo])
WRITTEN = _adapter(DocumentWritten)
BATCH = _adapter(BatchResponse)
DOCUMENTS_PAGE = _adapter(DocumentPage)
DOCUMENT = _adapter(DocumentDetail)
UPLOADED = _adapter(UploadResponse | IndexTaskStartResponse)
ERASED = _adapter(TenantErasedResponse)


class Calls:
    """One factory per endpoint; the sync and async clients send what these build."""

    @staticmethod
    def put_state(
        session_id: str,
        state_data: dict[str, Any],
        ttl_seconds: int | None = None,
        if_match: Condition = None,
        if_none_match: Condition = None,
    ) -> Call[StateStored]:
        body: dict[str, Any] = {"state_data": state_data}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        return Call(
            "POST",
            f"/state/{_segment(session_id)}",
            STORED,
            json=body,
            headers=conditions(if_match, if_none_match),
            with_etag=True,
        )

    @staticmethod
    def get_state(
        session_id: str, version: int | None = None, if_none_match: Condition = None
    ) -> Call[StateRead]:
        params = {} if version is None else {"version": version}
        headers = conditions(None, if_none_match)
        path = f"/state/{_segment(session_id)}"
        return Call("GET", path, STATE, params=params, headers=headers, with_etag=True)

    @staticmethod
    def patch_state(
        session_id: str,
        patch: dict[str, Any] | list[dict[str, Any]],
        ttl_seconds: int | None = None,
        if_match: Condition = None,
    ) -> Call[StateRead]:
        """A list is a JSON Patch (RFC 6902), an object a merge patch (RFC 7396)."""
        kind = JSON_PATCH if isinstance(patch, list) else MERGE_PATCH
        return Call(
            "PATCH",
            f"/state/{_segment(session_id)}",
            STATE,
            params={} if ttl_seconds is None else {"ttl_seconds": ttl_seconds},
            headers={"Content-Type": kind, **conditions(if_match, None)},
            content=orjson.dumps(patch),
            with_etag=True,
        )

    @staticmethod
    def state_history(
        session_id: str, limit: int, before_version: int | None
    ) -> Call[list[StateVersionInfo]]:
        params: dict[str, Any] = {"limit": limit}
        if before_version is not None:
            params["before_version"] = before_version
        return Call("GET", f"/state/{_segment(session_id)}/history", VERSIONS, params=params)

    @staticmethod
    def delete_state(session_id: str, if_match: Condition = None) -> Call[None]:
        headers = conditions(if_match, None)
        return Call("DELETE", f"/state/{_segment(session_id)}", None, headers=headers)

    @staticmethod
    def list_sessions(
        skip: int, limit: int, prefix: str | None = None
    ) -> Call[list[StateRetrieveResponse]]:
        params: dict[str, Any] = {"skip": skip, "limit": limit}
        if prefix:
            params["prefix"] = prefix
        return Call("GET", "/sessions", STATES, params=params)

    @staticmethod
    def sessions_page(
        limit: int, cursor: str | None, prefix: str | None, include_state: bool
    ) -> Call[SessionsPage]:
        params: dict[str, Any] = {"limit": limit, "envelope": "true"}
        params.update({"include_state": str(include_state).lower()})
        params.update({k: v for k, v in {"cursor": cursor, "prefix": prefix}.items() if v})
        return Call("GET", "/sessions", SESSIONS_PAGE, params=params)

    @staticmethod
    def query(
        query: str,
        top_k: int,
        filter_metadata: dict[str, Any] | None,
        mode: str | None = None,
        collection: str | None = None,
        fusion: dict[str, Any] | None = None,
    ) -> Call[RAGQueryResponse]:
        body: dict[str, Any] = {"query": query, "top_k": top_k, "filter_metadata": filter_metadata}
        optional = {"mode": mode, "collection": collection, "fusion": fusion}
        body.update({key: value for key, value in optional.items() if value is not None})
        return Call("POST", "/rag_query", QUERY, json=body)

    @staticmethod
    def stats(collection: str | None = None) -> Call[RAGStatsResponse]:
        params = {} if collection is None else {"collection": collection}
        return Call("GET", "/rag_stats", STATS, params=params)

    @staticmethod
    def index(
        directory: str | None,
        file_extensions: list[str] | None,
        force_reindex: bool,
        collection: str | None = None,
    ) -> Call[IndexTaskStartResponse]:
        body: dict[str, Any] = {"directory": directory, "force_reindex": force_reindex}
        if file_extensions is not None:
            body["file_extensions"] = file_extensions
        if collection is not None:
            body["collection"] = collection
        return Call("POST", "/index_files", STARTED, json=body)

    @staticmethod
    def index_status(task_id: str) -> Call[IndexTaskStatusResponse]:
        return Call("GET", f"/index_status/{_segment(task_id)}", STATUS)

    @staticmethod
    def list_jobs(status: str | None, limit: int) -> Call[list[IndexJobSummary]]:
        params: dict[str, Any] = {"limit": limit}
        if status is not None:
            params["status"] = status
        return Call("GET", "/index_jobs", JOBS, params=params)

    @staticmethod
    def cancel_job(task_id: str) -> Call[IndexTaskStatusResponse]:
        return Call("POST", f"/index_status/{_segment(task_id)}/cancel", STATUS)

    @staticmethod
    def delete_tenant(confirm: str) -> Call[TenantErasedResponse]:
        return Call("DELETE", "/tenant", ERASED, params={"confirm": confirm})

    @staticmethod
    def health() -> Call[HealthResponse]:
        return Call("GET", "/health", HEALTH, ok_statuses=frozenset({503}))


class DocumentCalls:
    """Factories of the collection and document endpoints."""

    @staticmethod
    def create_collection(
        name: str,
        metadata: dict[str, Any] | None,
        chunk_size: int | None,
        chunk_overlap: int | None,
    ) -> Call[CollectionInfo]:
        body: dict[str, Any] = {"name": name}
        optional = {"metadata": metadata, "chunk_size": chunk_size, "chunk_overlap": chunk_overlap}
        body.update({key: value for key, value in optional.items() if value is not None})
        return Call("POST", "/collections", COLLECTION, json=body)

    @staticmethod
    def list_collections() -> Call[list[CollectionInfo]]:
        return Call("GET", "/collections", COLLECTIONS)

    @staticmethod
    def get_collection(name: str) -> Call[CollectionInfo]:
        return Call("GET", f"/collections/{_segment(name)}", COLLECTION)

    @staticmethod
    def delete_collection(name: str) -> Call[None]:
        return Call("DELETE", f"/collections/{_segment(name)}", None)

    @staticmethod
    def reembed(name: str) -> Call[IndexTaskStartResponse]:
        return Call("POST", f"/collections/{_segment(name)}/reembed", STARTED)

    @staticmethod
    def _documents(collection: str) -> str:
        return f"/collections/{_segment(collection)}/documents"

    @staticmethod
    def put_document(
        collection: str, doc_id: str, text: str, metadata: dict[str, Any] | None
    ) -> Call[DocumentWritten]:
        path = f"{DocumentCalls._documents(collection)}/{_segment(doc_id)}"
        return Call("PUT", path, WRITTEN, json={"text": text, "metadata": metadata or {}})

    @staticmethod
    def put_documents(collection: str, documents: list[dict[str, Any]]) -> Call[BatchResponse]:
        path = f"{DocumentCalls._documents(collection)}/batch"
        return Call("POST", path, BATCH, json={"documents": documents})

    @staticmethod
    def list_documents(
        collection: str, prefix: str, limit: int, cursor: str | None
    ) -> Call[DocumentPage]:
        params: dict[str, Any] = {"prefix": prefix, "limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        return Call("GET", DocumentCalls._documents(collection), DOCUMENTS_PAGE, params=params)

    @staticmethod
    def get_document(collection: str, doc_id: str, chunks: bool) -> Call[DocumentDetail]:
        path = f"{DocumentCalls._documents(collection)}/{_segment(doc_id)}"
        params = {"include_chunks": "true"} if chunks else {}
        return Call("GET", path, DOCUMENT, params=params)

    @staticmethod
    def delete_document(collection: str, doc_id: str) -> Call[None]:
        path = f"{DocumentCalls._documents(collection)}/{_segment(doc_id)}"
        return Call("DELETE", path, None)

    @staticmethod
    def upload(
        collection: str, paths: list[str | Path], metadata: dict[str, Any] | None, prefix: str
    ) -> Call[UploadResponse | IndexTaskStartResponse]:
        """Files read from disk now, sent as one multipart request (a big upload: 202)."""
        files = []
        for file in map(Path, paths):
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            files.append(("files", (file.name, file.read_bytes(), kind)))
        data = {"prefix": prefix}
        if metadata is not None:
            data["metadata"] = json.dumps(metadata)
        path = f"/collections/{_segment(collection)}/files"
        return Call("POST", path, UPLOADED, files=files, data=data)


def uploaded(final: IndexTaskStatusResponse) -> UploadResponse:
    """What a finished upload job wrote, as the 201 of a small upload says it."""
    if final.status != "completed" or final.result is None:
        raise MemoryAPIClientError(f"upload job {final.task_id} {final.status}: {final.details}")
    return UploadResponse.model_validate({"documents": final.result["documents"]})


def client_options(
    base_url: str | None, api_key: str | None, timeout: float, headers: dict[str, str] | None
) -> dict[str, Any]:
    """httpx options; ``MEMORY_API_URL`` and ``MEMORY_API_KEY`` fill what is not given."""
    key = api_key if api_key is not None else os.environ.get("MEMORY_API_KEY")
    all_headers: dict[str, str | bytes] = dict(headers or {})
    if key:
        # Bytes: httpx would encode a str as ASCII, and keys may be any UTF-8.
        all_headers["Authorization"] = b"Bearer " + key.encode()
    url = base_url or os.environ.get("MEMORY_API_URL") or DEFAULT_URL
    return {"base_url": url, "headers": all_headers, "timeout": timeout}


def no_answer(base_url: httpx.URL, call: Call[Any], error: httpx.TransportError) -> TransportError:
    """The error for a request that got no answer, naming the URL it was sent to."""
    url = f"{str(base_url).rstrip('/')}{call.path}"
    return TransportError(f"no answer from {url} ({type(error).__name__}: {error})")


def read(call: Call[T], response: httpx.Response) -> T:
    """The typed result, or the matching SDK error."""
    if response.status_code >= 400 and response.status_code not in call.ok_statuses:
        try:
            body = response.json()
            detail = (
                body.get("detail", body.get("details", body)) if isinstance(body, dict) else body
            )
        except ValueError:
            detail = response.text
        raise error_for(response.status_code, detail)
    if call.result is None or response.status_code == 304:  # 304: still at the version held
        return None  # type: ignore[return-value]
    result = call.result.validate_json(response.content)
    if call.with_etag:
        etag = response.headers.get("etag")
        if isinstance(result, StateStored):
            return result.model_copy(update={"etag": etag, "version": version_of(etag)})
        if isinstance(result, StateRead):
            return result.model_copy(update={"etag": etag})
    return result
