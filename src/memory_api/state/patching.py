"""Partial updates: JSON Merge Patch (RFC 7396) and JSON Patch (RFC 6902, by ``jsonpatch``).

A patch is parsed and checked before any database work (``parse_patch``); it is applied to the
current document inside the write's transaction (``Patch.apply``), so a patch that fails leaves
the session as it was.

The common patches also have a form the database applies itself, in the one write statement
(``Patch.in_sql``): a merge patch, and a JSON Patch that only appends to one array member
(``add`` to ``/messages/-``). Where the database cannot apply it (the member is not an array,
say), the write changes nothing and the patch is applied here instead, with its exact errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonpatch
import jsonpointer
import orjson

from memory_api.errors import InvalidInput
from memory_api.state.errors import PatchConflict, UnsupportedPatchType
from memory_api.state.schemas import JSON_PATCH, MERGE_PATCH

PATCH_TYPES = (MERGE_PATCH, JSON_PATCH)


#: array members a JSON Patch can append to in SQL: plain names (the SQLite path ``$."name"``
#: quotes them as they are)
_SQL_MEMBER = re.compile(r"[A-Za-z0-9_]{1,128}")


@dataclass(frozen=True)
class SqlMerge:
    """A merge patch (RFC 7396) for the database: ``patch`` is its JSON text."""

    patch: str


@dataclass(frozen=True)
class SqlAppend:
    """Append ``values`` (the JSON text of an array of them) to the array ``member``."""

    member: str
    values: str


SqlPatch = SqlMerge | SqlAppend


@dataclass(frozen=True)
class Patch:
    apply_to: Callable[[dict[str, Any]], Any]
    #: the same patch as the database applies it, where it can
    in_sql: SqlPatch | None = None

    def apply(self, document: dict[str, Any]) -> dict[str, Any]:
        """The patched document (``document`` itself may be changed on the way)."""
        result = self.apply_to(document)
        if not isinstance(result, dict):
            raise PatchConflict("The patch does not apply: the patched state must be a JSON object")
        return result


def merge(target: Any, patch: Any) -> Any:
    """RFC 7396 section 2: objects merge key by key, ``null`` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = merge(target.get(key), value)
    return target


#: members each operation needs besides op and path (RFC 6902 section 4)
_MEMBERS: dict[str, tuple[str, ...]] = {
    "add": ("value",),
    "replace": ("value",),
    "test": ("value",),
    "move": ("from",),
    "copy": ("from",),
}


def _describe(index: int, operation: Any) -> str:
    if isinstance(operation, dict):
        return f"operation {index} ({operation.get('op')!s} {operation.get('path')!s})"
    return f"operation {index}"


def _appends(operations: list[Any]) -> SqlAppend | None:
    """The JSON Patch as appends to one array member (``add`` of a ``value`` to ``/name/-``
    only), if it is; such operations are well-formed by construction."""
    member: str | None = None
    for operation in operations:
        if not isinstance(operation, dict) or operation.get("op") != "add":
            return None
        if "value" not in operation or "from" in operation:
            return None
        path = operation.get("path")
        if not isinstance(path, str) or not path.startswith("/") or not path.endswith("/-"):
            return None
        name = path[1:-2]
        if _SQL_MEMBER.fullmatch(name) is None or member not in (None, name):
            return None
        member = name
    if member is None:
        return None
    values = orjson.dumps([operation["value"] for operation in operations]).decode()
    return SqlAppend(member, values)


def _steps(operations: list[Any]) -> list[tuple[str, jsonpatch.JsonPatch]]:
    """Each operation, checked, as the library applies it (422 for a malformed one)."""
    steps: list[tuple[str, jsonpatch.JsonPatch]] = []
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise InvalidInput(f"{_describe(index, operation)}: an operation is a JSON object")
        op = operation.get("op")
        needed = _MEMBERS.get(op, ()) if isinstance(op, str) else ()
        missing = [member for member in needed if member not in operation]
        if missing:  # jsonpatch would say so only when applying (after the preconditions)
            raise InvalidInput(f"{_describe(index, operation)}: no {missing[0]!r} member")
        try:
            if "from" in operation:  # likewise checked only when applying
                jsonpointer.JsonPointer(operation["from"])
            steps.append((_describe(index, operation), jsonpatch.JsonPatch([operation])))
        except (jsonpatch.InvalidJsonPatch, jsonpointer.JsonPointerException) as error:
            raise InvalidInput(f"{_describe(index, operation)}: {error}") from None
        except TypeError:  # a path or from that is not a string
            raise InvalidInput(f"{_describe(index, operation)}: a pointer is a string") from None
    return steps


def _json_patch(operations: Any) -> Patch:
    if not isinstance(operations, list):
        raise InvalidInput("A JSON Patch (RFC 6902) is a JSON array of operations")
    appends = _appends(operations)
    # Appends are well-formed: the library's objects are made only if the database did not
    # apply them. Any other patch is checked now, before any database work.
    steps = None if appends is not None else _steps(operations)

    def apply(document: dict[str, Any]) -> Any:
        result: Any = document
        for name, step in steps if steps is not None else _steps(operations):
            try:
                result = step.apply(result, in_place=True)
            except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
                # well-formed (checked above), but not for this document: a path through a
                # number, a missing member, a failed test
                raise PatchConflict(f"{name} does not apply: {error}") from None
        return result

    return Patch(apply, appends)


def parse_patch(content_type: str | None, document: Any) -> Patch:
    """The patch ``document`` (parsed JSON) sent as ``content_type``; 415 for another media
    type (the route refuses those first), 422 for a malformed patch."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type not in PATCH_TYPES:
        raise UnsupportedPatchType()
    if media_type == JSON_PATCH:
        return _json_patch(document)
    if not isinstance(document, dict):
        raise InvalidInput("A merge patch of a state is a JSON object (the state is one)")
    return Patch(lambda target: merge(target, document), SqlMerge(orjson.dumps(document).decode()))
