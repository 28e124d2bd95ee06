"""422 bodies for request validation errors, without echoing large input back.

FastAPI puts the offending value in each error (``input``, ``ctx``, sometimes ``loc`` and
``msg``): a 500 KB query came back as a 500 KB answer. Every echoed string is cut to a bound
and says how much was cut; structures are echoed as their JSON text when that is too long.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

MAX_ECHO = 200  # characters of an input, a ctx value or a location echoed back
MAX_MESSAGE = 1000  # characters of a message (ours may quote a field name)


def cut(text: str, limit: int = MAX_ECHO) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[{len(text) - limit} more characters cut]"


def _bounded(value: Any) -> Any:
    """``value`` as it is when short, else its (JSON) text, cut."""
    if isinstance(value, str):
        return cut(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # not JSON (an exception in ctx, say): its text
        text = str(value)
    return value if len(text) <= MAX_ECHO else cut(text)


def bounded_error(error: dict[str, Any]) -> dict[str, Any]:
    """One FastAPI/pydantic error with every echoed part bounded."""
    bounded = dict(error)
    if "input" in bounded:
        bounded["input"] = _bounded(bounded["input"])
    if "loc" in bounded:
        bounded["loc"] = [cut(part) if isinstance(part, str) else part for part in bounded["loc"]]
    if isinstance(bounded.get("msg"), str):
        bounded["msg"] = cut(bounded["msg"], MAX_MESSAGE)
    if isinstance(bounded.get("ctx"), dict):
        bounded["ctx"] = {key: _bounded(value) for key, value in bounded["ctx"].items()}
    return bounded


async def validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [bounded_error(jsonable_encoder(item)) for item in error.errors()]
    return JSONResponse({"detail": errors}, status_code=422)
