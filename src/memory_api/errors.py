"""Domain errors that know their HTTP status.

    MemoryAPIError (500)
    ├── InvalidInput (422)
    │   └── InvalidFilter (422)
    ├── Forbidden (403)
    ├── NotFound (404)
    ├── Conflict (409)
    │   └── EmbeddingModelMismatch (409)
    ├── PayloadTooLarge (413)
    ├── UnsupportedMediaType (415)
    └── Unavailable (503)
        ├── DatabaseUnavailable
        ├── VectorStoreUnavailable
        └── EmbeddingUnavailable

One exception handler (see ``memory_api.app``) turns them into ``{"detail": ...}``.
"""

from __future__ import annotations


class MemoryAPIError(Exception):
    """Base of every error the API reports to clients."""

    status_code: int = 500
    default_detail: str = "Internal error"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class InvalidInput(MemoryAPIError):
    status_code = 422
    default_detail = "Invalid input"


class InvalidFilter(InvalidInput):
    default_detail = "Invalid metadata filter"


class Forbidden(MemoryAPIError):
    status_code = 403
    default_detail = "Forbidden"


class NotFound(MemoryAPIError):
    status_code = 404
    default_detail = "Not found"


class Conflict(MemoryAPIError):
    status_code = 409
    default_detail = "Conflict"


class EmbeddingModelMismatch(Conflict):
    default_detail = "The collection was built with another embedding model"


class PayloadTooLarge(MemoryAPIError):
    status_code = 413
    default_detail = "Request body too large"


class UnsupportedMediaType(MemoryAPIError):
    status_code = 415
    default_detail = "Unsupported media type"


class Unavailable(MemoryAPIError):
    status_code = 503
    default_detail = "A dependency is unavailable"


class DatabaseUnavailable(Unavailable):
    default_detail = "Database unavailable"


class VectorStoreUnavailable(Unavailable):
    default_detail = "Vector store unavailable"


class EmbeddingUnavailable(Unavailable):
    default_detail = "Embedding model unavailable"
