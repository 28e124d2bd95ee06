"""Request and response bodies of the checkpoint endpoints.

Serialised values (checkpoints, write values) travel as base64 strings with the serializer's
type tag beside them: the server stores the bytes it gets and sends them back unchanged.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from memory_api.checkpoints.models import CHANNEL_MAX_LENGTH, KEY_MAX_LENGTH, TYPE_MAX_LENGTH
from memory_api.http.schemas import StrictRequest

MAX_IDS = 1000
MAX_WRITES = 10_000


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # strict bytes validation then refuses it with a clear message
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None


def _no_nul(value: Any) -> Any:
    """PostgreSQL can store no NUL character in text or JSONB; refused on both databases so
    that a thread behaves the same on either (LangGraph strips NULs from metadata itself)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain the NUL character (\\u0000)")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _no_nul(item)
    elif isinstance(value, list):
        for item in value:
            _no_nul(item)
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
JSONObject = Annotated[dict[str, Any], AfterValidator(_no_nul)]
Blob = Annotated[
    bytes,
    BeforeValidator(_decode),
    PlainSerializer(lambda data: base64.b64encode(data).decode(), return_type=str),
    WithJsonSchema({"type": "string", "format": "byte", "description": "base64"}),
]
Id = Annotated[Text, Field(min_length=1, max_length=KEY_MAX_LENGTH)]
Namespace = Annotated[
    Text, Field(max_length=KEY_MAX_LENGTH, description='"" for the root graph, else a subgraph')
]
TypeTag = Annotated[
    Text, Field(min_length=1, max_length=TYPE_MAX_LENGTH, description="the serializer's type tag")
]
Channel = Annotated[Text, Field(min_length=1, max_length=CHANNEL_MAX_LENGTH)]
Ids = Annotated[list[Id], Field(min_length=1, max_length=MAX_IDS)]


class CheckpointIn(StrictRequest):
    thread_id: Id
    checkpoint_ns: Namespace = ""
    checkpoint_id: Id
    parent_checkpoint_id: Id | None = None
    type: TypeTag
    checkpoint: Blob = Field(description="the checkpoint as the serializer wrote it (base64)")
    metadata: JSONObject = Field(
        default_factory=dict, description="LangGraph's checkpoint metadata: what search filters on"
    )


class CheckpointKey(BaseModel):
    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str


class WriteIn(StrictRequest):
    idx: int = Field(
        ge=-(2**31), lt=2**31, description="LangGraph's index (negative: a special channel)"
    )
    channel: Channel
    type: TypeTag
    value: Blob


class WritesIn(StrictRequest):
    """Writes of one task; all with a negative idx replace what is stored, others never do."""

    thread_id: Id
    checkpoint_ns: Namespace = ""
    checkpoint_id: Id
    task_id: Id
    task_path: Annotated[Text, Field(max_length=KEY_MAX_LENGTH)] = ""
    writes: Annotated[list[WriteIn], Field(max_length=MAX_WRITES)]


class PendingWrite(BaseModel):
    task_id: str
    channel: str
    type: str
    value: Blob


class CheckpointOut(BaseModel):
    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    parent_checkpoint_id: str | None
    type: str
    checkpoint: Blob
    metadata: dict[str, Any]
    pending_writes: list[PendingWrite]


class CheckpointSearch(StrictRequest):
    """Newest first. Unset fields select everything: no ``thread_id`` searches every thread of
    the tenant, no ``checkpoint_ns`` every namespace."""

    thread_id: Id | None = None
    checkpoint_ns: Namespace | None = None
    checkpoint_id: Id | None = None
    before: Id | None = Field(None, description="only checkpoints older than this id")
    filter: JSONObject | None = Field(
        None, description="metadata keys and the values they must equal"
    )
    limit: Annotated[int, Field(ge=0, le=1_000_000)] | None = None


class DeleteThreads(StrictRequest):
    thread_ids: Ids


class DeleteRuns(StrictRequest):
    run_ids: Ids


class CopyThread(StrictRequest):
    source_thread_id: Id
    target_thread_id: Id


class PruneThreads(StrictRequest):
    thread_ids: Ids
    strategy: Literal["keep_latest", "delete"] = "keep_latest"
