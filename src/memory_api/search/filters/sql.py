"""The tree as a SQLAlchemy condition that matches exactly what Chroma (1.5) matches.

Chroma's rules, measured on chromadb 1.5.9 (tests/search/test_filter_sql.py holds them to it):

- Values are typed. Equality, ``$in`` and the order comparisons see numbers only as numbers,
  strings only as strings, booleans only as booleans (True is not 1); arrays match none of them.
- An integer value is compared with the operand as a 64-bit integer: a decimal operand is
  truncated toward zero and saturated (``{"n": 1.5}`` matches n = 1, ``{"n": {"$lt": 2.5}}``
  does not match n = 2). A decimal value is compared with the operand as a double.
- ``$contains`` holds for an array with an element of the operand's exact type (an integer
  operand never matches a decimal element) and equal to it; never for a scalar value.
- ``$ne``, ``$nin`` and ``$not_contains`` are the negations: they hold where the key is missing.

Limits of the SQL side: no stored string or key may hold U+0000, so operands and field names
holding one match nothing; on PostgreSQL, JSONB keeps a number's decimals but not its exponent,
so a decimal written as ``1e+16`` (every decimal of magnitude 1e16 or more, as Python and orjson
write them) reads as an integer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Boolean, ColumnElement, Float, Integer, String, and_, false, not_, or_
from sqlalchemy.types import TypeEngine

from memory_api.search.filters.postgres import PostgresKey
from memory_api.search.filters.slots import Column, Condition, Missing, Slot, storable
from memory_api.search.filters.sqlite import sqlite_slot
from memory_api.search.filters.tree import And, Compare, Filter, Op, Or

_NEGATION = {Op.NE: Op.EQ, Op.NIN: Op.IN, Op.NOT_CONTAINS: Op.CONTAINS}


@dataclass(frozen=True)
class FieldMap:
    """Where each field lives: ``columns`` are typed columns (Integer, Float, String or Boolean)
    for reserved fields; every other field is a key of the JSON object column ``metadata``
    (JSON on SQLite, JSONB on PostgreSQL)."""

    dialect: Literal["sqlite", "postgresql"]
    metadata: ColumnElement[Any]
    columns: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, column in self.columns.items():
            _column_kind(column.type, name)


def to_sql(tree: Filter, fields: FieldMap) -> Condition:
    """The condition for a WHERE clause (never NULL); values and keys are bound parameters."""
    if isinstance(tree, And):
        return and_(*(to_sql(child, fields) for child in tree.children))
    if isinstance(tree, Or):
        return or_(*(to_sql(child, fields) for child in tree.children))
    return _compare(tree, fields)


def _compare(leaf: Compare, fields: FieldMap) -> Condition:
    if leaf.op in _NEGATION:
        return not_(_compare(Compare(leaf.field, _NEGATION[leaf.op], leaf.value), fields))
    slot = _slot(leaf.field, fields)
    if isinstance(leaf.value, tuple):
        return slot.equals_any(leaf.value)
    if leaf.op is Op.EQ:
        return slot.equals_any((leaf.value,))
    if leaf.op is Op.CONTAINS:
        return slot.contains(leaf.value) if storable(leaf.value) else false()
    return slot.compare(leaf.op, leaf.value)


def _column_kind(kind: TypeEngine[Any], name: str) -> str:
    for sql_type, slot_kind in ((Boolean, "boolean"), (Integer, "integer"), (Float, "real")):
        if isinstance(kind, sql_type):
            return slot_kind
    if isinstance(kind, String):
        return "text"
    raise TypeError(f"column of field {name!r}: {kind!r} is not Integer, Float, String or Boolean")


def _slot(name: str, fields: FieldMap) -> Slot:
    column = fields.columns.get(name)
    if column is not None:
        return Column(column, _column_kind(column.type, name))
    if not storable(name):
        return Missing()
    if fields.dialect == "sqlite":
        return sqlite_slot(fields.metadata, name)
    return PostgresKey(fields.metadata, name)
