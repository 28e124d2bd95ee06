"""Documents and chunks: the system of record of long-term memory, whatever the source."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from memory_api.db.base import Base

DOC_ID_MAX_LENGTH = 512


class Document(Base):
    """One document of one collection. ``doc_id`` is its public id in the collection: chosen by
    the client for documents it sends, derived from the path for files indexed from a folder
    (``source_kind`` "path", whose absolute path is ``source_path``)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    doc_id: Mapped[str] = mapped_column(String(DOC_ID_MAX_LENGTH))
    source_kind: Mapped[str] = mapped_column(String(16))
    source_path: Mapped[str | None] = mapped_column(Text)
    extension: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    chunk_count: Mapped[int]
    embedding_model: Mapped[str] = mapped_column(String(200))
    #: the full text (the system of record); NULL for files indexed before it was kept
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    indexed_at: Mapped[datetime]  # the last write: when the content or metadata last changed
    # "metadata" is reserved by SQLAlchemy's declarative API, hence the explicit name.
    doc_metadata: Mapped[dict[str, Any]] = mapped_column("metadata_json")

    __table_args__ = (
        UniqueConstraint("collection_id", "doc_id", name="uq_documents_collection_id_doc_id"),
        UniqueConstraint(
            "collection_id", "source_path", name="uq_documents_collection_id_source_path"
        ),
    )


class Chunk(Base):
    """A piece of a document. ``text`` is what a search returns; ``index_text`` what was
    embedded and lexically indexed when it differs (a chat piece without its turn ids);
    ``text_hash`` (sha256 of the indexed text) is the id of its vector: chunks of a collection
    with the same indexed text share one vector. ``layout`` says which blocks of the document
    the piece covers (``{"header", "start", "blocks", "sep"}``), so that neighbouring hits of
    one document can be merged into one result; NULL for pieces without that structure."""

    __tablename__ = "chunks"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    index_text: Mapped[str | None] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    layout: Mapped[dict[str, Any] | None]

    __table_args__ = (
        Index("ix_chunks_document_id_position", "document_id", "position", unique=True),
        Index("ix_chunks_text_hash", "text_hash"),
    )
