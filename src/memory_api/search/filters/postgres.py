"""Fields of a JSONB column on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    FromClause,
    Numeric,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
)
from sqlalchemy.dialects.postgresql import JSONB

from memory_api.search.filters.slots import Condition, Slot, Test, is_number, storable
from memory_api.search.filters.tree import INT64_MAX, INT64_MIN, Scalar


class PostgresValue(Slot):
    """A JSONB value. JSONB has one number type: a number is an integer when its text has no
    decimal point and it fits in 64 bits, a decimal otherwise."""

    def __init__(self, value: ColumnElement[Any]) -> None:
        self.value = value
        self.kind = func.coalesce(func.jsonb_typeof(value), "")  # NULL where the key is missing

    def is_(self, kind: str) -> Condition:
        if kind != "array":  # strings and booleans are matched by containment (PostgresKey)
            raise NotImplementedError(f"a JSONB value's kind {kind!r}")
        return self.kind == "array"

    def numbers(self, on_integer: Test, on_real: Test) -> Condition:
        number = cast(self.value, Numeric)
        integral = and_(
            func.strpos(cast(self.value, Text), ".") == 0,
            number.between(literal(INT64_MIN, BigInteger), literal(INT64_MAX, BigInteger)),
        )
        # CASE rather than AND: PostgreSQL may evaluate AND's operands in any order, and the
        # casts fail on anything but a number.
        kind = case((integral, on_integer(number)), else_=on_real(cast(self.value, Float)))
        return case((func.jsonb_typeof(self.value) == "number", kind), else_=false())

    def elements(self) -> tuple[FromClause, Slot]:
        array = case((self.kind == "array", self.value))
        table = func.jsonb_array_elements(array).table_valued("value")
        return table, PostgresValue(table.c.value)


class PostgresKey(PostgresValue):
    """A key of the JSONB column. Strings and booleans are matched by containment (``@>``),
    typed as Chroma is and served by a GIN index on the column; so are the arrays that hold a
    number, before the element-wise test tells 1 from 1.0."""

    def __init__(self, metadata: ColumnElement[Any], key: str) -> None:
        super().__init__(metadata.op("->")(literal(key, Text)))
        self.metadata, self.key = metadata, key

    def _holds(self, value: Any) -> Condition:
        document = literal({self.key: value}, JSONB)
        held = self.metadata.op("@>", is_comparison=True)(document)
        return func.coalesce(held, false(), type_=Boolean)

    def equals_any(self, values: Sequence[Scalar]) -> Condition:
        plain = [v for v in values if isinstance(v, str | bool) and storable(v)]
        numbers = [v for v in values if is_number(v)]
        held = [self._holds(value) for value in plain]
        return or_(false(), *held, super().equals_any(numbers) if numbers else false())

    def contains(self, value: Scalar) -> Condition:
        if isinstance(value, str | bool):
            return self._holds([value])
        return and_(self._holds([value]), super().contains(value))
