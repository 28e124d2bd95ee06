"""One field of one row as SQL: the part of to_sql common to SQLite and PostgreSQL.

A slot says what kind of value the field holds (``is_``, ``numbers``) and gives it as SQL; the
conditions it builds are true or false, never NULL, so that a negation of one is exact.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    FromClause,
    String,
    and_,
    exists,
    false,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.types import TypeEngine

from memory_api.search.filters.tree import INT64_MAX, INT64_MIN, Op, Scalar

Condition = ColumnElement[bool]
Test = Callable[[ColumnElement[Any]], Condition]
ORDER: dict[Op, Callable[[Any, Any], Condition]] = {
    Op.GT: operator.gt,
    Op.GTE: operator.ge,
    Op.LT: operator.lt,
    Op.LTE: operator.le,
}


def storable(value: Scalar) -> bool:
    """U+0000 is in no stored string: PostgreSQL refuses it, SQLite's JSON functions cut there."""
    return not (isinstance(value, str) and "\x00" in value)


def as_int64(number: Scalar) -> int:
    """The operand as Chroma compares it with an integer value: ``operand as i64`` in Rust,
    truncated toward zero and saturated (so 1.5 equals 1 and 2 is not below 2.5)."""
    if isinstance(number, int):
        return number
    return max(INT64_MIN, min(INT64_MAX, math.trunc(float(number))))


def is_number(value: Scalar) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def one_of(expression: ColumnElement[Any], values: Sequence[Any], kind: TypeEngine[Any]) -> Any:
    params = [literal(value, kind) for value in values]
    return expression == params[0] if len(params) == 1 else expression.in_(params)


class Slot:
    text: ColumnElement[Any]  # the value as SQL text, read only where is_("text")

    def is_(self, kind: str) -> Condition:
        """Whether the value is one of: text, true, false, array."""
        raise NotImplementedError

    def numbers(self, on_integer: Test, on_real: Test) -> Condition:
        """``on_integer(value)`` where the value is an integer, ``on_real(value)`` where it is a
        decimal (a double), false where it is no number."""
        raise NotImplementedError

    def elements(self) -> tuple[FromClause, Slot]:
        """The elements of an array value as a table (none otherwise), and one element's slot."""
        raise NotImplementedError

    def equals_any(self, values: Sequence[Scalar]) -> Condition:
        texts = [v for v in values if isinstance(v, str) and storable(v)]
        numbers = [v for v in values if is_number(v)]
        flags = sorted({v for v in values if isinstance(v, bool)})
        parts = [self.is_("true" if flag else "false") for flag in flags]
        if texts:
            parts.append(and_(self.is_("text"), one_of(self.text, texts, String())))
        if numbers:
            ints, reals = [as_int64(v) for v in numbers], [float(v) for v in numbers]
            parts.append(
                self.numbers(
                    lambda value: one_of(value, ints, BigInteger()),
                    lambda value: one_of(value, reals, Float()),
                )
            )
        return or_(false(), *parts)

    def compare(self, op: Op, number: Scalar) -> Condition:
        order = ORDER[op]
        return self.numbers(
            lambda value: order(value, literal(as_int64(number), BigInteger)),
            lambda value: order(value, literal(float(number), Float)),
        )

    def contains(self, value: Scalar) -> Condition:
        table, element = self.elements()
        found = exists(select(literal_column("1")).select_from(table).where(element.same(value)))
        return and_(self.is_("array"), found)

    def same(self, value: Scalar) -> Condition:
        """Of the operand's exact type and equal to it: $contains does not mix 1 and 1.0."""
        if isinstance(value, bool):
            return self.is_("true" if value else "false")
        if isinstance(value, str):
            return and_(self.is_("text"), self.text == literal(value, String))
        if isinstance(value, int):
            return self.numbers(lambda v: v == literal(value, BigInteger), lambda v: false())
        return self.numbers(lambda v: false(), lambda v: v == literal(value, Float))


class Missing(Slot):
    """A field name no backend can store (it holds U+0000): the key is never there."""

    def equals_any(self, values: Sequence[Scalar]) -> Condition:
        return false()

    def compare(self, op: Op, number: Scalar) -> Condition:
        return false()

    def contains(self, value: Scalar) -> Condition:
        return false()


class Column(Slot):
    """A typed column: kind is integer, real, text or boolean; NULL is a missing field."""

    def __init__(self, column: ColumnElement[Any], kind: str) -> None:
        self.column, self.kind, self.text = column, kind, column

    def is_(self, kind: str) -> Condition:
        if self.kind == "boolean" and kind in ("true", "false"):
            return self.column.is_(true() if kind == "true" else false())
        return self.column.is_not(None) if kind == self.kind else false()

    def numbers(self, on_integer: Test, on_real: Test) -> Condition:
        test = {"integer": on_integer, "real": on_real}.get(self.kind)
        return false() if test is None else and_(self.column.is_not(None), test(self.column))

    def contains(self, value: Scalar) -> Condition:
        return false()
