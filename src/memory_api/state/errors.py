"""Errors of the state endpoints that the shared hierarchy (``memory_api.errors``) lacks."""

from __future__ import annotations

from memory_api.errors import Conflict, MemoryAPIError, NotFound


class SessionNotFound(NotFound):
    default_detail = "Session not found"


class VersionNotFound(NotFound):
    default_detail = "Version not found"


class PreconditionFailed(MemoryAPIError):
    """If-Match / If-None-Match did not hold; nothing was changed (RFC 9110 13.1)."""

    status_code = 412
    default_detail = "Precondition failed: the session is not at the version given"


class UnsupportedPatchType(MemoryAPIError):
    status_code = 415
    default_detail = (
        "PATCH takes application/merge-patch+json (RFC 7396) "
        "or application/json-patch+json (RFC 6902)"
    )


class PatchConflict(Conflict):
    """A well-formed JSON Patch whose operation does not apply to the current state."""

    default_detail = "The patch does not apply to the current state"
