"""Session state tables: the current state of each session and its last versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from memory_api.db.base import Base
from memory_api.db.columns import DEFAULT_TENANT_SQL, TENANT_MAX_LENGTH

SESSION_ID_MAX_LENGTH = 256


class SessionState(Base):
    """One row per session of a tenant; ``version`` grows by one on every write."""

    __tablename__ = "session_states"

    tenant: Mapped[str] = mapped_column(
        String(TENANT_MAX_LENGTH), primary_key=True, server_default=DEFAULT_TENANT_SQL
    )
    session_id: Mapped[str] = mapped_column(String(SESSION_ID_MAX_LENGTH), primary_key=True)
    # JSON, not JSONB: the exact document the client sent (JSONB cannot hold "\u0000").
    state_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    #: None: kept until deleted. A session past it reads as absent; the sweeper deletes it.
    expires_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_session_states_tenant_updated_at", "tenant", "updated_at", "session_id"),
        Index("ix_session_states_expires_at", "expires_at"),
    )


class SessionStateVersion(Base):
    """The last ``state_history`` versions of each session (the current one included); they go
    with their session (ON DELETE CASCADE: a DELETE or the sweeper removes them too)."""

    __tablename__ = "session_state_history"

    tenant: Mapped[str] = mapped_column(String(TENANT_MAX_LENGTH), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(SESSION_ID_MAX_LENGTH), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    state_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    size_bytes: Mapped[int]
    #: when this version was written (its session's ``updated_at`` then)
    created_at: Mapped[datetime]

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant", "session_id"],
            ["session_states.tenant", "session_states.session_id"],
            ondelete="CASCADE",
        ),
    )
