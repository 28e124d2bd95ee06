"""Bodies of the store API, as ``langgraph_sdk``'s ``StoreClient`` (0.4.x) sends and reads them.

Namespaces are lists of labels; in the query string of ``GET /store/items`` they travel joined
by "." (so LangGraph forbids "." inside a label, and so do we).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from memory_api.http.schemas import INTEGRAL, JSONInteger, StrictRequest

#: characters of a namespace joined by "." and of a key: both sit in the primary key, which
#: must fit a PostgreSQL index entry (2704 bytes) whatever the characters.
NAMESPACE_MAX = 256
KEY_MAX = 256
MAX_LIMIT = 1000
MAX_INDEX_FIELDS = 32
#: ten years, in minutes
MAX_TTL_MINUTES = 10 * 365 * 24 * 60


def check_label(label: str) -> str:
    if not label:
        raise ValueError("namespace labels must not be empty")
    if "." in label:
        raise ValueError(f"namespace label {label!r} contains '.'")
    if "\x00" in label:
        raise ValueError("namespace labels must not contain NUL")
    return label


def _namespace(labels: list[str]) -> list[str]:
    for label in labels:
        check_label(label)
    if len(".".join(labels)) + 1 > NAMESPACE_MAX:
        raise ValueError(f"namespace: at most {NAMESPACE_MAX - 1} characters joined by '.'")
    return labels


def _no_nul(value: dict[str, Any]) -> dict[str, Any]:
    # PostgreSQL's JSONB holds no NUL character: refuse it rather than alter the value.
    if b"\\u0000" in orjson.dumps(value):
        raise ValueError("values must not contain the NUL character")
    return value


#: the rules of one label stated in the schema too (check_label says why in a 422)
Label = Annotated[str, Field(min_length=1, pattern=r"^[^.\x00]*$")]
Namespace = Annotated[list[Label], AfterValidator(_namespace)]
NonEmptyNamespace = Annotated[list[Label], Field(min_length=1), AfterValidator(_namespace)]
Key = Annotated[str, Field(min_length=1, max_length=KEY_MAX, pattern=r"^[^\x00]*$")]
Value = Annotated[dict[str, Any], AfterValidator(_no_nul)]
TTL = Annotated[float, Field(gt=0, le=MAX_TTL_MINUTES, description="minutes")]
FieldPath = Annotated[str, Field(max_length=256)]


def _boolean(value: Any) -> Any:
    # Literal[False] alone takes 0 (0 == False in Python), which the schema does not allow.
    if type(value) is not bool:
        raise ValueError("index must be false, a list of JSON paths or null")
    return value


NotIndexed = Annotated[Literal[False], BeforeValidator(_boolean)]


class PutItem(StrictRequest):
    namespace: NonEmptyNamespace
    key: Key
    value: Value
    index: NotIndexed | Annotated[list[FieldPath], Field(max_length=MAX_INDEX_FIELDS)] | None = (
        Field(
            None,
            description="JSON paths of the value to index for `query`, each text embedded and "
            "lexically indexed (LangGraph's "
            "IndexConfig.fields: `a.b`, `a[*].b`, `a[0]`, `$` for the whole value); "
            "null: the server's default fields; false: not searchable by query",
        )
    )
    ttl: TTL | None = Field(
        None,
        description="minutes until the item expires; absent: the server's default TTL "
        "(MEMORY_API_STORE_DEFAULT_TTL_MINUTES); null: never expires",
    )


class DeleteItem(StrictRequest):
    namespace: NonEmptyNamespace
    key: Key


class SearchItems(StrictRequest):
    namespace_prefix: Namespace = Field(default_factory=list)
    filter: dict[str, Any] | None = Field(
        None,
        description="exact values, or operators $eq $ne $gt $gte $lt $lte, by value field "
        "(dotted paths reach nested fields)",
    )
    limit: JSONInteger = Field(10, ge=1, le=MAX_LIMIT)
    offset: JSONInteger = Field(0, ge=0)
    query: Annotated[str, Field(max_length=10_000)] | None = Field(
        None,
        description="rank by the service's hybrid retrieval (as /rag_query: BM25 and vectors "
        "over the items' indexed texts, fused); items neither list holds follow, score null",
    )
    refresh_ttl: bool | None = None


class ListNamespaces(StrictRequest):
    prefix: Namespace | None = None
    suffix: Namespace | None = None
    # INTEGRAL after the bounds: before them, the schema shows "ge" (not JSON Schema).
    max_depth: Annotated[int, Field(ge=1), INTEGRAL] | None = None
    limit: JSONInteger = Field(100, ge=1, le=MAX_LIMIT)
    offset: JSONInteger = Field(0, ge=0)


class ItemOut(BaseModel):
    namespace: list[str]
    key: str
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SearchItemOut(ItemOut):
    score: float | None = Field(
        None,
        description="with `query`: the fused score of the hybrid retrieval over this query's "
        "candidates (default fusion: 0.4 * min-max cosine + 0.6 * min-max BM25, in [0, 1]; "
        "search mode semantic: the cosine); null without `query` or for items neither "
        "candidate list holds",
    )


class SearchItemsOut(BaseModel):
    items: list[SearchItemOut]


class NamespacesOut(BaseModel):
    namespaces: list[list[str]]
