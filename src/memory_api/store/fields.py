"""The texts of an item's value that an ``index`` selects.

Paths follow LangGraph's ``IndexConfig.fields``: ``$`` is the whole value, ``a.b`` a nested
field, ``a[0]`` / ``a[-1]`` an element, ``a[*].b`` every element (one text each).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

from memory_api.errors import InvalidInput

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\*|-?\d+)\]")


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
