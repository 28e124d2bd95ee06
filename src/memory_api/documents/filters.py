"""``filter_metadata``: the subset of Chroma's "where" filters the API accepts, checked here.

Each object holds exactly one key: a metadata field with a condition, or ``$and`` / ``$or``
with at least two filters (nested up to MAX_DEPTH levels). A condition is a scalar (equality)
or an object with one operator. Chroma's own rules, so a filter that passes here is one Chroma
accepts; the JSON Schema published in the OpenAPI document says the same.

Sizes are bounded too: Chroma turns a filter into one SQLite statement, which failed (a 500)
past about 32k values ("too many SQL variables") or 1000 OR-ed conditions ("Expression tree is
too large"). A filter holds at most MAX_CONDITIONS conditions (field tests) and MAX_VALUES
values (each member of an $in / $nin list counts); the JSON Schema bounds each array.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, WithJsonSchema

MAX_DEPTH = 4  # levels of $and / $or
MAX_CONDITIONS = 100  # field conditions in one filter
MAX_VALUES = 1000  # values in one filter, each member of an $in / $nin list counting
LOGICAL = ("$and", "$or")
COMPARISONS = ("$gt", "$gte", "$lt", "$lte")
EQUALITIES = ("$eq", "$ne", "$contains", "$not_contains")
MEMBERSHIP = ("$in", "$nin")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool) or _is_number(value)


def _members(values: Any, where: str) -> list[Any]:
    """A non-empty list of strings, of booleans or of numbers; numbers that mix integers and
    decimals become decimals (Chroma wants one type, JSON does not tell 2 from 2.0)."""
    if not isinstance(values, list) or not values:
        raise ValueError(f"{where}: expected a non-empty list")
    if len(values) > MAX_VALUES:
        raise ValueError(f"{where}: {len(values)} values, more than {MAX_VALUES}")
    for kind in (str, bool):
        if all(isinstance(value, kind) for value in values):
            return values
    if all(_is_number(value) for value in values):
        if all(isinstance(value, int) for value in values):
            return values
        return [float(value) for value in values]
    raise ValueError(f"{where}: expected a list of strings, of numbers or of booleans")


def _condition(value: Any, where: str) -> Any:
    if _is_scalar(value):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"{where}: expected a string, number, boolean or one operator")
    ((operator, operand),) = value.items()
    if operator in COMPARISONS and _is_number(operand):
        return value
    if operator in EQUALITIES and _is_scalar(operand):
        return value
    if operator in MEMBERSHIP:
        return {operator: _members(operand, f"{where}.{operator}")}
    known = ", ".join((*COMPARISONS, *EQUALITIES, *MEMBERSHIP))
    if operator not in (*COMPARISONS, *EQUALITIES):
        raise ValueError(f"{where}: unknown operator {operator!r} (one of {known})")
    kind = "a number" if operator in COMPARISONS else "a string, number or boolean"
    raise ValueError(f"{where}.{operator}: expected {kind}")


def _where(value: Any, where: str, depth: int) -> dict[str, Any]:
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"{where}: expected an object with exactly one key")
    ((key, operand),) = value.items()
    if key in LOGICAL:
        if depth >= MAX_DEPTH:
            raise ValueError(f"{where}: $and / $or nested deeper than {MAX_DEPTH} levels")
        if not isinstance(operand, list) or len(operand) < 2:
            raise ValueError(f"{where}.{key}: expected a list of at least two filters")
        if len(operand) > MAX_CONDITIONS:
            raise ValueError(f"{where}.{key}: {len(operand)} filters, more than {MAX_CONDITIONS}")
        return {
            key: [_where(item, f"{where}.{key}[{i}]", depth + 1) for i, item in enumerate(operand)]
        }
    if not key or key.startswith(("$", "#")):  # "#..." keys are Chroma's own (#document)
        raise ValueError(f"{where}: {key!r} is neither a metadata field nor $and / $or")
    return {key: _condition(operand, f"{where}.{key}")}


def _size(where: dict[str, Any]) -> tuple[int, int]:
    """(conditions, values) of a checked filter."""
    ((key, operand),) = where.items()
    if key in LOGICAL:
        sizes = [_size(item) for item in operand]
        return sum(c for c, _ in sizes), sum(v for _, v in sizes)
    if isinstance(operand, dict):
        ((_, operand),) = operand.items()
    return 1, len(operand) if isinstance(operand, list) else 1


def check_filter(value: dict[str, Any]) -> dict[str, Any]:
    checked = _where(value, "filter_metadata", 0)
    conditions, values = _size(checked)
    if conditions > MAX_CONDITIONS:
        raise ValueError(
            f"filter_metadata: {conditions} conditions, more than {MAX_CONDITIONS} in one filter"
        )
    if values > MAX_VALUES:
        raise ValueError(
            f"filter_metadata: {values} values, more than {MAX_VALUES} in one filter "
            "(each member of an $in / $nin list counts)"
        )
    return checked


# --- the same rules as JSON Schema (OpenAPI 3.1) --------------------------------------------------


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
            "maxItems": MAX_CONDITIONS,
            "items": _where_schema(depth + 1),
        }
    return {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "patternProperties": keys,
        "additionalProperties": False,
    }


MetadataFilter = Annotated[
    dict[str, Any],
    AfterValidator(check_filter),
    WithJsonSchema(
        {
            **_where_schema(0),
            "description": (
                'Chroma "where" filter on chunk metadata (source, relative_path, extension, '
                'chunk_index, collection): one key per object, e.g. {"extension": ".md"}, '
                '{"chunk_index": {"$lt": 3}}, {"extension": {"$in": [".md", ".txt"]}} or '
                '{"$and": [{"extension": ".py"}, {"chunk_index": 0}]}. Operators: $eq $ne $gt '
                "$gte $lt $lte $in $nin $contains $not_contains; $and / $or nest up to "
                f"{MAX_DEPTH} levels. At most {MAX_CONDITIONS} conditions and {MAX_VALUES} "
                "values in one filter (each member of an $in / $nin list counts)."
            ),
        }
    ),
]
