"""Request and response bodies of the state endpoints (the seed's contract, plus versions)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from memory_api.http.schemas import StrictRequest

SESSION_ID_PATTERN = r"^[A-Za-z0-9._:@-]{1,256}$"
SESSION_ID_RULE = "1 to 256 characters from A-Z a-z 0-9 . _ : @ -"
MERGE_PATCH = "application/merge-patch+json"  # RFC 7396
JSON_PATCH = "application/json-patch+json"  # RFC 6902
MAX_TTL_SECONDS = 10 * 365 * 86_400  # ten years: beyond it, "forever" (omit the TTL) is meant


def _whole_float_to_int(value: Any) -> Any:
    # JSON Schema counts 60.0 as an integer (search.schemas.JSONInteger does the same; there the
    # validator comes before the bounds, which then show in OpenAPI as "ge" instead of "minimum")
    return int(value) if isinstance(value, float) and value.is_integer() else value


#: bounds first, then the validator: so the OpenAPI document shows minimum and maximum
TTL = Annotated[int, Field(ge=1, le=MAX_TTL_SECONDS), BeforeValidator(_whole_float_to_int)]
TTLSeconds = Field(
    None,
    description="Seconds until the session expires (then it reads as absent and is swept). "
    "Omitted: the server's default (MEMORY_API_STATE_DEFAULT_TTL_SECONDS; unset = forever).",
)


class StateStoreRequest(StrictRequest):
    state_data: dict[str, Any] = Field(
        description="The session's state: any JSON object (for example a LangGraph graph state)."
    )
    ttl_seconds: TTL | None = TTLSeconds


class StateStoreResponse(BaseModel):
    """The seed's answer to a store; the new version is in the ``ETag`` header."""

    status: Literal["ok"] = "ok"
    session_id: str


class StateRetrieveResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: str
    state_data: dict[str, Any]
    created_at: datetime = Field(description="When the session was first written (UTC).")
    updated_at: datetime = Field(description="When the session was last written (UTC).")


class StateResponse(StateRetrieveResponse):
    """A session's state with its version (GET /state/{id}, PATCH)."""

    version: int = Field(
        description="1 on creation, +1 on every change (again 1 when a deleted or expired "
        'session is written anew); the ETag is "<version>-<incarnation>", the incarnation '
        "naming this life of the session."
    )
    expires_at: datetime | None = Field(
        None, description="When the session expires (UTC); null: kept until deleted."
    )


class StateVersionInfo(BaseModel):
    """One kept version of a session (GET /state/{id}/history)."""

    version: int
    updated_at: datetime = Field(description="When this version was written (UTC).")
    size_bytes: int = Field(description="Size of the version's state_data as JSON (bytes).")


class StateSummary(BaseModel):
    """An item of ``GET /sessions?include_state=false``."""

    session_id: str
    created_at: datetime
    updated_at: datetime


class StateListItem(BaseModel):
    """An item of ``GET /sessions?envelope=true`` (``state_data`` absent with
    ``include_state=false``)."""

    session_id: str
    state_data: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime
    version: int
    expires_at: datetime | None = None


class SessionsPage(BaseModel):
    """``GET /sessions?envelope=true``: a page and the cursor of the next (null: the last)."""

    sessions: list[StateListItem]
    next_cursor: str | None = None
