"""Fields of a JSON column on SQLite: json_type names the kind, json_extract gives the value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
)

from memory_api.search.filters.slots import Condition, Slot, Test
from memory_api.search.filters.tree import Op, Scalar


class SQLiteValue(Slot):
    def __init__(self, kind: ColumnElement[Any], value: ColumnElement[Any]) -> None:
        self.kind = func.coalesce(kind, "")  # NULL where the key is missing
        self.text = self.value = value

    def is_(self, kind: str) -> Condition:
        return self.kind == kind  # json_type's names: null true false integer real text array

    def numbers(self, on_integer: Test, on_real: Test) -> Condition:
        return or_(
            and_(self.kind == "integer", on_integer(self.value)),
            and_(self.kind == "real", on_real(self.value)),
        )

    def elements(self) -> tuple[FromClause, Slot]:
        # Under CASE: json_each fails on a string value (malformed JSON).
        array = case((self.kind == "array", self.value))
        table = func.json_each(array).table_valued("type", "value")
        return table, SQLiteValue(table.c.type, table.c.value)


class SQLiteKey(Slot):
    """A key whose JSON path SQLite can not spell: found among json_each's entries instead.

    SQLite (3.40 here) ends a quoted path label at the first ``"`` whatever precedes it, and
    before 3.45 compares labels with the stored text as written, escapes included.
    """

    def __init__(self, metadata: ColumnElement[Any], key: str) -> None:
        self.entries = func.json_each(metadata).table_valued("key", "type", "value")
        self.key = key
        self.entry = SQLiteValue(self.entries.c.type, self.entries.c.value)

    def _where(self, condition: Condition) -> Condition:
        key = self.entries.c.key == literal(self.key, String)
        return exists(select(literal_column("1")).select_from(self.entries).where(key, condition))

    def equals_any(self, values: Sequence[Scalar]) -> Condition:
        return self._where(self.entry.equals_any(values))

    def compare(self, op: Op, number: Scalar) -> Condition:
        return self._where(self.entry.compare(op, number))

    def contains(self, value: Scalar) -> Condition:
        return self._where(self.entry.contains(value))


def sqlite_slot(metadata: ColumnElement[Any], key: str) -> Slot:
    if not all(" " <= char <= "~" and char not in '"\\' for char in key):
        return SQLiteKey(metadata, key)
    path = literal(f'$."{key}"', String)  # bound like any other value
    return SQLiteValue(func.json_type(metadata, path), func.json_extract(metadata, path))
