"""What both clients share: how each call is built and how each answer is read."""

from __future__ import annotations

import json
import mimetypes
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter

from memory_api.client._exceptions import TransportError, error_for
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
from memory_api.state.schemas import StateRetrieveResponse, StateStoreResponse
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

    def request_options(self) -> dict[str, Any]:
        """What httpx's ``request`` takes for this call."""
        if self.files is not None:
            return {"files": self.files, "data": self.data, "params": self.params or None}
        return {"json": self.json, "params": self.params or None}


def _segment(value: str) -> str:
    """``value`` as one path segment: "a/b" or "x?y" cannot reach another route, and "." or
    ".." (valid session ids) are not removed as dot segments."""
    if value and set(value) == {"."}:
        return "%2E" * len(value)
    return quote(value, safe="")


def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


STATE = _adapter(StateRetrieveResponse)
STATES = _adapter(list[StateRetrieveResponse])
STORED = _adapter(StateStoreResponse)
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
PAGE = _adapter(DocumentPage)
DOCUMENT = _adapter(DocumentDetail)
UPLOADED = _adapter(UploadResponse)
ERASED = _adapter(TenantErasedResponse)


class Calls:
    """One factory per endpoint; the sync and async clients send what these build."""

    @staticmethod
    def put_state(session_id: str, state_data: dict[str, Any]) -> Call[StateStoreResponse]:
        return Call(
            "POST", f"/state/{_segment(session_id)}", STORED, json={"state_data": state_data}
        )

    @staticmethod
    def get_state(session_id: str) -> Call[StateRetrieveResponse]:
        return Call("GET", f"/state/{_segment(session_id)}", STATE)

    @staticmethod
    def delete_state(session_id: str) -> Call[None]:
        return Call("DELETE", f"/state/{_segment(session_id)}", None)

    @staticmethod
    def list_sessions(skip: int, limit: int) -> Call[list[StateRetrieveResponse]]:
        return Call("GET", "/sessions", STATES, params={"skip": skip, "limit": limit})

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
        directory: str | None, file_extensions: list[str] | None, force_reindex: bool
    ) -> Call[IndexTaskStartResponse]:
        body: dict[str, Any] = {"directory": directory, "force_reindex": force_reindex}
        if file_extensions is not None:
            body["file_extensions"] = file_extensions
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
        return Call("GET", DocumentCalls._documents(collection), PAGE, params=params)

    @staticmethod
    def get_document(collection: str, doc_id: str) -> Call[DocumentDetail]:
        path = f"{DocumentCalls._documents(collection)}/{_segment(doc_id)}"
        return Call("GET", path, DOCUMENT)

    @staticmethod
    def delete_document(collection: str, doc_id: str) -> Call[None]:
        path = f"{DocumentCalls._documents(collection)}/{_segment(doc_id)}"
        return Call("DELETE", path, None)

    @staticmethod
    def upload(
        collection: str, paths: list[str | Path], metadata: dict[str, Any] | None, prefix: str
    ) -> Call[UploadResponse]:
        """Files read from disk now, sent as one multipart request."""
        files = []
        for file in map(Path, paths):
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            files.append(("files", (file.name, file.read_bytes(), kind)))
        data = {"prefix": prefix}
        if metadata is not None:
            data["metadata"] = json.dumps(metadata)
        path = f"/collections/{_segment(collection)}/files"
        return Call("POST", path, UPLOADED, files=files, data=data)


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
    if call.result is None:
        return None  # type: ignore[return-value]
    return call.result.validate_json(response.content)
