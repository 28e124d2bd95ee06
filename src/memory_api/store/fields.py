"""The value side of items: the texts an ``index`` selects, and ``filter`` matching.

Paths follow LangGraph's ``IndexConfig.fields``: ``$`` is the whole value, ``a.b`` a nested
field, ``a[0]`` / ``a[-1]`` an element, ``a[*].b`` every element (one text each).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

from memory_api.errors import InvalidFilter, InvalidInput

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\*|-?\d+)\]")
OPERATORS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"})


def _tokens(path: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(path):
        if path[position] == ".":
            position += 1
            continue
        match = _TOKEN.match(path, position)
        if match is None:
            raise InvalidInput(f"index: can not read the field path {path!r}")
        tokens.append(match.group(1) if match.group(1) is not None else f"[{match.group(2)}]")
        position = match.end()
    return tokens


def check_paths(paths: Sequence[str]) -> None:
    for path in paths:
        if path not in ("$", "") and not _tokens(path):
            raise InvalidInput(f"index: can not read the field path {path!r}")


def _walk(value: Any, tokens: list[str]) -> list[Any]:
    if not tokens:
        return [value]
    head, rest = tokens[0], tokens[1:]
    if head.startswith("["):
        if not isinstance(value, list):
            return []
        if head == "[*]":
            return [found for element in value for found in _walk(element, rest)]
        index = int(head[1:-1])
        return _walk(value[index], rest) if -len(value) <= index < len(value) else []
    if isinstance(value, dict) and head in value:
        return _walk(value[head], rest)
    return []


def _text(found: Any) -> str:
    return found if isinstance(found, str) else orjson.dumps(found).decode()


def texts_at(value: dict[str, Any], paths: Sequence[str]) -> list[str]:
    """The texts to embed for ``paths``, in order; absent fields give none."""
    texts: list[str] = []
    for path in paths:
        if path in ("$", ""):
            texts.append(_text(value))
            continue
        texts.extend(_text(found) for found in _walk(value, _tokens(path)) if found is not None)
    return [text for text in texts if text.strip()]


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


def _compare(actual: Any, operator: str, expected: Any) -> bool:
    if operator == "$eq":
        return bool(actual == expected)
    if operator == "$ne":
        return bool(actual != expected)
    numbers = (int, float)
    comparable = (
        isinstance(actual, numbers)
        and isinstance(expected, numbers)
        and not isinstance(actual, bool)
        and not isinstance(expected, bool)
    ) or (isinstance(actual, str) and isinstance(expected, str))
    if not comparable:
        return False  # 5 > "a" is no match, not an error (LangGraph's stores agree)
    if operator == "$gt":
        return bool(actual > expected)
    if operator == "$gte":
        return bool(actual >= expected)
    if operator == "$lt":
        return bool(actual < expected)
    return bool(actual <= expected)


_MISSING = object()


def _field(value: dict[str, Any], path: str) -> Any:
    current: Any = value
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return _MISSING
        current = current[part]
    return current


def matches(value: dict[str, Any], conditions: dict[str, Any]) -> bool:
    """Whether ``value`` meets every condition: a plain value is equality; a dict of
    operators compares (a missing field meets only ``$ne``)."""
    for path, condition in conditions.items():
        actual = _field(value, path)
        if isinstance(condition, dict) and condition and all(k in OPERATORS for k in condition):
            for operator, expected in condition.items():
                if actual is _MISSING:
                    if operator != "$ne":
                        return False
                elif not _compare(actual, operator, expected):
                    return False
        elif actual is _MISSING or actual != condition:
            return False
    return True
