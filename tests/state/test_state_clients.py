"""The SDK (async over ASGI, sync against a server process) and `memory-api state` for versions,
patches and history; and kill -9 during PATCHes loses no acknowledged write."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from memory_api.client import (
    AsyncMemoryClient,
    ConflictError,
    MemoryClient,
    NotFoundError,
    PreconditionFailedError,
    TransportError,
)
from memory_api.testing.server import ServerProcess, cli_path


@pytest.fixture
async def memory(app: FastAPI) -> Any:
    transport = httpx.ASGITransport(app=app)
    async with AsyncMemoryClient("http://test", transport=transport) as client:
        yield client


async def test_async_sdk_versions_patches_history(memory: AsyncMemoryClient) -> None:
    stored = await memory.put_state("sdk", {"messages": []}, if_none_match="*")
    assert (stored.status, stored.session_id, stored.version) == ("ok", "sdk", 1)
    assert stored.etag is not None and stored.etag.startswith('"1-')
    with pytest.raises(PreconditionFailedError) as failed:
        await memory.put_state("sdk", {}, if_none_match="*")
    assert failed.value.status_code == 412
    # a version number names no incarnation: refused before anything is sent
    with pytest.raises(TypeError, match="ETag"):
        await memory.patch_state("sdk", {"x": 1}, if_match=1)  # type: ignore[arg-type]
    appended = await memory.patch_state(
        "sdk", [{"op": "add", "path": "/messages/-", "value": "hi"}], if_match=stored.etag
    )
    assert (appended.version, appended.state_data) == (2, {"messages": ["hi"]})
    assert appended.etag == stored.etag.replace('"1-', '"2-', 1)
    merged = await memory.patch_state("sdk", {"step": 3}, ttl_seconds=600)
    assert (merged.version, merged.state_data) == (3, {"messages": ["hi"], "step": 3})
    assert merged.etag is not None
    assert (await memory.get_state("sdk")).etag == merged.etag
    assert merged.expires_at is not None
    with pytest.raises(ConflictError, match="operation 0"):
        await memory.patch_state("sdk", [{"op": "remove", "path": "/nope"}])
    assert [v.version for v in await memory.state_history("sdk")] == [3, 2, 1]
    assert [v.version for v in await memory.state_history("sdk", before_version=3, limit=1)] == [2]
    assert (await memory.get_state("sdk", version=1)).state_data == {"messages": []}
    assert await memory.get_state_if_changed("sdk", merged.etag) is None
    changed = await memory.get_state_if_changed("sdk", appended.etag)
    assert changed is not None and (changed.version, changed.etag) == (3, merged.etag)
    page = await memory.sessions_page(limit=1, include_state=False)
    assert [(s.session_id, s.state_data) for s in page.sessions] == [("sdk", None)]
    assert (await memory.sessions_page(cursor=page.next_cursor)).sessions == []
    assert [s.session_id for s in await memory.list_sessions(prefix="sd")] == ["sdk"]
    with pytest.raises(PreconditionFailedError):
        await memory.delete_state("sdk", if_match=appended.etag)
    await memory.delete_state("sdk", if_match="*")
    with pytest.raises(NotFoundError):
        await memory.state_history("sdk")


@pytest.fixture
def server(tmp_path: Path, database_url: str | None) -> Iterator[ServerProcess]:
    extra = {"MEMORY_API_DATABASE_URL": database_url} if database_url else {}
    env = ServerProcess.base_env(tmp_path, **extra)
    with ServerProcess(env, tmp_path / "server.log") as running:
        yield running


def _cli(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**server.env, "MEMORY_API_URL": server.url}
    return subprocess.run(
        [cli_path(), "state", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_sync_sdk_and_cli(server: ServerProcess) -> None:
    with MemoryClient(server.url) as client:
        assert client.put_state("cli", {"n": 1}).version == 1
        patched_by_sdk = client.patch_state("cli", {"m": 2}, if_match="*")
        assert patched_by_sdk.version == 2 and patched_by_sdk.etag is not None
        assert [v.version for v in client.state_history("cli")] == [2, 1]
    read = json.loads(_cli(server, "get", "cli").stdout)
    assert (read["version"], read["etag"]) == (2, patched_by_sdk.etag)
    # the ETag as printed, or without its quotes
    at_two = patched_by_sdk.etag
    put = _cli(server, "put", "cli", '{"n": 5}', "--if-match", at_two.strip('"'), "--ttl", "600")
    assert put.returncode == 0, put.stderr
    written = json.loads(put.stdout)
    assert written == {
        "status": "ok",
        "session_id": "cli",
        "version": 3,
        "etag": at_two.replace('"2-', '"3-', 1),
    }
    stale = _cli(server, "put", "cli", "{}", "--if-match", at_two)
    assert stale.returncode == 1
    assert stale.stderr.startswith("memory-api: HTTP 412: Precondition failed")
    number = _cli(server, "put", "cli", "{}", "--if-match", "3")
    assert number.returncode == 1 and "not a version number" in number.stderr
    patching = _cli(server, "patch", "cli", '[{"op": "add", "path": "/list", "value": [1]}]')
    assert patching.returncode == 0, patching.stderr
    patched = json.loads(patching.stdout)
    assert (patched["state_data"], patched["version"]) == ({"n": 5, "list": [1]}, 4)
    history = json.loads(_cli(server, "history", "cli", "--limit", "2").stdout)
    assert [v["version"] for v in history] == [4, 3]
    old = json.loads(_cli(server, "get", "cli", "--version", "1").stdout)
    assert old["state_data"] == {"n": 1}
    assert _cli(server, "put", "cli", "{}", "--create-only").returncode == 1
    bad = _cli(server, "patch", "cli", "3")
    assert bad.returncode == 1 and "a patch is a JSON object" in bad.stderr
    assert _cli(server, "delete", "cli", "--if-match", patched["etag"]).returncode == 0


def test_kill_during_patches_loses_no_acknowledged_write(server: ServerProcess) -> None:
    with MemoryClient(server.url) as client:
        client.put_state("crash", {"messages": []})
    acknowledged: list[int] = []
    stop = threading.Event()

    def append(worker: int) -> None:
        with MemoryClient(server.url, timeout=10) as client:
            for i in range(10_000):
                if stop.is_set():
                    return
                value = worker * 100_000 + i
                op = [{"op": "add", "path": "/messages/-", "value": value}]
                try:
                    client.patch_state("crash", op)
                except TransportError:
                    return  # the server is gone: this write was not acknowledged
                acknowledged.append(value)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    # Kill once enough writes were acknowledged (bounded wait: the threads stop at 10k each).
    for _ in range(600):
        if len(acknowledged) >= 40:
            break
        threading.Event().wait(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert len(acknowledged) >= 40
    server.start()
    with MemoryClient(server.url) as client:
        state = client.get_state("crash")
    messages = state.state_data["messages"]
    assert set(acknowledged) <= set(messages)
    # At most the in-flight writes (one per thread) landed without an acknowledgement.
    assert len(messages) - len(acknowledged) <= len(threads)
    assert state.version == len(messages) + 1
    assert len(messages) == len(set(messages))
