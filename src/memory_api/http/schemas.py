"""Error bodies, for the OpenAPI document: every error is ``{"detail": ...}``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _integral_float_to_int(value: Any) -> Any:
    # JSON Schema counts 18.0 as an integer and some JSON encoders write integers that way.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


INTEGRAL = BeforeValidator(_integral_float_to_int)
JSONInteger = Annotated[int, INTEGRAL]


class StrictRequest(BaseModel):
    """Base of every request body. Strict: 0 is not false and "5" is not 5; unknown fields are
    refused (a misspelt "filter" would otherwise be ignored): clients get a 422, not a guess."""

    model_config = ConfigDict(strict=True, extra="forbid")


class ErrorResponse(BaseModel):
    detail: str


class ValidationErrorResponse(BaseModel):
    """FastAPI's list of field errors, or one sentence for errors found past parsing."""

    detail: str | list[dict[str, Any]]


_DESCRIPTIONS = {
    401: "Missing or invalid API key",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    412: "Precondition failed (If-Match / If-None-Match)",
    413: "Request body too large",
    422: "Invalid request",
    503: "A dependency is unavailable; retry later",
}


def error_responses(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: ``error_responses(404, 422, d404="Session not found")``."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        model = ValidationErrorResponse if code == 422 else ErrorResponse
        text = descriptions.get(f"d{code}", _DESCRIPTIONS[code])
        responses[code] = {"model": model, "description": text}
    return responses
