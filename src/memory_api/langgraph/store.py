"""``MemoryAPIStore``: a LangGraph ``BaseStore`` whose items live in a memory-api server.

Every operation is one call of the store API (the one ``langgraph_sdk`` uses). The async
methods queue their operation as LangGraph's ``AsyncBatchedBaseStore`` does (its own queue
runner): the calls made in one event-loop tick become one ``abatch``, deduplicated, whose
requests go out concurrently over one kept-alive ``httpx.AsyncClient``. The sync methods
need no event loop (one ``httpx.Client``), so they work from any thread. Searching with
``query`` ranks by the server's retrieval, so no embedding config is needed here. Errors are
the SDK's (``memory_api.client.APIStatusError``, ``TransportError``).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, cast

import httpx
import orjson
from langgraph.store.base import (
    NOT_PROVIDED,
    BaseStore,
    GetOp,
    Item,
    ListNamespacesOp,
    MatchCondition,
    NamespacePath,
    NotProvided,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    _ensure_refresh,
    _validate_namespace,
    _validate_namespace_labels,
)
from langgraph.store.base.batch import _run

from memory_api.client._base import client_options
from memory_api.client._exceptions import TransportError
from memory_api.client._transport import lean_transport
from memory_api.langgraph._wire import check

_JSON = {"content-type": "application/json"}
Call = tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]  # method, path, params, body


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
        ttl: object = op.ttl  # MemoryAPIStore._ttl lets NOT_PROVIDED through
        if ttl is not NOT_PROVIDED:  # absent: the server's default; null: never expires
            body["ttl"] = ttl
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


def _phases(ops: list[Op]) -> list[list[Op]]:
    """``ops`` cut into runs that may each go out concurrently with the outcome of running
    them in order: consecutive reads, or consecutive puts of distinct keys."""
    phases: list[list[Op]] = []
    keys: set[tuple[tuple[str, ...], str] | None] = set()
    for op in ops:
        key = (op.namespace, op.key) if isinstance(op, PutOp) else None
        if phases and isinstance(phases[-1][0], PutOp) == (key is not None) and key not in keys:
            phases[-1].append(op)
        else:
            phases.append([op])
            keys = set()
        if key is not None:
            keys.add(key)
    return phases


class MemoryAPIStore(BaseStore):
    """LangGraph's long-term memory store, kept by memory-api (``/store/...``).

    ``url`` and ``api_key`` default to ``MEMORY_API_URL`` and ``MEMORY_API_KEY``. The tenant
    is the API key's. TTLs are minutes: a put without ``ttl`` takes the store's default
    (``ttl_config["default_ttl"]`` if given, else the server's
    ``MEMORY_API_STORE_DEFAULT_TTL_MINUTES``); ``ttl=None`` never expires.
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
        self._queue: asyncio.Queue[tuple[asyncio.Future[Result], Op]] | None = None
        self._runner: asyncio.Task[None] | None = None

    def _sync(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(transport=self._transport, **self._options)
        return self._client

    def _async(self) -> httpx.AsyncClient:
        """A client of the running loop (an ``AsyncClient`` belongs to the loop it ran on)."""
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_loop is not loop:
            transport = self._async_transport or lean_transport(self._options["base_url"])
            self._async_client = httpx.AsyncClient(transport=transport, **self._options)
            self._async_loop = loop
            self._queue, self._runner = None, None
        return self._async_client

    async def _submit(self, op: Op) -> Any:
        """``op``'s result, from the ``abatch`` of every op queued in the same tick."""
        self._async()
        if self._queue is None or self._runner is None or self._runner.done():
            self._queue = self._queue or asyncio.Queue()
            self._runner = asyncio.get_running_loop().create_task(
                _run(self._queue, weakref.ref(self))
            )
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((future, op))
        return await future

    def _ttl(self, ttl: float | NotProvided | None) -> float | None:
        if ttl is NOT_PROVIDED and self.ttl_config and "default_ttl" in self.ttl_config:
            return self.ttl_config["default_ttl"]
        # NOT_PROVIDED rides in the PutOp (typed float | None) so the wire can omit "ttl"
        return cast(float | None, ttl)

    def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        _validate_namespace(namespace)
        self.batch([PutOp(namespace, str(key), dict(value), index, ttl=self._ttl(ttl))])

    async def aput(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        _validate_namespace(namespace)
        op = PutOp(namespace, str(key), dict(value), index, ttl=self._ttl(ttl))
        await self._submit(op)

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        _validate_namespace_labels(namespace)
        await self._submit(PutOp(namespace, str(key), None))

    async def aget(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        _validate_namespace_labels(namespace)
        refresh = _ensure_refresh(self.ttl_config, refresh_ttl)
        result: Item | None = await self._submit(GetOp(namespace, str(key), refresh))
        return result

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        _validate_namespace_labels(namespace_prefix)
        refresh = _ensure_refresh(self.ttl_config, refresh_ttl)
        op = SearchOp(namespace_prefix, filter, limit, offset, query, refresh)
        result: list[SearchItem] = await self._submit(op)
        return result

    async def alist_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        _validate_namespace_labels(prefix or ())
        _validate_namespace_labels(suffix or ())
        conditions = []
        if prefix:
            conditions.append(MatchCondition(match_type="prefix", path=prefix))
        if suffix:
            conditions.append(MatchCondition(match_type="suffix", path=suffix))
        op = ListNamespacesOp(tuple(conditions), max_depth, limit, offset)
        result: list[tuple[str, ...]] = await self._submit(op)
        return result

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

        results: list[Result] = []
        for phase in _phases(list(ops)):
            results.extend(await asyncio.gather(*(run(op) for op in phase)))
        return results

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        self.close()
        if self._runner is not None:
            self._runner.cancel()
            self._queue, self._runner = None, None
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
