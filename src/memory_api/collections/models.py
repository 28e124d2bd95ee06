"""The collections registry table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from memory_api.db.base import Base
from memory_api.db.columns import TENANT_MAX_LENGTH

NAME_MAX_LENGTH = 63
LIVE = text("deleted_at IS NULL")


class Collection(Base):
    """One collection of one tenant: what built it (embedding model and dimension, chunking)
    and where its vectors are (``vector_collection``, a collection of the vector store).

    ``deleted_at`` hides a collection at once; its rows are removed by a background job, and
    its name may be used again meanwhile (the name is unique among live collections only).
    ``embedding_dimension`` and the chunking are NULL for collections from before the registry:
    the dimension is recorded at first use, NULL chunking means the service's settings."""

    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_MAX_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    embedding_model: Mapped[str] = mapped_column(String(200))
    embedding_dimension: Mapped[int | None]
    chunk_size: Mapped[int | None]
    chunk_overlap: Mapped[int | None]
    vector_collection: Mapped[str] = mapped_column(String(128), unique=True)
    collection_metadata: Mapped[dict[str, Any]] = mapped_column("metadata_json")
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "uq_collections_tenant_name_live",
            "tenant",
            "name",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
    )
