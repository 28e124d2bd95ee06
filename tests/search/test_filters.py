"""Parsing and validation of filters: the grammar, the limits, the messages and the schema."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from memory_api.search.filters import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_VALUES,
    And,
    Compare,
    MetadataFilter,
    Op,
    Or,
    parse_filter,
    to_chroma_where,
)


class Body(BaseModel):
    filter_metadata: MetadataFilter | None = None


SCHEMA = Body.model_json_schema()["properties"]["filter_metadata"]["anyOf"][0]
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def nested(depth: int) -> dict[str, Any]:
    where: dict[str, Any] = {"extension": ".md"}
    for _ in range(depth):
        where = {"$or": [where, {"chunk_index": 0}]}
    return where


def flat(conditions: int) -> dict[str, Any]:
    return {"$or": [{"chunk_index": i} for i in range(conditions)]}


def balanced(fan_out: tuple[int, ...]) -> dict[str, Any]:
    """$and / $or levels with these fan-outs; the product is the number of conditions."""
    if not fan_out:
        return {"chunk_index": {"$gte": 0}}
    return {"$and" if len(fan_out) % 2 else "$or": [balanced(fan_out[1:])] * fan_out[0]}


# The same lists as tests/documents/test_filters.py: what today's validator accepts and refuses.
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
    {"tags": {"$contains": "x"}},
    {"tags": {"$not_contains": 1}},
    {"a.b c\"'ü": 1},
    flat(MAX_CONDITIONS),
    balanced((4, 4, 2, 2)),
    {"a": {"$in": list(range(MAX_VALUES))}},
    {"$or": [{"a": {"$in": ["x"] * 600}}, {"b": {"$nin": [1.5] * (MAX_VALUES - 600)}}]},
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
    flat(MAX_CONDITIONS + 1),
    {"a": {"$in": list(range(MAX_VALUES + 1))}},
]


@pytest.mark.parametrize("where", ACCEPTED)
def test_accepted_by_the_parser_and_the_schema(where: dict[str, Any]) -> None:
    parse_filter(where)
    assert VALIDATOR.is_valid(where)


@pytest.mark.parametrize("where", REJECTED)
def test_rejected_by_the_parser_and_the_schema(where: Any) -> None:
    with pytest.raises(ValueError, match=r"^filter_metadata"):
        parse_filter(where)
    assert not VALIDATOR.is_valid(where)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({"a": 1, "b": 2}, "filter_metadata: expected an object with exactly one key"),
        ({"$and": [{"a": 1}, {"b": {"$gt": "x"}}]},
         "filter_metadata.$and[1].b.$gt: expected a number"),
        ({"a": {"$regex": "x"}}, "filter_metadata.a: unknown operator '$regex' (one of $gt, $gte, "
         "$lt, $lte, $eq, $ne, $contains, $not_contains, $in, $nin)"),
        ({"a": {"$in": [1, "x"]}},
         "filter_metadata.a.$in: expected a list of strings, of numbers or of booleans"),
        (nested(MAX_DEPTH + 1), "filter_metadata" + ".$or[0]" * MAX_DEPTH
         + ": $and / $or nested deeper than 4 levels"),
        (flat(MAX_CONDITIONS + 1),
         "filter_metadata: 101 conditions, more than 100 in one filter"),
        (balanced((4, 4, 4, 4)),
         "filter_metadata: 256 conditions, more than 100 in one filter"),
        ({"a": {"$in": [0] * (MAX_VALUES + 1)}},
         "filter_metadata: 1001 values, more than 1000 in the $in / $nin lists of one filter"),
        ({"$and": [{"a": {"$in": [0] * 600}}, {"b": {"$nin": ["x"] * 401}}]},
         "filter_metadata: 1001 values, more than 1000 in the $in / $nin lists of one filter"),
        ({"a": float("nan")}, "filter_metadata.a: expected a finite number"),
        ({"a": {"$gt": float("-inf")}}, "filter_metadata.a.$gt: expected a finite number"),
        ({"a": {"$in": [1, float("inf")]}}, "filter_metadata.a.$in[1]: expected a finite number"),
        ({"a": {"$ne": 10**400}}, "filter_metadata.a.$ne: number out of range"),
    ],
)  # fmt: skip
def test_messages_name_the_wrong_part(where: Any, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_filter(where)
    assert str(caught.value) == message


def test_the_tree() -> None:
    tree = parse_filter(
        {"$or": [{"a": "x"}, {"$and": [{"n": {"$gt": 1}}, {"t": {"$in": [1, 2.5]}}]}]}
    )
    assert tree == Or(
        (
            Compare("a", Op.EQ, "x"),
            And((Compare("n", Op.GT, 1), Compare("t", Op.IN, (1.0, 2.5)))),
        )
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        tree.children = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("where", "chroma"),
    [
        ({"a": True}, '{"a": {"$eq": true}}'),
        ({"a": 1}, '{"a": {"$eq": 1}}'),
        ({"a": {"$in": [1, 2.5]}}, '{"a": {"$in": [1.0, 2.5]}}'),
        ({"a": {"$in": [1, 2]}}, '{"a": {"$in": [1, 2]}}'),
        # Chroma refuses integers from 2**63 to 2**64 and reads larger ones as floats.
        ({"a": 2**63}, '{"a": {"$eq": 9.223372036854776e+18}}'),
        ({"a": {"$lt": -(2**63)}}, '{"a": {"$lt": -9223372036854775808}}'),
        ({"a": {"$nin": [10**30, 1]}}, '{"a": {"$nin": [1e+30, 1.0]}}'),
        ({"$or": [{"a": "x"}, {"b": {"$contains": False}}]},
         '{"$or": [{"a": {"$eq": "x"}}, {"b": {"$contains": false}}]}'),
    ],
)  # fmt: skip
def test_to_chroma_where_keeps_types(where: dict[str, Any], chroma: str) -> None:
    assert json.dumps(to_chroma_where(parse_filter(where))) == chroma


def test_a_pydantic_field_holds_the_tree_and_refuses_with_the_message() -> None:
    body = Body.model_validate_json('{"filter_metadata": {"extension": {"$in": [".md"]}}}')
    assert body.filter_metadata == Compare("extension", Op.IN, (".md",))
    assert body.model_dump() == {"filter_metadata": {"extension": {"$in": [".md"]}}}
    assert Body(filter_metadata=body.filter_metadata) == body
    for raw, message in [
        ('{"filter_metadata": {"a": NaN}}', "filter_metadata.a: expected a finite number"),
        ('{"filter_metadata": {"a": {"$gt": "1"}}}', "filter_metadata.a.$gt: expected a number"),
        ('{"filter_metadata": []}', "filter_metadata: expected an object with exactly one key"),
    ]:
        with pytest.raises(ValidationError) as caught:
            Body.model_validate_json(raw)
        assert caught.value.errors()[0]["msg"] == f"Value error, {message}"


def test_the_schema_carries_the_limits() -> None:
    text = json.dumps(SCHEMA)
    assert f'"maxItems": {MAX_VALUES}' in text
    assert f'"maxItems": {MAX_CONDITIONS}' in text
    assert not VALIDATOR.is_valid({"$or": [{"a": 1}] * (MAX_CONDITIONS + 1)})
    assert not VALIDATOR.is_valid({"a": {"$nin": ["x"] * (MAX_VALUES + 1)}})


# --- the same rules as today's validator ----------------------------------------------------------

_NUMBERS = st.one_of(
    st.integers(-3, 3),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
_SCALARS = st.one_of(_NUMBERS, st.booleans(), st.sampled_from(["", "x", ".md"]))
_JSON = st.recursive(
    st.none() | _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=4,
)


def _mostly(valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any]) -> Any:
    """``valid`` nine times in ten: a filter is refused as soon as one of its parts is."""
    return st.integers(0, 9).flatmap(lambda i: invalid if i == 0 else valid)


_OPERATORS = _mostly(st.sampled_from([op.value for op in Op]), st.sampled_from(["$regex", "a"]))
_LISTS = st.one_of(
    st.lists(_NUMBERS, min_size=1, max_size=4),
    st.lists(st.text(max_size=2), min_size=1, max_size=4),
    st.lists(st.booleans(), min_size=1, max_size=3),
)
_CONDITIONS = _mostly(
    _SCALARS | st.dictionaries(_OPERATORS, _SCALARS | _LISTS, min_size=1, max_size=1),
    st.dictionaries(_OPERATORS, _JSON | st.lists(_SCALARS, max_size=3), max_size=2) | _JSON,
)
_FIELDS = _mostly(
    st.sampled_from(["a", "chunk_index", "x$"]), st.sampled_from(["", "$in", "#document", "$and"])
)
_LEAVES = st.builds(lambda key, condition: {key: condition}, _FIELDS, _CONDITIONS)
_LOGICAL = st.sampled_from(["$and", "$or"])


def _wheres(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return _mostly(
        st.builds(lambda k, v: {k: v}, _LOGICAL, st.lists(children, min_size=2, max_size=3)),
        st.one_of(
            st.builds(lambda k, v: {k: v}, _LOGICAL, st.lists(children, max_size=1)),
            st.builds(lambda k, v: {k: v}, _LOGICAL, children),
            st.builds(lambda a, b: {**a, **b}, _LEAVES, _LEAVES),
        ),
    )


_FILTERS = st.recursive(_mostly(_LEAVES, _JSON), _wheres, max_leaves=10)


@settings(max_examples=600, deadline=None)
@given(_FILTERS)
def test_any_input_is_refused_with_its_place_or_round_trips(where: Any) -> None:
    """Whatever a client sends: a ValueError that starts with the field's name, or a tree that
    Chroma's where dict gives back unchanged."""
    try:
        tree = parse_filter(where)
    except ValueError as error:
        assert str(error).startswith("filter_metadata")
    else:
        assert parse_filter(to_chroma_where(tree)) == tree
