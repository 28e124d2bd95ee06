"""Request and response bodies of the state endpoints (the seed's contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from memory_api.http.schemas import StrictRequest

SESSION_ID_PATTERN = r"^[A-Za-z0-9._:@-]{1,256}$"
SESSION_ID_RULE = "1 to 256 characters from A-Z a-z 0-9 . _ : @ -"


class StateStoreRequest(StrictRequest):
    state_data: dict[str, Any] = Field(
        description="The session's state: any JSON object (for example a LangGraph graph state)."
    )


class StateStoreResponse(BaseModel):
    status: Literal["ok"] = "ok"
    session_id: str


class StateRetrieveResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: str
    state_data: dict[str, Any]
    created_at: datetime = Field(description="When the session was first written (UTC).")
    updated_at: datetime = Field(description="When the session was last written (UTC).")
