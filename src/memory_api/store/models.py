"""The store's table: one row per item, the system of record of LangGraph store items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Double, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from memory_api.db.base import Base
from memory_api.db.columns import TENANT_MAX_LENGTH

#: Namespaces are stored as their labels joined by "." with a trailing "." ("users.u1."), so
#: that "under this prefix" is one ``LIKE 'users.%'`` (LangGraph forbids "." inside labels).
NAMESPACE_MAX_LENGTH = 1024
KEY_MAX_LENGTH = 1024


class StoreItem(Base):
    """An item: a JSON object under a namespace and key; ``expires_at`` from its TTL.

    Its indexed texts are the chunks of ``document_id``, a document of the tenant's store
    collection (``store.search.STORE_COLLECTION``): the service's vectors and lexical index
    hold them as they hold any document's. Deleting that document deletes the item. NULL: an
    item from before revision 0013, not searchable by ``query`` until it is put again."""

    __tablename__ = "store_items"

    tenant: Mapped[str] = mapped_column(String(TENANT_MAX_LENGTH), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(NAMESPACE_MAX_LENGTH), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    value: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ttl_minutes: Mapped[float | None] = mapped_column(Double)
    expires_at: Mapped[datetime | None]
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))

    __table_args__ = (
        Index("ix_store_items_expires_at", "expires_at"),
        Index("ix_store_items_document_id", "document_id"),
    )
