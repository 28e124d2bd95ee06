"""``MemoryAPISaver``: a LangGraph checkpointer that stores checkpoints in memory-api.

The sync methods (``graph.invoke``) share one ``httpx.Client``, the async ones
(``graph.ainvoke``) one ``httpx.AsyncClient`` per event loop; both keep their connections
alive. ``transport`` and ``async_transport`` let tests run the saver against an app in-process.
Errors are the SDK's (``memory_api.client.APIStatusError``, ``TransportError``).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator, Sequence
from types import TracebackType
from typing import Any

import httpx
import orjson
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from memory_api.client._base import client_options
from memory_api.client._exceptions import TransportError
from memory_api.client._transport import lean_transport
from memory_api.langgraph import _wire

_JSON = {"content-type": "application/json"}
#: A kept-alive connection the server closes (idle timeout) while a request goes out breaks
#: that request: between two graph steps an LLM call easily outlasts the idle timeout. Every
#: checkpoint endpoint is idempotent, so such a request is sent once more, on a new connection.
_RETRIED = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
_ATTEMPTS = 2


class MemoryAPISaver(BaseCheckpointSaver[str]):
    """Checkpoints, their pending writes and threads, kept by a memory-api server.

    ``url`` and ``api_key`` default to ``MEMORY_API_URL`` and ``MEMORY_API_KEY`` (as the SDK's).
    The tenant is the API key's: two keys of two tenants never see each other's threads.
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        serde: SerializerProtocol | None = None,
    ) -> None:
        super().__init__(serde=serde)
        self._options = client_options(url, api_key, timeout, headers)
        self._transport = transport
        self._async_transport = async_transport
        self._client: httpx.Client | None = None
        self._async_client: httpx.AsyncClient | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None

    # -- transport ------------------------------------------------------------------------

    def _sync(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(transport=self._transport, **self._options)
        return self._client

    def _async(self) -> httpx.AsyncClient:
        """A client of the running loop: an ``AsyncClient``'s connections belong to the loop
        that opened them, and a saver may outlive one ``asyncio.run``."""
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_loop is not loop:
            transport = self._async_transport or lean_transport(self._options["base_url"])
            self._async_client = httpx.AsyncClient(transport=transport, **self._options)
            self._async_loop = loop
        return self._async_client

    def _send(self, request: _wire.Request | None) -> httpx.Response | None:
        if request is None:
            return None
        client = self._sync()
        content = orjson.dumps(request.body)
        for attempt in range(_ATTEMPTS):
            try:
                response = client.post(request.path, content=content, headers=_JSON)
                break
            except _RETRIED as error:
                if attempt + 1 == _ATTEMPTS:
                    raise _no_answer(client, request, error) from error
            except httpx.TransportError as error:
                raise _no_answer(client, request, error) from error
        return _wire.check(response)

    async def _asend(self, request: _wire.Request | None) -> httpx.Response | None:
        if request is None:
            return None
        client = self._async()
        content = orjson.dumps(request.body)
        for attempt in range(_ATTEMPTS):
            try:
                response = await client.post(request.path, content=content, headers=_JSON)
                break
            except _RETRIED as error:
                if attempt + 1 == _ATTEMPTS:
                    raise _no_answer(client, request, error) from error
            except httpx.TransportError as error:
                raise _no_answer(client, request, error) from error
        return _wire.check(response)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        self.close()
        if self._async_client is not None:
            await self._async_client.aclose()
            self._async_client = None

    def __enter__(self) -> MemoryAPISaver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> MemoryAPISaver:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- BaseCheckpointSaver: sync --------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        response = self._send(_wire.get_tuple(config))
        assert response is not None
        found = _wire.tuples(self.serde, response)
        return found[0] if found else None

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        response = self._send(_wire.search(config, filter, before, limit))
        assert response is not None
        yield from _wire.tuples(self.serde, response)

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        request, stored = _wire.put(self.serde, config, checkpoint, metadata)
        self._send(request)
        return stored

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        self._send(_wire.put_writes(self.serde, config, writes, task_id, task_path))

    def delete_thread(self, thread_id: str) -> None:
        self._send(_wire.delete_threads([thread_id]))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        self._send(_wire.delete_runs(run_ids))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        self._send(_wire.copy_thread(source_thread_id, target_thread_id))

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        self._send(_wire.prune(thread_ids, strategy))

    # -- BaseCheckpointSaver: async -------------------------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        response = await self._asend(_wire.get_tuple(config))
        assert response is not None
        found = _wire.tuples(self.serde, response)
        return found[0] if found else None

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        response = await self._asend(_wire.search(config, filter, before, limit))
        assert response is not None
        for found in _wire.tuples(self.serde, response):
            yield found

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        request, stored = _wire.put(self.serde, config, checkpoint, metadata)
        await self._asend(request)
        return stored

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self._asend(_wire.put_writes(self.serde, config, writes, task_id, task_path))

    async def adelete_thread(self, thread_id: str) -> None:
        await self._asend(_wire.delete_threads([thread_id]))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await self._asend(_wire.delete_runs(run_ids))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await self._asend(_wire.copy_thread(source_thread_id, target_thread_id))

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await self._asend(_wire.prune(thread_ids, strategy))

    def get_next_version(self, current: str | None, channel: None) -> str:
        """Versions that sort as strings (LangGraph's in-memory saver's scheme): the step,
        zero-padded, then a random fraction so concurrent branches never collide."""
        if current is None:
            step = 0
        elif isinstance(current, int):
            step = current
        else:
            step = int(current.split(".")[0])
        return f"{step + 1:032}.{random.random():016}"  # noqa: S311 - not a secret


def _no_answer(
    client: httpx.Client | httpx.AsyncClient, request: _wire.Request, error: Exception
) -> TransportError:
    url = f"{str(client.base_url).rstrip('/')}{request.path}"
    return TransportError(f"no answer from {url} ({type(error).__name__}: {error})")
