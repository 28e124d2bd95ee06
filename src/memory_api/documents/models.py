"""Documents and chunks: the system of record for what the vector store holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from memory_api.db.base import Base


class Document(Base):
    """One indexed file of one collection (of one tenant); ``source_path`` is its absolute path."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    source_path: Mapped[str] = mapped_column(Text)
    extension: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    chunk_count: Mapped[int]
    embedding_model: Mapped[str] = mapped_column(String(200))
    indexed_at: Mapped[datetime]
    # "metadata" is reserved by SQLAlchemy's declarative API, hence the explicit name.
    doc_metadata: Mapped[dict[str, Any]] = mapped_column("metadata_json")

    __table_args__ = (
        UniqueConstraint(
            "collection_id", "source_path", name="uq_documents_collection_id_source_path"
        ),
    )


class Chunk(Base):
    """A piece of a document; ``id`` is also the vector's id in the vector store."""

    __tablename__ = "chunks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_chunks_document_id_position", "document_id", "position", unique=True),
    )
