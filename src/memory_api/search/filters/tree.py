"""The metadata filter as a small immutable tree, parsed once from Chroma's "where" grammar.

Each object holds exactly one key: a metadata field with a condition, or ``$and`` / ``$or`` with
at least two filters (nested up to MAX_DEPTH levels). A condition is a scalar (equality) or an
object with one operator. These are Chroma's own rules, so a filter that parses is one Chroma
accepts; on top of them a filter is bounded (MAX_CONDITIONS, MAX_VALUES) so that no backend runs
out of SQL variables or expression depth: Chroma 1.5 failed with "too many SQL variables" beyond
about 32,700 values (16,380 numbers, which it binds twice) and with "Expression tree is too
large" beyond 987 conditions in one ``$or``; 4 levels of 12-way fan-out (20,736 conditions) hit
the first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias

MAX_DEPTH = 4  # levels of $and / $or
MAX_CONDITIONS = 100  # field conditions in one filter
MAX_VALUES = 1000  # members of all the $in / $nin lists of one filter together
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

Scalar: TypeAlias = str | bool | int | float


class Op(StrEnum):
    EQ = "$eq"
    NE = "$ne"
    GT = "$gt"
    GTE = "$gte"
    LT = "$lt"
    LTE = "$lte"
    IN = "$in"
    NIN = "$nin"
    CONTAINS = "$contains"
    NOT_CONTAINS = "$not_contains"


COMPARISONS = (Op.GT, Op.GTE, Op.LT, Op.LTE)
EQUALITIES = (Op.EQ, Op.NE, Op.CONTAINS, Op.NOT_CONTAINS)
MEMBERSHIP = (Op.IN, Op.NIN)
LOGICAL = ("$and", "$or")


@dataclass(frozen=True, slots=True)
class Compare:
    """``field op value``; value is a tuple for $in / $nin. Numbers are finite, and integers
    fit in 64 bits (larger ones are read as floats, as Chroma reads them)."""

    field: str
    op: Op
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Filter, ...]


Filter: TypeAlias = And | Or | Compare


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool) or _is_number(value)


def _number(value: int | float, where: str) -> int | float:
    """As Chroma reads it: finite (JSON parsers accept NaN and 1e400), integers beyond 64 bits
    become floats (Chroma does so past 2**64 and refuses 2**63..2**64 outright)."""
    if isinstance(value, int):
        if INT64_MIN <= value <= INT64_MAX:
            return value
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"{where}: number out of range") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: expected a finite number")
    return value


def _scalar(value: Scalar, where: str) -> Scalar:
    return value if isinstance(value, str | bool) else _number(value, where)


class _Parser:
    def __init__(self) -> None:
        self.conditions = 0
        self.values = 0

    def where(self, value: Any, where: str, depth: int) -> Filter:
        if not isinstance(value, dict) or len(value) != 1:
            raise ValueError(f"{where}: expected an object with exactly one key")
        ((key, operand),) = value.items()
        if key in LOGICAL:
            if depth >= MAX_DEPTH:
                raise ValueError(f"{where}: $and / $or nested deeper than {MAX_DEPTH} levels")
            if not isinstance(operand, list) or len(operand) < 2:
                raise ValueError(f"{where}.{key}: expected a list of at least two filters")
            children = tuple(
                self.where(item, f"{where}.{key}[{i}]", depth + 1) for i, item in enumerate(operand)
            )
            return And(children) if key == "$and" else Or(children)
        if not isinstance(key, str) or not key or key.startswith(("$", "#")):
            # "#..." keys are Chroma's own (#document)
            raise ValueError(f"{where}: {key!r} is neither a metadata field nor $and / $or")
        self.conditions += 1
        return self.condition(key, operand, f"{where}.{key}")

    def condition(self, field: str, value: Any, where: str) -> Compare:
        if _is_scalar(value):
            return Compare(field, Op.EQ, _scalar(value, where))
        if not isinstance(value, dict) or len(value) != 1:
            raise ValueError(f"{where}: expected a string, number, boolean or one operator")
        ((operator, operand),) = value.items()
        if operator in COMPARISONS and _is_number(operand):
            return Compare(field, Op(operator), _number(operand, f"{where}.{operator}"))
        if operator in EQUALITIES and _is_scalar(operand):
            return Compare(field, Op(operator), _scalar(operand, f"{where}.{operator}"))
        if operator in MEMBERSHIP:
            return Compare(field, Op(operator), self.members(operand, f"{where}.{operator}"))
        known = ", ".join((*COMPARISONS, *EQUALITIES, *MEMBERSHIP))
        if operator not in (*COMPARISONS, *EQUALITIES):
            raise ValueError(f"{where}: unknown operator {operator!r} (one of {known})")
        kind = "a number" if operator in COMPARISONS else "a string, number or boolean"
        raise ValueError(f"{where}.{operator}: expected {kind}")

    def members(self, values: Any, where: str) -> tuple[Scalar, ...]:
        """A non-empty list of strings, of booleans or of numbers; numbers that mix integers and
        decimals become decimals (Chroma wants one type, JSON does not tell 2 from 2.0)."""
        if not isinstance(values, list) or not values:
            raise ValueError(f"{where}: expected a non-empty list")
        self.values += len(values)
        for kind in (str, bool):
            if all(isinstance(value, kind) for value in values):
                return tuple(values)
        if not all(_is_number(value) for value in values):
            raise ValueError(f"{where}: expected a list of strings, of numbers or of booleans")
        numbers = tuple(_number(value, f"{where}[{i}]") for i, value in enumerate(values))
        if all(isinstance(value, int) for value in numbers):
            return numbers
        return tuple(float(value) for value in numbers)


def parse_filter(value: Any) -> Filter:
    """The tree of a ``filter_metadata`` object; ValueError names the wrong part. The totals
    are checked once the whole filter is read, so the message can give them."""
    parser = _Parser()
    tree = parser.where(value, "filter_metadata", 0)
    if parser.conditions > MAX_CONDITIONS:
        raise ValueError(
            f"filter_metadata: {parser.conditions} conditions, more than {MAX_CONDITIONS} in "
            "one filter"
        )
    if parser.values > MAX_VALUES:
        raise ValueError(
            f"filter_metadata: {parser.values} values, more than {MAX_VALUES} in the $in / "
            "$nin lists of one filter"
        )
    return tree
