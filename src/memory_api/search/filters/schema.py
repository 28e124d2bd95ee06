"""``MetadataFilter``: the pydantic type of a filter field, and its JSON Schema (OpenAPI 3.1)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from memory_api.search.filters.chroma import to_chroma_where
from memory_api.search.filters.tree import (
    COMPARISONS,
    EQUALITIES,
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_VALUES,
    MEMBERSHIP,
    And,
    Compare,
    Filter,
    Or,
    parse_filter,
)


def _one(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {key: schema},
        "required": [key],
        "additionalProperties": False,
    }


_SCALAR = {"type": ["string", "number", "boolean"]}
_LIST = {
    "anyOf": [
        {"type": "array", "minItems": 1, "maxItems": MAX_VALUES, "items": {"type": kind}}
        for kind in ("string", "number", "boolean")
    ]
}
_CONDITION = {
    "anyOf": [
        _SCALAR,
        *(_one(operator, {"type": "number"}) for operator in COMPARISONS),
        *(_one(operator, _SCALAR) for operator in EQUALITIES),
        *(_one(operator, _LIST) for operator in MEMBERSHIP),
    ]
}


def _where_schema(depth: int) -> dict[str, Any]:
    keys: dict[str, Any] = {"^[^$#]": _CONDITION}
    if depth < MAX_DEPTH:
        keys["^\\$(and|or)$"] = {
            "type": "array",
            "minItems": 2,
            "maxItems": MAX_CONDITIONS,  # each filter holds at least one condition
            "items": _where_schema(depth + 1),
        }
    return {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "patternProperties": keys,
        "additionalProperties": False,
    }


SCHEMA: dict[str, Any] = {
    **_where_schema(0),
    "description": (
        'Chroma "where" filter on chunk metadata (source, relative_path, extension, '
        'chunk_index, collection): one key per object, e.g. {"extension": ".md"}, '
        '{"chunk_index": {"$lt": 3}}, {"extension": {"$in": [".md", ".txt"]}} or '
        '{"$and": [{"extension": ".py"}, {"chunk_index": 0}]}. Operators: $eq $ne $gt '
        "$gte $lt $lte $in $nin $contains $not_contains; $and / $or nest up to "
        f"{MAX_DEPTH} levels. At most {MAX_CONDITIONS} conditions and {MAX_VALUES} "
        "$in / $nin values in all; numbers are finite."
    ),
}


def _validate(value: Any) -> Filter:
    if isinstance(value, And | Or | Compare):  # already parsed (built in Python)
        return value
    return parse_filter(value)


MetadataFilter = Annotated[
    Filter,
    PlainValidator(_validate),
    PlainSerializer(to_chroma_where),
    WithJsonSchema(SCHEMA),
]
"""A filter field: validates a JSON filter into its tree (a 422 naming the wrong part otherwise),
serialises back to the where dict, and publishes the grammar as JSON Schema."""
