"""``MemoryAPISaver``'s async methods against a real server process, through the SDK's lean
HTTP transport (what ``graph.ainvoke`` uses for an ``http://`` URL): a refused body keeps its
answer, and kept-alive connections survive a server restart."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langgraph.checkpoint.base import empty_checkpoint

from memory_api.client import PayloadTooLargeError
from memory_api.client._transport import KeepAliveTransport
from memory_api.langgraph import MemoryAPISaver
from memory_api.testing.server import ServerProcess

pytestmark = pytest.mark.slow  # subprocess servers


def config(thread: str) -> dict[str, dict[str, str]]:
    return {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}


async def test_a_body_over_the_limit_gets_the_servers_413(
    server: ServerProcess, tenant_key: tuple[str, str]
) -> None:
    async with MemoryAPISaver(url=server.url, api_key=tenant_key[1]) as saver:
        assert isinstance(saver._async()._transport, KeepAliveTransport)
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = {"blob": "x" * (8 << 20)}  # 8 MiB, the limit is 1
        with pytest.raises(PayloadTooLargeError, match="too large"):
            await saver.aput(config("big"), checkpoint, {"step": 0}, {})
        small = empty_checkpoint()  # the same saver, its connections, go on
        await saver.aput(config("small"), small, {"step": 0}, {})
        stored = await saver.aget_tuple(config("small"))
        assert stored is not None and stored.checkpoint["id"] == small["id"]


async def test_kept_connections_survive_a_server_restart(
    server_factory: Callable[[], ServerProcess], tenant_key: tuple[str, str]
) -> None:
    first = server_factory()
    first.start(ready_path="/health")
    async with MemoryAPISaver(url=first.url, api_key=tenant_key[1]) as saver:
        before = empty_checkpoint()
        await saver.aput(config("t"), before, {"step": 0}, {})
        first.kill()  # the saver still holds its kept-alive connection to it
        second = server_factory()
        second.start(ready_path="/health")
        after = empty_checkpoint()
        await saver.aput(config("t"), after, {"step": 1}, {})
        ids = [found.checkpoint["id"] async for found in saver.alist(config("t"))]
    assert set(ids) == {before["id"], after["id"]}
