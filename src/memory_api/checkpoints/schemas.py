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


#: PostgreSQL stores no NUL character in text or JSONB. Ids refuse it (the pattern says so);
#: metadata and filters drop it, as LangGraph itself does with metadata strings.
NO_NUL = r"^[^\x00]*$"
#: Per field, in characters: the primary keys must fit a PostgreSQL index entry (2704 bytes)
#: whatever the characters (up to 4 bytes each in UTF-8). LangGraph's own ids are 36.
THREAD_ID_MAX = 256
NAMESPACE_MAX = 224
CHECKPOINT_ID_MAX = 64
TASK_ID_MAX = 64
RUN_ID_MAX = 256


def _integral(value: Any) -> Any:
    """As ``search.schemas.JSONInteger``: JSON Schema counts 18.0 as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _metadata(value: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = _without_nul(value)
    run_id = cleaned.get("run_id")
    if run_id is not None and len(str(run_id)) > RUN_ID_MAX:
        raise ValueError(f"run_id: at most {RUN_ID_MAX} characters")
    return cleaned


JSONObject = Annotated[dict[str, Any], AfterValidator(_metadata)]


Blob = Annotated[
    bytes,
    BeforeValidator(_decode),
    PlainSerializer(lambda data: base64.b64encode(data).decode(), return_type=str),
    WithJsonSchema({"type": "string", "format": "byte", "description": "base64"}),
]
ThreadId = Annotated[str, Field(min_length=1, max_length=THREAD_ID_MAX, pattern=NO_NUL)]
CheckpointId = Annotated[str, Field(min_length=1, max_length=CHECKPOINT_ID_MAX, pattern=NO_NUL)]
TaskId = Annotated[str, Field(min_length=1, max_length=TASK_ID_MAX, pattern=NO_NUL)]
Namespace = Annotated[
    str,
    Field(
        max_length=NAMESPACE_MAX,
        pattern=NO_NUL,
        description='"" for the root graph, else a subgraph',
    ),
]
TypeTag = Annotated[
    str,
    Field(
        min_length=1,
        max_length=TYPE_MAX_LENGTH,
        pattern=NO_NUL,
        description="the serializer's type tag",
    ),
]
Channel = Annotated[str, Field(min_length=1, max_length=CHANNEL_MAX_LENGTH, pattern=NO_NUL)]
TaskPath = Annotated[str, Field(max_length=KEY_MAX_LENGTH, pattern=NO_NUL)]
RunId = Annotated[str, Field(min_length=1, max_length=RUN_ID_MAX, pattern=NO_NUL)]
ThreadIds = Annotated[list[ThreadId], Field(min_length=1, max_length=MAX_IDS)]
RunIds = Annotated[list[RunId], Field(min_length=1, max_length=MAX_IDS)]


class CheckpointIn(StrictRequest):
    thread_id: ThreadId
    checkpoint_ns: Namespace = ""
    checkpoint_id: CheckpointId
    parent_checkpoint_id: CheckpointId | None = None
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
    # The bounds before the validator: after it, pydantic writes them into the OpenAPI
    # document as "ge"/"le" instead of "minimum"/"maximum".
    idx: Annotated[int, Field(ge=-(2**31), lt=2**31), BeforeValidator(_integral)] = Field(
        description="LangGraph's index (negative: a special channel)"
    )
    channel: Channel
    type: TypeTag
    value: Blob


class WritesIn(StrictRequest):
    """Writes of one task; all with a negative idx replace what is stored, others never do."""

    thread_id: ThreadId
    checkpoint_ns: Namespace = ""
    checkpoint_id: CheckpointId
    task_id: TaskId
    task_path: TaskPath = ""
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

    thread_id: ThreadId | None = None
    checkpoint_ns: Namespace | None = None
    checkpoint_id: CheckpointId | None = None
    before: CheckpointId | None = Field(None, description="only checkpoints older than this id")
    filter: JSONObject | None = Field(
        None, description="metadata keys and the values they must equal"
    )
    limit: Annotated[int, Field(ge=0, le=1_000_000), BeforeValidator(_integral)] | None = None


class DeleteThreads(StrictRequest):
    thread_ids: ThreadIds


class DeleteRuns(StrictRequest):
    run_ids: RunIds


class CopyThread(StrictRequest):
    source_thread_id: ThreadId
    target_thread_id: ThreadId


class PruneThreads(StrictRequest):
    thread_ids: ThreadIds
    strategy: Literal["keep_latest", "delete"] = "keep_latest"


class Done(BaseModel):
    """The answer of a write that returns nothing else: it is committed."""

    status: Literal["ok"] = "ok"
