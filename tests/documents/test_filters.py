"""filter_metadata: the validator and the published JSON Schema agree (the SQL that applies
filters is held to Chroma's matching rules in tests/search/test_filter_sql.py)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from memory_api.app import create_app
from memory_api.search.filters import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_VALUES,
    Compare,
    Op,
    parse_filter,
)
from memory_api.settings import Settings

SCHEMA = create_app(Settings(_env_file=None)).openapi()[  # type: ignore[call-arg]
    "components"
]["schemas"]["RAGQueryRequest"]["properties"]["filter_metadata"]
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def nested(depth: int) -> dict[str, Any]:
    where: dict[str, Any] = {"extension": ".md"}
    for _ in range(depth):
        where = {"$or": [where, {"chunk_index": 0}]}
    return where


def tree(levels: int, fan_out: int, leaf: dict[str, Any]) -> dict[str, Any]:
    """``levels`` of alternating $or / $and, each with ``fan_out`` filters, over ``leaf``."""
    if levels == 0:
        return leaf
    return {("$or", "$and")[levels % 2]: [tree(levels - 1, fan_out, leaf)] * fan_out}


# At the bounds: the most conditions and values a filter may hold. Chroma answers each.
LIMITS: list[dict[str, Any]] = [
    {"chunk_index": {"$in": list(range(MAX_VALUES))}},
    {"extension": {"$nin": [str(i) for i in range(MAX_VALUES)]}},
    {"$or": [{"chunk_index": i} for i in range(MAX_CONDITIONS)]},
    {"$and": [{"chunk_index": {"$nin": list(range(10))}}] * MAX_CONDITIONS},
    {"$or": [tree(3, 4, {"chunk_index": {"$in": list(range(15))}}), {"chunk_index": -1}]},
]
ACCEPTED: list[dict[str, Any]] = [
    {"extension": ".md"},
    {"chunk_index": 2},
    {"flag": True},
    {"score": 0.5},
    {"chunk_index": {"$gte": 1}},
    {"chunk_index": {"$lt": 2.5}},
    {"extension": {"$ne": ".py"}},
    {"flag": {"$eq": False}},
    {"extension": {"$in": [".md", ".txt"]}},
    {"chunk_index": {"$nin": [0, 1]}},
    {"flag": {"$in": [True]}},
    {"$and": [{"extension": ".md"}, {"chunk_index": {"$gt": 0}}]},
    {"$or": [{"extension": ".md"}, {"$and": [{"chunk_index": 0}, {"flag": True}]}]},
    nested(MAX_DEPTH),
    *LIMITS,
]
REJECTED: list[Any] = [
    {},
    {"a": 1, "b": 2},
    {"": 1},
    {"$bogus": 1},
    {"#document": {"$contains": "x"}},
    {"$in": [1, 2]},
    {"a": None},
    {"a": [1, 2]},
    {"a": {}},
    {"a": {"$gt": 1, "$lt": 3}},
    {"a": {"$gt": "x"}},
    {"a": {"$gte": True}},
    {"a": {"$eq": None}},
    {"a": {"$eq": [1]}},
    {"a": {"$in": []}},
    {"a": {"$in": "x"}},
    {"a": {"$in": [1, "x"]}},
    {"a": {"$in": [True, 1]}},
    {"a": {"$regex": "x"}},
    {"$and": [{"a": 1}]},
    {"$or": {"a": 1}},
    {"$and": [{"a": 1}, {}]},
    nested(MAX_DEPTH + 1),
    {"a": {"$in": list(range(MAX_VALUES + 1))}},
    {"a": {"$nin": ["x"] * (MAX_VALUES + 1)}},
    {"$or": [{"a": i} for i in range(MAX_CONDITIONS + 1)]},
    {"$and": [{"a": 1}, {"$or": [{"b": i} for i in range(MAX_CONDITIONS + 1)]}]},
]
# Within every per-list and per-array bound (so the JSON Schema allows them), over the totals.
OVER_TOTALS: list[tuple[dict[str, Any], str]] = [
    (tree(4, 12, {"a": 1}), f"20736 conditions, more than {MAX_CONDITIONS}"),
    (tree(2, 11, {"a": 1}), f"121 conditions, more than {MAX_CONDITIONS}"),
    (
        {"$or": [{"a": {"$in": list(range(600))}}, {"b": {"$in": list(range(600))}}]},
        f"1200 values, more than {MAX_VALUES}",
    ),
    (tree(2, 10, {"a": {"$in": list(range(11))}}), f"1100 values, more than {MAX_VALUES}"),
]


@pytest.mark.parametrize("where", ACCEPTED)
def test_accepted_by_the_validator_and_the_schema(where: dict[str, Any]) -> None:
    parse_filter(where)
    assert VALIDATOR.is_valid(where)


@pytest.mark.parametrize("where", REJECTED)
def test_rejected_by_the_validator_and_the_schema(where: Any) -> None:
    with pytest.raises(ValueError, match=r"^filter_metadata"):
        parse_filter(where)
    assert not VALIDATOR.is_valid(where)


@pytest.mark.parametrize(("where", "reason"), OVER_TOTALS)
def test_totals_are_bounded(where: dict[str, Any], reason: str) -> None:
    assert VALIDATOR.is_valid(where), "the JSON Schema bounds each list, not the totals"
    with pytest.raises(ValueError, match=f"^filter_metadata: {reason}"):
        parse_filter(where)


def test_mixed_integers_and_decimals_become_decimals() -> None:
    """JSON does not tell 2 from 2.0; Chroma wants one type per list."""
    where = {"score": {"$in": [1, 2.5]}}
    assert VALIDATOR.is_valid(where)
    tree = parse_filter(where)
    assert tree == Compare("score", Op.IN, (1.0, 2.5))
    assert isinstance(tree, Compare) and [type(v) for v in tree.value] == [float, float]  # type: ignore[union-attr]
