"""Partial updates: JSON Merge Patch (RFC 7396) and JSON Patch (RFC 6902, by ``jsonpatch``).

A patch is parsed and checked before any database work (``parse_patch``); it is applied to the
current document inside the write's transaction (``Patch.apply``), so a patch that fails leaves
the session as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonpatch
import jsonpointer

from memory_api.errors import InvalidInput
from memory_api.state.errors import PatchConflict, UnsupportedPatchType
from memory_api.state.schemas import JSON_PATCH, MERGE_PATCH

PATCH_TYPES = (MERGE_PATCH, JSON_PATCH)


@dataclass(frozen=True)
class Patch:
    apply_to: Callable[[dict[str, Any]], Any]

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


def _json_patch(operations: Any) -> Patch:
    if not isinstance(operations, list):
        raise InvalidInput("A JSON Patch (RFC 6902) is a JSON array of operations")
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

    def apply(document: dict[str, Any]) -> Any:
        result: Any = document
        for name, step in steps:
            try:
                result = step.apply(result, in_place=True)
            except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
                # well-formed (checked above), but not for this document: a path through a
                # number, a missing member, a failed test
                raise PatchConflict(f"{name} does not apply: {error}") from None
        return result

    return Patch(apply)


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
    return Patch(lambda target: merge(target, document))
