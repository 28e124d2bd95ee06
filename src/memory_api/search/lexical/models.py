"""The lexical index's tables: postings, per-chunk lengths, document frequencies, totals.

Plain tables rather than SQLite FTS5 or PostgreSQL tsvector: the same statements run on both
databases and score exact BM25 (``ts_rank`` has no IDF), and each row is written in the
transaction that writes its chunk. Rows refer to chunks by key without a foreign key on
purpose: the writer deletes chunk rows first and then hands them to ``remove``, which needs
their postings to lower the frequencies; a posting whose chunk went otherwise is drift, which
``memory-api check`` reports and ``--repair`` removes. A collection's rows go with it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from memory_api.db.base import Base

TERM_MAX_LENGTH = 64  # tokenizer.MAX_TERM


class LexicalPosting(Base):
    """A term of a chunk and how often it occurs there. The chunk's length is repeated here so
    that scoring reads the postings alone (no join per posting)."""

    __tablename__ = "lexical_postings"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(TERM_MAX_LENGTH), primary_key=True)
    chunk_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tf: Mapped[int]
    length: Mapped[int]
    generation: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))  # its write's

    __table_args__ = (
        # by chunk (deletes; the terms of given chunks)
        Index("ix_lexical_postings_chunk_id", "chunk_id", "term", "tf", "length"),
        # a term's postings, or those added since a generation, with what scoring reads, from
        # the index alone
        Index(
            "ix_lexical_postings_term",
            "collection_id",
            "term",
            "generation",
            "chunk_id",
            "tf",
            "length",
        ),
    )


class LexicalChunk(Base):
    """A chunk the index holds, with its length in terms (0 for a chunk of stopwords only)."""

    __tablename__ = "lexical_chunks"

    chunk_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    length: Mapped[int]


class LexicalTerm(Base):
    """How many chunks of the collection hold the term: BM25's document frequency; and the
    generation of the collection's last write that changed the term's postings (``version``:
    what a process holding them in memory checks them by)."""

    __tablename__ = "lexical_terms"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(TERM_MAX_LENGTH), primary_key=True)
    df: Mapped[int]
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class LexicalStats(Base):
    """The collection's chunk count and total length in terms (BM25's N and average length);
    its ``generation``, raised by each write (the first one sets it to the clock in
    nanoseconds: above any generation a deleted collection of the same key reached); and the
    generation above which ``lexical_removals`` is complete (``removals_from``)."""

    __tablename__ = "lexical_stats"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    chunks: Mapped[int]
    total_length: Mapped[int]
    generation: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    removals_from: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class LexicalRemoval(Base):
    """A chunk a write removed from the index, by that write's generation: what a process
    holding a term's postings in memory drops from them. Kept for the last
    ``repository.REMOVALS_KEPT`` generations."""

    __tablename__ = "lexical_removals"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    generation: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chunk_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
