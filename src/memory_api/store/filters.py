"""A search's ``filter`` as a SQL condition on the item's JSON value, so the database applies it.

LangGraph's rules: each field (dotted paths reach nested objects) holds a plain value, compared
for JSON equality, or operators ``$eq $ne $gt $gte $lt $lte``. The order operators compare a
number with a number and a string with a string (by code point), anything else is no match; a
missing field meets ``$ne`` only. JSON equality: numbers by value (1 = 1.0), a boolean is not a
number; objects and arrays on SQLite as written (the same keys in the same order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Numeric,
    String,
    Text,
    and_,
    case,
    false,
    func,
    literal,
    not_,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from memory_api.errors import InvalidFilter

OPERATORS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"})
Condition = ColumnElement[bool]
_ORDER: dict[str, Callable[[Any, Any], Condition]] = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


def check_filter(conditions: dict[str, Any]) -> None:
    """Refuse (422) operators LangGraph does not define, before any row is read."""
    for field, condition in conditions.items():
        if isinstance(condition, dict) and any(key.startswith("$") for key in condition):
            unknown = sorted(set(condition) - OPERATORS)
            if unknown:
                raise InvalidFilter(
                    f"filter {field!r}: unknown operator(s) {', '.join(unknown)}; "
                    f"use {', '.join(sorted(OPERATORS))}"
                )
        if any(char in '"\\' or char < " " for char in field):  # SQLite can not spell them
            raise InvalidFilter(
                f"filter {field!r}: field names can not hold '\"', '\\\\' or control characters"
            )
    if b"\\u0000" in orjson.dumps(conditions):  # no stored value holds one (PostgreSQL can not)
        raise InvalidFilter("filter values can not hold the NUL character")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _sqlite_number(value: int | float) -> int | float:
    """SQLite binds integers of 64 bits only; a larger one compares as the double it is."""
    return value if isinstance(value, float) or -(2**63) <= value < 2**63 else float(value)


def _operators(condition: Any) -> bool:
    return (
        isinstance(condition, dict) and bool(condition) and all(k in OPERATORS for k in condition)
    )


class _SQLiteField:
    def __init__(self, value: ColumnElement[Any], labels: list[str]) -> None:
        path = literal("$" + "".join(f'."{label}"' for label in labels), String)
        self.kind = func.json_type(value, path)  # NULL where the field is missing
        self.value = func.json_extract(value, path)

    def equals(self, expected: Any) -> Condition:
        if expected is None:
            return self.kind == "null"
        if isinstance(expected, bool):
            return self.kind == ("true" if expected else "false")
        if _number(expected):
            return and_(self.kind.in_(("integer", "real")), self.value == _sqlite_number(expected))
        if isinstance(expected, str):
            return and_(self.kind == "text", self.value == literal(expected, String))
        kind = "object" if isinstance(expected, dict) else "array"
        written = func.json(literal(orjson.dumps(expected).decode(), String))
        return and_(self.kind == kind, self.value == written)

    def order(self, operator: str, expected: Any) -> Condition:
        kinds = ("integer", "real") if _number(expected) else ("text",)
        bound = (
            literal(expected, String)
            if isinstance(expected, str)
            else literal(_sqlite_number(expected))
        )
        return and_(self.kind.in_(kinds), _ORDER[operator](self.value, bound))


class _PostgresField:
    def __init__(self, value: ColumnElement[Any], labels: list[str]) -> None:
        for label in labels:  # "->" with a text label: NULL on arrays, as LangGraph's rules say
            value = value.op("->", return_type=JSONB)(literal(label, Text))
        self.json = value
        self.kind = func.jsonb_typeof(value)
        self.text = value.op("#>>", return_type=Text)(literal([], ARRAY(Text)))

    def equals(self, expected: Any) -> Condition:
        return self.json.op("=", is_comparison=True)(literal(expected, JSONB))

    def order(self, operator: str, expected: Any) -> Condition:
        if _number(expected):  # CASE: the cast fails on anything but a number
            compared = _ORDER[operator](self.text.cast(Numeric), literal(expected, Numeric))
            return case((self.kind == "number", compared), else_=false())
        compared = _ORDER[operator](self.text.collate("C"), literal(expected, String))
        return case((self.kind == "string", compared), else_=false())


def _held(condition: Condition) -> Condition:
    return func.coalesce(condition, false(), type_=Boolean)


def filter_sql(conditions: dict[str, Any], value: ColumnElement[Any], dialect: str) -> Condition:
    """The condition every item meeting ``conditions`` passes (``check_filter`` first)."""
    parts: list[Condition] = [true()]
    for path, condition in conditions.items():
        labels = path.split(".")
        field = (
            _PostgresField(value, labels)
            if dialect == "postgresql"
            else _SQLiteField(value, labels)
        )
        if not _operators(condition):
            parts.append(_held(field.equals(condition)))
            continue
        for operator, expected in condition.items():
            if operator == "$eq":
                parts.append(_held(field.equals(expected)))
            elif operator == "$ne":
                parts.append(not_(_held(field.equals(expected))))
            elif _number(expected) or isinstance(expected, str):
                parts.append(_held(field.order(operator, expected)))
            else:  # 5 > true is no match, not an error (LangGraph's stores agree)
                parts.append(false())
    return and_(*parts)
