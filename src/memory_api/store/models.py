"""The store's table: one row per item, the system of record of LangGraph store items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Double, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from memory_api.db.base import Base
from memory_api.db.columns import TENANT_MAX_LENGTH

#: Namespaces are stored as their labels joined by "." with a trailing "." ("users.u1."), so
#: that "under this prefix" is one ``LIKE 'users.%'`` (LangGraph forbids "." inside labels).
NAMESPACE_MAX_LENGTH = 1024
KEY_MAX_LENGTH = 1024
MODEL_MAX_LENGTH = 255


class StoreItem(Base):
    """An item: a JSON object under a namespace and key. ``vectors``: the float32 embeddings
    of its indexed texts, row after row (None when not indexed); ``expires_at`` from its TTL."""

    __tablename__ = "store_items"

    tenant: Mapped[str] = mapped_column(String(TENANT_MAX_LENGTH), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(NAMESPACE_MAX_LENGTH), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    value: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ttl_minutes: Mapped[float | None] = mapped_column(Double)
    expires_at: Mapped[datetime | None]
    vectors: Mapped[bytes | None] = mapped_column(LargeBinary)
    vector_model: Mapped[str | None] = mapped_column(String(MODEL_MAX_LENGTH))

    __table_args__ = (Index("ix_store_items_expires_at", "expires_at"),)
