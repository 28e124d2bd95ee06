"""The checkpoint endpoints over HTTP (the app in-process, SQLite and PostgreSQL): exact
bodies, idempotent writes, metadata filters, tenants, and 4xx for bad input."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest

ALICE = {"X-API-Key": "alice-key"}
BOB = {"X-API-Key": "bob-key"}
OK = {"status": "ok"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"api_keys": "alice:alice-key,bob:bob-key"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def checkpoint(thread_id: str, checkpoint_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "thread_id": thread_id,
        "checkpoint_ns": "",
        "checkpoint_id": checkpoint_id,
        "type": "msgpack",
        "checkpoint": b64(checkpoint_id.encode()),
        "metadata": {"source": "loop", "step": 1},
    }
    return {**body, **fields}


async def search(client: httpx.AsyncClient, headers: dict[str, str], **query: Any) -> Any:
    response = await client.post("/checkpoints/search", json=query, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_put_and_search_round_trip_the_bytes(client: httpx.AsyncClient) -> None:
    thread = f"t-{uuid.uuid4().hex}"
    put = await client.post("/checkpoints", json=checkpoint(thread, "0001"), headers=ALICE)
    assert put.status_code == 201
    assert put.json() == {"thread_id": thread, "checkpoint_ns": "", "checkpoint_id": "0001"}
    child = checkpoint(thread, "0002", parent_checkpoint_id="0001", checkpoint=b64(b"\x00\xff"))
    assert (await client.post("/checkpoints", json=child, headers=ALICE)).status_code == 201
    write = {
        "thread_id": thread,
        "checkpoint_id": "0002",
        "task_id": "task-1",
        "writes": [{"idx": 0, "channel": "messages", "type": "msgpack", "value": b64(b"v")}],
    }
    assert (await client.post("/checkpoints/writes", json=write, headers=ALICE)).json() == OK

    assert await search(client, ALICE, thread_id=thread) == [
        {
            "thread_id": thread,
            "checkpoint_ns": "",
            "checkpoint_id": "0002",
            "parent_checkpoint_id": "0001",
            "type": "msgpack",
            "checkpoint": b64(b"\x00\xff"),
            "metadata": {"source": "loop", "step": 1},
            "pending_writes": [
                {"task_id": "task-1", "channel": "messages", "type": "msgpack", "value": b64(b"v")}
            ],
        },
        {
            "thread_id": thread,
            "checkpoint_ns": "",
            "checkpoint_id": "0001",
            "parent_checkpoint_id": None,
            "type": "msgpack",
            "checkpoint": b64(b"0001"),
            "metadata": {"source": "loop", "step": 1},
            "pending_writes": [],
        },
    ]
    assert [c["checkpoint_id"] for c in await search(client, ALICE, thread_id=thread, limit=1)] == [
        "0002"
    ]
    before = await search(client, ALICE, thread_id=thread, before="0002")
    assert [c["checkpoint_id"] for c in before] == ["0001"]


async def test_writes_are_idempotent_and_special_channels_replace(
    client: httpx.AsyncClient,
) -> None:
    thread = f"t-{uuid.uuid4().hex}"
    await client.post("/checkpoints", json=checkpoint(thread, "0001"), headers=ALICE)

    async def write(idx: int, value: bytes) -> None:
        body = {
            "thread_id": thread,
            "checkpoint_id": "0001",
            "task_id": "task",
            "writes": [{"idx": idx, "channel": f"c{idx}", "type": "msgpack", "value": b64(value)}],
        }
        response = await client.post("/checkpoints/writes", json=body, headers=ALICE)
        assert response.json() == OK

    await write(0, b"first")
    await write(0, b"second")  # a retried task: the first write stays
    await write(-3, b"first")
    await write(-3, b"second")  # an interrupt written again: the newest wins
    [found] = await search(client, ALICE, thread_id=thread)
    assert [(w["channel"], w["value"]) for w in found["pending_writes"]] == [
        ("c-3", b64(b"second")),
        ("c0", b64(b"first")),
    ]


async def test_metadata_filter_matches_exact_json_values(client: httpx.AsyncClient) -> None:
    thread = f"t-{uuid.uuid4().hex}"
    for checkpoint_id, metadata in (
        ("0001", {"step": 1, "source": "input", "flag": True, "who": {"name": "x"}}),
        ("0002", {"step": "1", "source": "loop", "flag": False, "who": {"name": "y"}}),
        ("0003", {"step": 2, "source": "loop", 'odd "key"': None}),
    ):
        body = checkpoint(thread, checkpoint_id, metadata=metadata)
        assert (await client.post("/checkpoints", json=body, headers=ALICE)).status_code == 201

    async def ids(**filter: Any) -> list[str]:
        found = await search(client, ALICE, thread_id=thread, filter=filter)
        return [c["checkpoint_id"] for c in found]

    assert await ids(step=1) == ["0001"]  # the number, not the string "1"
    assert await ids(step="1") == ["0002"]
    assert await ids(source="loop") == ["0003", "0002"]
    assert await ids(source="loop", step=2) == ["0003"]
    assert await ids(flag=True) == ["0001"]
    assert await ids(flag=False) == ["0002"]
    assert await ids(who={"name": "y"}) == ["0002"]
    assert await ids(**{'odd "key"': None}) == ["0003"]
    assert await ids(source="update") == []


async def test_tenants_never_see_each_others_threads(client: httpx.AsyncClient) -> None:
    thread = f"shared-name-{uuid.uuid4().hex}"
    await client.post("/checkpoints", json=checkpoint(thread, "0001"), headers=ALICE)
    assert await search(client, BOB, thread_id=thread) == []
    assert await search(client, BOB) == []
    for path, body in (
        ("/checkpoints/threads/delete", {"thread_ids": [thread]}),
        ("/checkpoints/threads/prune", {"thread_ids": [thread], "strategy": "delete"}),
        ("/checkpoints/threads/copy", {"source_thread_id": thread, "target_thread_id": "mine"}),
    ):
        assert (await client.post(path, json=body, headers=BOB)).json() == OK
    assert await search(client, BOB) == []
    assert [c["checkpoint_id"] for c in await search(client, ALICE, thread_id=thread)] == ["0001"]
    response = await client.post("/checkpoints/search", json={})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/checkpoints", {**checkpoint("t", "1"), "checkpoint": "not base64!"}, "checkpoint"),
        ("/checkpoints", {**checkpoint("t", "1"), "thread_id": ""}, "thread_id"),
        ("/checkpoints", {**checkpoint("t", "1"), "thread_id": "a\x00b"}, "thread_id"),
        ("/checkpoints", {**checkpoint("t", "1"), "thread_id": "t" * 257}, "thread_id"),
        ("/checkpoints", {**checkpoint("t", "1"), "checkpoint_id": "1" * 65}, "checkpoint_id"),
        ("/checkpoints", {**checkpoint("t", "1"), "metadata": {"run_id": "r" * 257}}, "run_id"),
        ("/checkpoints", {**checkpoint("t", "1"), "unknown": 1}, "unknown"),
        ("/checkpoints/search", {"limit": -1}, "limit"),
        ("/checkpoints/search", {"filter": []}, "filter"),
        ("/checkpoints/threads/delete", {"thread_ids": []}, "thread_ids"),
        ("/checkpoints/threads/prune", {"thread_ids": ["t"], "strategy": "all"}, "strategy"),
        ("/checkpoints/runs/delete", {"run_ids": "r"}, "run_ids"),
        (
            "/checkpoints/writes",
            {"thread_id": "t", "checkpoint_id": "1", "task_id": "x", "writes": [{"idx": 0}]},
            "writes",
        ),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], where: str
) -> None:
    response = await client.post(path, json=body, headers=ALICE)
    assert response.status_code == 422, response.text
    assert where in str(response.json()["detail"])


async def test_the_endpoints_are_documented_and_secured(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json", headers=ALICE)).json()
    paths = {path for path in document["paths"] if path.startswith("/checkpoints")}
    assert paths == {
        "/checkpoints",
        "/checkpoints/writes",
        "/checkpoints/search",
        "/checkpoints/threads/delete",
        "/checkpoints/threads/copy",
        "/checkpoints/threads/prune",
        "/checkpoints/runs/delete",
    }
    assert document["security"] == [{"bearer": []}, {"apiKey": []}]
    for path in paths:
        operation = document["paths"][path]["post"]
        assert "security" not in operation, path  # the document's requirement holds
        assert {"401", "413", "415", "422", "503"} <= set(operation["responses"]), path


async def test_nul_characters_in_metadata_are_dropped(client: httpx.AsyncClient) -> None:
    """As LangGraph drops them from metadata strings (PostgreSQL cannot store them)."""
    thread = f"t-{uuid.uuid4().hex}"
    body = checkpoint(thread, "0001", metadata={"no\x00te": ["a\x00b", {"k": "\x00"}]})
    assert (await client.post("/checkpoints", json=body, headers=ALICE)).status_code == 201
    [found] = await search(client, ALICE, thread_id=thread, filter={"note": ["ab", {"k": ""}]})
    assert found["metadata"] == {"note": ["ab", {"k": ""}]}


async def test_the_longest_keys_fit_on_either_database(client: httpx.AsyncClient) -> None:
    """Every key at its maximum length in 4-byte characters still fits PostgreSQL's index."""
    wide = "\U0001f600"
    thread, namespace = wide * 256, wide * 224
    body = checkpoint(thread, wide * 64, checkpoint_ns=namespace)
    assert (await client.post("/checkpoints", json=body, headers=ALICE)).status_code == 201
    write = {
        "thread_id": thread,
        "checkpoint_ns": namespace,
        "checkpoint_id": wide * 64,
        "task_id": wide * 64,
        "writes": [{"idx": 0, "channel": wide * 1024, "type": "msgpack", "value": b64(b"v")}],
    }
    assert (await client.post("/checkpoints/writes", json=write, headers=ALICE)).json() == OK
    [found] = await search(client, ALICE, thread_id=thread, checkpoint_ns=namespace)
    assert found["checkpoint_id"] == wide * 64
    assert [w["task_id"] for w in found["pending_writes"]] == [wide * 64]


async def test_a_batch_naming_one_idx_twice_is_written_as_one_by_one(
    client: httpx.AsyncClient,
) -> None:
    thread = f"t-{uuid.uuid4().hex}"
    await client.post("/checkpoints", json=checkpoint(thread, "0001"), headers=ALICE)
    for task, idx in (("regular", 0), ("special", -1)):
        body = {
            "thread_id": thread,
            "checkpoint_id": "0001",
            "task_id": task,
            "writes": [
                {"idx": idx, "channel": "c", "type": "msgpack", "value": b64(value)}
                for value in (b"first", b"second")
            ],
        }
        response = await client.post("/checkpoints/writes", json=body, headers=ALICE)
        assert response.json() == OK
    [found] = await search(client, ALICE, thread_id=thread)
    assert [(w["task_id"], w["value"]) for w in found["pending_writes"]] == [
        ("regular", b64(b"first")),  # kept as first written
        ("special", b64(b"second")),  # the newest wins
    ]
