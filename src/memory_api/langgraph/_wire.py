"""Between LangGraph's objects and the checkpoint endpoints' JSON: built once, sent by both
the sync and the async methods of ``MemoryAPISaver``.

Values are serialised here, by the saver's serializer, and travel as base64: the server stores
bytes it never decodes.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from memory_api.client._exceptions import error_for


@dataclass(frozen=True, slots=True)
class Request:
    """One call to the service: POST ``path`` with ``body``."""

    path: str
    body: dict[str, Any]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _configurable(config: RunnableConfig) -> dict[str, Any]:
    configurable: dict[str, Any] = config.get("configurable") or {}
    return configurable


def put(
    serde: SerializerProtocol,
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
) -> tuple[Request, RunnableConfig]:
    """The request storing ``checkpoint`` and the config LangGraph gets back for it."""
    configurable = _configurable(config)
    thread_id = configurable["thread_id"]
    namespace = configurable.get("checkpoint_ns", "")
    kind, data = serde.dumps_typed(checkpoint)
    body = {
        "thread_id": thread_id,
        "checkpoint_ns": namespace,
        "checkpoint_id": checkpoint["id"],
        "parent_checkpoint_id": configurable.get("checkpoint_id"),
        "type": kind,
        "checkpoint": _b64(data),
        "metadata": get_serializable_checkpoint_metadata(config, metadata),
    }
    stored: RunnableConfig = {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": namespace,
            "checkpoint_id": checkpoint["id"],
        }
    }
    return Request("/checkpoints", body), stored


def put_writes(
    serde: SerializerProtocol,
    config: RunnableConfig,
    writes: Sequence[tuple[str, Any]],
    task_id: str,
    task_path: str,
) -> Request:
    configurable = _configurable(config)
    encoded = []
    for index, (channel, value) in enumerate(writes):
        kind, data = serde.dumps_typed(value)
        idx = WRITES_IDX_MAP.get(channel, index)
        encoded.append({"idx": idx, "channel": channel, "type": kind, "value": _b64(data)})
    body = {
        "thread_id": configurable["thread_id"],
        "checkpoint_ns": configurable.get("checkpoint_ns", ""),
        "checkpoint_id": configurable["checkpoint_id"],
        "task_id": task_id,
        "task_path": task_path,
        "writes": encoded,
    }
    return Request("/checkpoints/writes", body)


def get_tuple(config: RunnableConfig) -> Request:
    configurable = _configurable(config)
    body = {
        "thread_id": configurable["thread_id"],
        "checkpoint_ns": configurable.get("checkpoint_ns", ""),
        "checkpoint_id": get_checkpoint_id(config),
        "limit": 1,
    }
    return Request("/checkpoints/search", body)


def search(
    config: RunnableConfig | None,
    filter: dict[str, Any] | None,
    before: RunnableConfig | None,
    limit: int | None,
) -> Request:
    """``list``: no config searches every thread; a config without ``checkpoint_ns`` every
    namespace of its thread (as LangGraph's own savers do)."""
    configurable = _configurable(config) if config else {}
    body = {
        "thread_id": configurable.get("thread_id"),
        "checkpoint_ns": configurable.get("checkpoint_ns"),
        "checkpoint_id": configurable.get("checkpoint_id"),
        "before": get_checkpoint_id(before) if before else None,
        "filter": filter or None,
        "limit": limit,
    }
    return Request("/checkpoints/search", body)


def delete_threads(thread_ids: Sequence[str]) -> Request | None:
    if not thread_ids:
        return None
    return Request("/checkpoints/threads/delete", {"thread_ids": list(thread_ids)})


def delete_runs(run_ids: Sequence[str]) -> Request | None:
    if not run_ids:
        return None
    return Request("/checkpoints/runs/delete", {"run_ids": list(run_ids)})


def copy_thread(source: str, target: str) -> Request:
    body = {"source_thread_id": source, "target_thread_id": target}
    return Request("/checkpoints/threads/copy", body)


def prune(thread_ids: Sequence[str], strategy: str) -> Request | None:
    if strategy not in ("keep_latest", "delete"):
        raise ValueError(f"unknown prune strategy {strategy!r}: keep_latest or delete")
    if not thread_ids:
        return None
    body = {"thread_ids": list(thread_ids), "strategy": strategy}
    return Request("/checkpoints/threads/prune", body)


def check(response: httpx.Response) -> httpx.Response:
    """The response, or the SDK's error for its status (``memory_api.client`` errors)."""
    if response.status_code >= 400:
        try:
            body = response.json()
            detail = body.get("detail", body) if isinstance(body, dict) else body
        except ValueError:
            detail = response.text
        raise error_for(response.status_code, detail)
    return response


def tuples(serde: SerializerProtocol, response: httpx.Response) -> list[CheckpointTuple]:
    """The ``CheckpointTuple`` of each checkpoint a search answered with."""
    found = []
    for item in orjson.loads(check(response).content):
        thread_id, namespace = item["thread_id"], item["checkpoint_ns"]
        parent = item["parent_checkpoint_id"]
        found.append(
            CheckpointTuple(
                config={
                    "configurable": {
                        "thread_id": thread_id,
                        "checkpoint_ns": namespace,
                        "checkpoint_id": item["checkpoint_id"],
                    }
                },
                checkpoint=serde.loads_typed((item["type"], base64.b64decode(item["checkpoint"]))),
                metadata=item["metadata"],
                parent_config=(
                    {
                        "configurable": {
                            "thread_id": thread_id,
                            "checkpoint_ns": namespace,
                            "checkpoint_id": parent,
                        }
                    }
                    if parent
                    else None
                ),
                pending_writes=[
                    (
                        write["task_id"],
                        write["channel"],
                        serde.loads_typed((write["type"], base64.b64decode(write["value"]))),
                    )
                    for write in item["pending_writes"]
                ],
            )
        )
    return found
