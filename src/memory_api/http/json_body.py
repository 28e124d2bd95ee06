"""Parse a JSON request body with orjson, refusing what it cannot keep exactly.

orjson is fast and strict (no ``NaN``, valid UTF-8 only), but it parses integers beyond 64
bits into floats (123456789012345678901234567890 became 1.2345678901234568e+29) and encodes
at most 254 levels of nesting (deeper documents were accepted, then failed with a 500). Both
are refused here, before any handler or database sees the document.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

#: Levels of arrays and objects a body may nest, the body itself included.
MAX_DEPTH = 100
#: Integers orjson keeps exactly: signed and unsigned 64-bit.
INT_MIN, INT_MAX = -(2**63), 2**64 - 1

# An integer of 19 digits or more that follows "[", ":" or ",": the only ones that can leave
# the range. Digits inside strings may match too; the exact check below ignores those.
_LONG_INTEGER = re.compile(rb"(?:^|[\[:,])\s*-?\d{19}")
# Before that pattern, 19 digits in a row anywhere: every digit made a 0, then one substring
# search, both in C (0.5 us for the benchmark's 224-byte state against 7 us for the pattern,
# which a request paid on every JSON body; 28x faster on a megabyte).
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19


class BodyError(ValueError):
    """One validation error (FastAPI's shape) that makes the body unacceptable."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["msg"])
        self.error = error


def parse(body: bytes) -> Any:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise _decode_error(body, error) from None
    # Each level needs its own bracket, so fewer brackets than the limit cannot be too deep.
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _deeper_than(value, MAX_DEPTH):
        raise _too_deep()
    if _may_hold_long_integer(body):
        _check_integers(body)
    return value


def _may_hold_long_integer(body: bytes) -> bool:
    return _NINETEEN_DIGITS in body.translate(_DIGITS_AS_ZEROS) and bool(_LONG_INTEGER.search(body))


def _decode_error(body: bytes, error: orjson.JSONDecodeError) -> BodyError:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as invalid:
        return BodyError(
            {
                "type": "json_invalid",
                "loc": ["body", invalid.start],
                "msg": "request body is not valid UTF-8",
            }
        )
    if error.msg.startswith("depth limit exceeded"):  # orjson's own limit, above ours
        return _too_deep()
    if _may_hold_long_integer(body):  # orjson refuses integers too long for a double
        try:
            _check_integers(body)
        except BodyError as out_of_range:
            return out_of_range
        except ValueError:
            pass  # Python's parser refuses the body too: orjson's reason below
    return BodyError(
        {
            "type": "json_invalid",
            "loc": ["body", error.pos],
            "msg": "JSON decode error",
            "ctx": {"error": error.msg},
        }
    )


def _too_deep() -> BodyError:
    return BodyError(
        {
            "type": "json_too_deep",
            "loc": ["body"],
            "msg": f"JSON nested deeper than {MAX_DEPTH} levels of arrays and objects "
            "(the body itself counts as one)",
            "ctx": {"max_depth": MAX_DEPTH},
        }
    )


def _deeper_than(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _check_integer(literal: str) -> int:
    digits = literal.removeprefix("-")
    if len(digits) <= 20:  # longer cannot be in range (and int() would refuse 4300+ digits)
        number = int(literal)
        if INT_MIN <= number <= INT_MAX:
            return number
    raise BodyError(
        {
            "type": "json_int_out_of_range",
            "loc": ["body"],
            "msg": f"integer outside the 64-bit range ({INT_MIN} to {INT_MAX}), which is "
            "stored exactly: send larger numbers as strings",
            "input": literal,
            "ctx": {"min": INT_MIN, "max": INT_MAX},
        }
    )


def _check_integers(body: bytes) -> None:
    """Find the integer literals (not digits in strings) with Python's parser: slower than
    orjson, so only for the rare body the pattern above flags."""
    json.loads(body, parse_int=_check_integer)
