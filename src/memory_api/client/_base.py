"""What both clients share: how each call is built and how each answer is read."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter

from memory_api.client._exceptions import TransportError, error_for
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
FINISHED = {"completed", "failed"}


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    result: TypeAdapter[T] | None
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    ok_statuses: frozenset[int] = frozenset()  # error statuses whose body is still a result


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
    def stats() -> Call[RAGStatsResponse]:
        return Call("GET", "/rag_stats", STATS)

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
