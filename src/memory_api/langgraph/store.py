"""``MemoryAPIStore``: a LangGraph ``BaseStore`` whose items live in a memory-api server.

Every operation is one call of the store API (the one ``langgraph_sdk`` uses); ``abatch``
sends a batch's calls concurrently over one kept-alive ``httpx.AsyncClient``. Searching with
``query`` ranks by the server's embedding model, so no embedding config is needed here.
Errors are the SDK's (``memory_api.client.APIStatusError``, ``TransportError``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Literal

import httpx
import orjson
from langgraph.store.base import (
    NOT_PROVIDED,
    BaseStore,
    GetOp,
    Item,
    ListNamespacesOp,
    NotProvided,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
)

from memory_api.client._base import client_options
from memory_api.client._exceptions import TransportError
from memory_api.langgraph._wire import check

_JSON = {"content-type": "application/json"}
Call = tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]  # method, path, params, body


class _ServerDefault(float):
    """The ttl of a put that gave none when the store has no ``default_ttl`` of its own. LangGraph
    would turn it into None, which means *never*; this one is sent as no ``ttl`` at all, so the
    server's default TTL applies."""


SERVER_DEFAULT_TTL = _ServerDefault("nan")


def _call(op: Op) -> Call:
    if isinstance(op, GetOp):
        params: dict[str, Any] = {"namespace": ".".join(op.namespace), "key": op.key}
        params["refresh_ttl"] = "true" if op.refresh_ttl else "false"
        return "GET", "/store/items", params, None
    if isinstance(op, PutOp):
        if op.value is None:
            return "DELETE", "/store/items", None, {"namespace": op.namespace, "key": op.key}
        body: dict[str, Any] = {"namespace": op.namespace, "key": op.key, "value": op.value}
        if op.index is not None:
            body["index"] = op.index
        if op.ttl is not SERVER_DEFAULT_TTL:
            body["ttl"] = op.ttl  # None: never expires
        return "PUT", "/store/items", None, body
    if isinstance(op, SearchOp):
        search = {
            "namespace_prefix": op.namespace_prefix,
            "filter": op.filter,
            "limit": op.limit,
            "offset": op.offset,
            "query": op.query,
            "refresh_ttl": op.refresh_ttl,
        }
        return "POST", "/store/items/search", None, search
    if isinstance(op, ListNamespacesOp):
        listing: dict[str, Any] = {
            "max_depth": op.max_depth,
            "limit": op.limit,
            "offset": op.offset,
        }
        for condition in op.match_conditions or ():
            listing[condition.match_type] = list(condition.path)
        return "POST", "/store/namespaces", None, listing
    raise TypeError(f"unknown store operation: {op!r}")


def _item(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "namespace": tuple(data["namespace"]),
        "key": data["key"],
        "value": data["value"],
        "created_at": datetime.fromisoformat(data["created_at"]),
        "updated_at": datetime.fromisoformat(data["updated_at"]),
    }


def _result(op: Op, response: httpx.Response) -> Result:
    if isinstance(op, GetOp):
        if response.status_code == 404:
            return None
        return Item(**_item(check(response).json()))
    check(response)
    if isinstance(op, PutOp):
        return None
    if isinstance(op, SearchOp):
        return [
            SearchItem(**_item(data), score=data.get("score")) for data in response.json()["items"]
        ]
    return [tuple(namespace) for namespace in response.json()["namespaces"]]


class MemoryAPIStore(BaseStore):
    """LangGraph's long-term memory store, kept by memory-api (``/store/...``).

    ``url`` and ``api_key`` default to ``MEMORY_API_URL`` and ``MEMORY_API_KEY``. The tenant
    is the API key's. TTLs are minutes; ``ttl_config`` gives LangGraph's client-side defaults
    (a put without ``ttl`` and without a ``default_ttl`` takes the server's default; ``ttl=None``
    never expires, as LangGraph defines it).
    """

    supports_ttl = True

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        headers: dict[str, str] | None = None,
        ttl: TTLConfig | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.ttl_config = ttl
        self._options = client_options(url, api_key, timeout, headers)
        self._transport = transport
        self._async_transport = async_transport
        self._client: httpx.Client | None = None
        self._async_client: httpx.AsyncClient | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None

    def _ttl(self, ttl: float | NotProvided | None) -> float | NotProvided | None:
        if ttl is NOT_PROVIDED and (self.ttl_config or {}).get("default_ttl") is None:
            return SERVER_DEFAULT_TTL
        return ttl

    def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        """LangGraph's ``put``: ``ttl=None`` never expires; no ``ttl`` takes ``ttl_config``'s
        ``default_ttl``, or else the server's default."""
        super().put(namespace, key, value, index, ttl=self._ttl(ttl))

    async def aput(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        await super().aput(namespace, key, value, index, ttl=self._ttl(ttl))

    def _sync(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(transport=self._transport, **self._options)
        return self._client

    def _async(self) -> httpx.AsyncClient:
        """A client of the running loop (an ``AsyncClient`` belongs to the loop it ran on)."""
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_loop is not loop:
            self._async_client = httpx.AsyncClient(transport=self._async_transport, **self._options)
            self._async_loop = loop
        return self._async_client

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        client = self._sync()
        results: list[Result] = []
        for op in ops:
            method, path, params, body = _call(op)
            content = None if body is None else orjson.dumps(body)
            try:
                response = client.request(
                    method, path, params=params, content=content, headers=_JSON
                )
            except httpx.TransportError as error:
                raise TransportError(f"no answer from {client.base_url} ({error})") from error
            results.append(_result(op, response))
        return results

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        client = self._async()

        async def run(op: Op) -> Result:
            method, path, params, body = _call(op)
            content = None if body is None else orjson.dumps(body)
            try:
                response = await client.request(
                    method, path, params=params, content=content, headers=_JSON
                )
            except httpx.TransportError as error:
                raise TransportError(f"no answer from {client.base_url} ({error})") from error
            return _result(op, response)

        # Puts of one batch stay in order (a later put of a key wins); reads run at once.
        ops = list(ops)
        if any(isinstance(op, PutOp) for op in ops):
            return [await run(op) for op in ops]
        return list(await asyncio.gather(*(run(op) for op in ops)))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        self.close()
        if self._async_client is not None:
            await self._async_client.aclose()
            self._async_client = None

    def __enter__(self) -> MemoryAPIStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> MemoryAPIStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
