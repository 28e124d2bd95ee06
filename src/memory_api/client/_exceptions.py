"""Errors raised by the client SDK.

MemoryAPIClientError
├── TransportError            the server could not be reached (or timed out)
└── APIStatusError            the server answered 4xx/5xx; has status_code and detail
    ├── UnauthorizedError     401
    ├── ForbiddenError        403
    ├── NotFoundError         404
    ├── ConflictError         409
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
    def __init__(self, status_code: int, detail: Any) -> None:
        self.status_code = status_code
        self.detail = detail
        super().__init__(f"HTTP {status_code}: {detail}")


class UnauthorizedError(APIStatusError): ...


class ForbiddenError(APIStatusError): ...


class NotFoundError(APIStatusError): ...


class ConflictError(APIStatusError): ...


class PayloadTooLargeError(APIStatusError): ...


class ValidationError(APIStatusError): ...


class UnavailableError(APIStatusError): ...


_BY_STATUS: dict[int, type[APIStatusError]] = {
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: ValidationError,
    503: UnavailableError,
}


def error_for(status_code: int, detail: Any) -> APIStatusError:
    return _BY_STATUS.get(status_code, APIStatusError)(status_code, detail)
