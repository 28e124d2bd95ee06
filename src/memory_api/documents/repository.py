"""All SQL touching documents and chunks. Bulk statements: one query per batch, not per file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.documents.models import Chunk, Document

documents_table: Table = Document.__table__  # type: ignore[assignment]
chunks_table: Table = Chunk.__table__  # type: ignore[assignment]
_documents, _chunks = documents_table, chunks_table
#: the text a chunk's vector and lexical entry were made from
INDEXED_TEXT = func.coalesce(_chunks.c.index_text, _chunks.c.text)
HASH_BATCH = 500  # values per IN list: well below every driver's parameter limit


@dataclass(frozen=True)
class StoredDocument:
    id: int
    doc_id: str
    source_path: str | None
    content_hash: str
    chunk_count: int


@dataclass(frozen=True)
class NewChunk:
    position: int
    text: str
    index_text: str  # what is embedded and indexed (often == text)
    text_hash: str  # of index_text: the vector's id
    layout: dict[str, Any] | None = None


@dataclass(frozen=True)
class NewDocument:
    doc_id: str
    source_kind: str
    source_path: str | None
    extension: str
    content_hash: str
    size_bytes: int
    metadata: dict[str, Any]
    chunks: list[NewChunk]
    text: str | None = None  # the full text, kept as the system of record


@dataclass(frozen=True)
class IndexedChunk:
    """A chunk row as the indexes see it: its key, vector id and indexed text."""

    id: int
    text_hash: str
    index_text: str


@dataclass(frozen=True)
class ChunkView:
    """A chunk with what a search result shows of it and of its document."""

    id: int
    position: int
    text: str
    layout: dict[str, Any] | None
    document_id: int
    doc_id: str
    source_kind: str
    source_path: str | None
    extension: str
    metadata: dict[str, Any]


def _below(collection_id: int, directory: str) -> tuple[ColumnElement[bool], ...]:
    prefix = directory.rstrip("/") + "/"
    return (
        _documents.c.collection_id == collection_id,
        _documents.c.source_path.startswith(prefix, autoescape=True),
    )


def _batches(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[start : start + HASH_BATCH] for start in range(0, len(values), HASH_BATCH)]


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self) -> Any:
        dialect = self.session.get_bind().dialect.name
        return pg_insert if dialect == "postgresql" else sqlite_insert

    # --- documents ---------------------------------------------------------------------------
    async def under_directory(
        self, collection_id: int, directory: str
    ) -> dict[str, StoredDocument]:
        """Every document of the collection whose file lies below ``directory``, by path."""
        rows = await self.session.execute(
            select(*_stored_columns()).where(*_below(collection_id, directory))
        )
        return {row.source_path: StoredDocument(*row) for row in rows}

    async def any_under_directory(self, collection_id: int, directory: str) -> bool:
        found = await self.session.scalar(
            select(_documents.c.id).where(*_below(collection_id, directory)).limit(1)
        )
        return found is not None

    async def by_doc_ids(
        self, collection_id: int, doc_ids: Sequence[str]
    ) -> dict[str, StoredDocument]:
        found: dict[str, StoredDocument] = {}
        for batch in _batches(list(doc_ids)):
            rows = await self.session.execute(
                select(*_stored_columns()).where(
                    _documents.c.collection_id == collection_id, _documents.c.doc_id.in_(batch)
                )
            )
            found.update({row.doc_id: StoredDocument(*row) for row in rows})
        return found

    async def upsert_documents(
        self, collection_id: int, documents: Sequence[NewDocument], model: str, now: datetime
    ) -> dict[str, int]:
        """Create or update the document rows; their database ids by ``doc_id``."""
        if not documents:
            return {}
        statement = self._insert()(_documents).values(
            [
                {
                    "collection_id": collection_id,
                    "doc_id": doc.doc_id,
                    "source_kind": doc.source_kind,
                    "source_path": doc.source_path,
                    "extension": doc.extension,
                    "content_hash": doc.content_hash,
                    "size_bytes": doc.size_bytes,
                    "chunk_count": len(doc.chunks),
                    "embedding_model": model,
                    "text": doc.text,
                    "created_at": now,
                    "indexed_at": now,
                    "metadata_json": doc.metadata,
                }
                for doc in documents
            ]
        )
        kept = ("source_kind", "source_path", "extension", "content_hash", "size_bytes")
        updated = (*kept, "chunk_count", "embedding_model", "text", "indexed_at", "metadata_json")
        upsert = statement.on_conflict_do_update(
            index_elements=[_documents.c.collection_id, _documents.c.doc_id],
            set_={name: statement.excluded[name] for name in updated},
        ).returning(_documents.c.id, _documents.c.doc_id)
        return {row.doc_id: row.id for row in await self.session.execute(upsert)}

    async def delete_documents(self, document_ids: Sequence[int]) -> None:
        """The rows only: remove their chunks first (``remove_chunks``), for the indexes."""
        for batch in _batches(list(document_ids)):
            await self.session.execute(delete(_documents).where(_documents.c.id.in_(batch)))

    # --- chunks ------------------------------------------------------------------------------
    async def remove_chunks(self, document_ids: Sequence[int]) -> list[IndexedChunk]:
        """Delete every chunk of these documents; what was removed, for the indexes."""
        removed: list[IndexedChunk] = []
        for batch in _batches(list(document_ids)):
            rows = await self.session.execute(
                delete(_chunks)
                .where(_chunks.c.document_id.in_(batch))
                .returning(_chunks.c.id, _chunks.c.text_hash, INDEXED_TEXT)
            )
            removed += [IndexedChunk(*row) for row in rows]
        return removed

    async def insert_chunks(self, chunks: Sequence[tuple[int, NewChunk]]) -> list[IndexedChunk]:
        """Insert ``(document id, chunk)`` rows; their keys, in the same order."""
        if not chunks:
            return []
        rows = [
            {
                "document_id": document_id,
                "position": chunk.position,
                "text": chunk.text,
                "index_text": None if chunk.index_text == chunk.text else chunk.index_text,
                "text_hash": chunk.text_hash,
                "layout": chunk.layout,
            }
            for document_id, chunk in chunks
        ]
        result = await self.session.execute(
            insert(_chunks).returning(_chunks.c.id, sort_by_parameter_order=True), rows
        )
        ids = result.scalars().all()
        return [
            IndexedChunk(key, chunk.text_hash, chunk.index_text)
            for key, (_, chunk) in zip(ids, chunks, strict=True)
        ]

    async def referenced_hashes(self, collection_id: int, hashes: Sequence[str]) -> set[str]:
        """Those of ``hashes`` that some chunk of the collection has (their vectors exist)."""
        found: set[str] = set()
        for batch in _batches(sorted(set(hashes))):
            rows = await self.session.scalars(
                select(_chunks.c.text_hash)
                .distinct()
                .join(_documents, _documents.c.id == _chunks.c.document_id)
                .where(_documents.c.collection_id == collection_id, _chunks.c.text_hash.in_(batch))
            )
            found.update(rows)
        return found

    async def all_hashes(self, collection_id: int) -> set[str]:
        rows = await self.session.scalars(
            select(_chunks.c.text_hash)
            .distinct()
            .join(_documents, _documents.c.id == _chunks.c.document_id)
            .where(_documents.c.collection_id == collection_id)
        )
        return set(rows)

    async def texts_of(self, collection_id: int, hashes: Sequence[str]) -> dict[str, str]:
        """The indexed text of each hash (to rebuild its vector)."""
        texts: dict[str, str] = {}
        for batch in _batches(sorted(set(hashes))):
            rows = await self.session.execute(
                select(_chunks.c.text_hash, INDEXED_TEXT)
                .join(_documents, _documents.c.id == _chunks.c.document_id)
                .where(_documents.c.collection_id == collection_id, _chunks.c.text_hash.in_(batch))
            )
            texts.update({text_hash: text for text_hash, text in rows})
        return texts

    async def indexed_chunks(
        self, collection_id: int, batch_size: int = 2000
    ) -> AsyncIterator[list[IndexedChunk]]:
        """Every chunk of the collection, in key order, in batches (to check the indexes)."""
        after = 0
        while True:
            rows = (
                await self.session.execute(
                    select(_chunks.c.id, _chunks.c.text_hash, INDEXED_TEXT)
                    .join(_documents, _documents.c.id == _chunks.c.document_id)
                    .where(_documents.c.collection_id == collection_id, _chunks.c.id > after)
                    .order_by(_chunks.c.id)
                    .limit(batch_size)
                )
            ).all()
            if not rows:
                return
            yield [IndexedChunk(*row) for row in rows]
            after = rows[-1][0]

    async def views(self, chunk_ids: Sequence[int]) -> dict[int, ChunkView]:
        """Chunks with their documents, by key, for search results."""
        found: dict[int, ChunkView] = {}
        for batch in _batches(list(chunk_ids)):
            rows = await self.session.execute(
                select(
                    _chunks.c.id,
                    _chunks.c.position,
                    _chunks.c.text,
                    _chunks.c.layout,
                    _documents.c.id,
                    _documents.c.doc_id,
                    _documents.c.source_kind,
                    _documents.c.source_path,
                    _documents.c.extension,
                    _documents.c.metadata_json,
                )
                .join(_documents, _documents.c.id == _chunks.c.document_id)
                .where(_chunks.c.id.in_(batch))
            )
            found.update({row[0]: ChunkView(*tuple(row)) for row in rows})
        return found

    async def document_ids(self, chunk_ids: Sequence[int]) -> dict[int, int]:
        """The database id of each chunk's document, by chunk key."""
        found: dict[int, int] = {}
        for batch in _batches(list(chunk_ids)):
            rows = await self.session.execute(
                select(_chunks.c.id, _chunks.c.document_id).where(_chunks.c.id.in_(batch))
            )
            found.update({key: document for key, document in rows})
        return found

    async def chunks_with_hashes(
        self, collection_id: int, hashes: Sequence[str], where: ColumnElement[bool] | None
    ) -> list[tuple[int, str]]:
        """``(chunk key, hash)`` of the collection's chunks whose vector is one of ``hashes``
        and that pass the filter: how vector hits become chunks."""
        found: list[tuple[int, str]] = []
        for batch in _batches(list(hashes)):
            query = (
                select(_chunks.c.id, _chunks.c.text_hash)
                .join(_documents, _documents.c.id == _chunks.c.document_id)
                .where(_documents.c.collection_id == collection_id, _chunks.c.text_hash.in_(batch))
                .order_by(_chunks.c.id)
            )
            if where is not None:
                query = query.where(where)
            found += [(key, text_hash) for key, text_hash in await self.session.execute(query)]
        return found

    async def matching_hashes(
        self, collection_id: int, where: ColumnElement[bool], limit: int
    ) -> list[str]:
        """Up to ``limit`` distinct vector ids of the chunks that pass the filter."""
        rows = await self.session.scalars(
            select(_chunks.c.text_hash)
            .distinct()
            .join(_documents, _documents.c.id == _chunks.c.document_id)
            .where(_documents.c.collection_id == collection_id, where)
            .limit(limit)
        )
        return list(rows)

    async def stats(self, collection_id: int) -> dict[str, Any]:
        by_extension = await self.session.execute(
            select(
                _documents.c.extension,
                func.count(),
                func.coalesce(func.sum(_documents.c.chunk_count), 0),
            )
            .where(_documents.c.collection_id == collection_id)
            .group_by(_documents.c.extension)
            .order_by(_documents.c.extension)
        )
        last = await self.session.scalar(
            select(func.max(_documents.c.indexed_at)).where(
                _documents.c.collection_id == collection_id
            )
        )
        extensions = {
            ext: {"documents": docs, "chunks": int(chunks)} for ext, docs, chunks in by_extension
        }
        return {
            "documents": sum(item["documents"] for item in extensions.values()),
            "chunks": sum(item["chunks"] for item in extensions.values()),
            "by_extension": extensions,
            "last_indexed_at": last,
        }


def _stored_columns() -> tuple[Any, ...]:
    return (
        _documents.c.id,
        _documents.c.doc_id,
        _documents.c.source_path,
        _documents.c.content_hash,
        _documents.c.chunk_count,
    )
