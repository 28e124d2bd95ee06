"""Parse a JSON request body with orjson: fast, and strict (no ``NaN``, valid UTF-8 only)."""

from __future__ import annotations

from typing import Any

import orjson


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
    return value


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
    return BodyError(
        {
            "type": "json_invalid",
            "loc": ["body", error.pos],
            "msg": "JSON decode error",
            "ctx": {"error": error.msg},
        }
    )
