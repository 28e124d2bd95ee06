"""Python client for memory-api: ``MemoryClient`` (sync) and ``AsyncMemoryClient``.

from memory_api.client import MemoryClient

with MemoryClient("http://127.0.0.1:8001", api_key="...") as memory:
    memory.put_state("agent-1", {"step": 1})
    print(memory.query("how do we deploy?", top_k=3).results[0].content)
"""

from memory_api.client._async import AsyncMemoryClient
from memory_api.client._exceptions import (
    APIStatusError,
    ConflictError,
    ForbiddenError,
    MemoryAPIClientError,
    NotFoundError,
    PayloadTooLargeError,
    PreconditionFailedError,
    TransportError,
    UnauthorizedError,
    UnavailableError,
    ValidationError,
)
from memory_api.client._sync import MemoryClient

__all__ = [
    "APIStatusError",
    "AsyncMemoryClient",
    "ConflictError",
    "ForbiddenError",
    "MemoryAPIClientError",
    "MemoryClient",
    "NotFoundError",
    "PayloadTooLargeError",
    "PreconditionFailedError",
    "TransportError",
    "UnauthorizedError",
    "UnavailableError",
    "ValidationError",
]
