"""Errors raised by the client SDK.

MemoryAPIClientError
├── TransportError            the server could not be reached (or timed out)
└── APIStatusError            the server answered 4xx/5xx; has status_code and detail
    ├── UnauthorizedError     401
    ├── ForbiddenError        403
    ├── NotFoundError         404
    ├── ConflictError         409
    ├── PreconditionFailedError 412 (If-Match / If-None-Match did not hold)
    ├── PayloadTooLargeError  413
    ├── ValidationError       422
    └── UnavailableError      503
"""

from __future__ import annotations

from typing import Any


class MemoryAPIClientError(Exception):
    """Base of every SDK error."""


class TransportError(MemoryAPIClientError):
    """The request did not get an answer: connection refused, timeout, broken link."""


class APIStatusError(MemoryAPIClientError):
    """``detail`` is the answer's ``detail`` as sent; the message is a readable line of it."""

    def __init__(self, status_code: int, detail: Any) -> None:
        self.status_code = status_code
        self.detail = detail
        super().__init__(f"HTTP {status_code}: {describe_detail(detail)}")


def describe_detail(detail: Any) -> str:
    """FastAPI's validation errors (a list of ``{"loc", "msg"}``) as ``where: what`` items joined
    by ``; `` (``query: String should have at least 1 character``); any other detail as is."""
    if not isinstance(detail, list) or not all(
        isinstance(item, dict) and "msg" in item for item in detail
    ):
        return str(detail)
    return "; ".join(_describe_error(item) for item in detail)


def _describe_error(item: dict[str, Any]) -> str:
    loc = [str(part) for part in item.get("loc") or []]
    if len(loc) > 1 and loc[0] in {"body", "query", "path", "header"}:
        loc = loc[1:]  # where the field travels is no news to a caller
    where = "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in loc).lstrip(".")
    message = str(item["msg"]).removeprefix("Value error, ")
    if not where or message.startswith(where):  # our validators name the field themselves
        return message
    return f"{where}: {message}"


class UnauthorizedError(APIStatusError): ...


class ForbiddenError(APIStatusError): ...


class NotFoundError(APIStatusError): ...


class ConflictError(APIStatusError): ...


class PreconditionFailedError(APIStatusError): ...


class PayloadTooLargeError(APIStatusError): ...


class ValidationError(APIStatusError): ...


class UnavailableError(APIStatusError): ...


_BY_STATUS: dict[int, type[APIStatusError]] = {
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    413: PayloadTooLargeError,
    422: ValidationError,
    503: UnavailableError,
}


def error_for(status_code: int, detail: Any) -> APIStatusError:
    return _BY_STATUS.get(status_code, APIStatusError)(status_code, detail)
