"""All SQL touching documents and chunks. Bulk statements: one query per batch, not per file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.documents.models import Chunk, Document

_documents: Table = Document.__table__  # type: ignore[assignment]
_chunks: Table = Chunk.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class StoredDocument:
    id: int
    source_path: str
    content_hash: str
    chunk_count: int


@dataclass(frozen=True)
class NewChunk:
    id: str
    position: int
    text: str
    text_hash: str


@dataclass(frozen=True)
class NewDocument:
    source_path: str
    extension: str
    content_hash: str
    size_bytes: int
    metadata: dict[str, Any]
    chunks: list[NewChunk]


def _below(collection_id: int, directory: str) -> tuple[ColumnElement[bool], ...]:
    prefix = directory.rstrip("/") + "/"
    return (
        _documents.c.collection_id == collection_id,
        _documents.c.source_path.startswith(prefix, autoescape=True),
    )


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def under_directory(
        self, collection_id: int, directory: str
    ) -> dict[str, StoredDocument]:
        """Every document of the collection whose file lies below ``directory``, by path."""
        rows = await self.session.execute(
            select(
                _documents.c.id,
                _documents.c.source_path,
                _documents.c.content_hash,
                _documents.c.chunk_count,
            ).where(*_below(collection_id, directory))
        )
        return {row.source_path: StoredDocument(*row) for row in rows}

    async def any_under_directory(self, collection_id: int, directory: str) -> bool:
        found = await self.session.scalar(
            select(_documents.c.id).where(*_below(collection_id, directory)).limit(1)
        )
        return found is not None

    async def chunk_ids(self, document_ids: Sequence[int]) -> list[str]:
        if not document_ids:
            return []
        rows = await self.session.scalars(
            select(_chunks.c.id).where(_chunks.c.document_id.in_(document_ids))
        )
        return list(rows)

    async def replace(
        self, collection_id: int, documents: Sequence[NewDocument], model: str, now: datetime
    ) -> None:
        """Create or replace documents and all their chunks (old chunks are removed)."""
        if not documents:
            return
        insert_ = (
            pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        statement = insert_(_documents).values(
            [
                {
                    "collection_id": collection_id,
                    "source_path": doc.source_path,
                    "extension": doc.extension,
                    "content_hash": doc.content_hash,
                    "size_bytes": doc.size_bytes,
                    "chunk_count": len(doc.chunks),
                    "embedding_model": model,
                    "indexed_at": now,
                    "metadata_json": doc.metadata,
                }
                for doc in documents
            ]
        )
        excluded = statement.excluded
        upsert = statement.on_conflict_do_update(
            index_elements=[_documents.c.collection_id, _documents.c.source_path],
            set_={
                name: excluded[name]
                for name in (
                    "extension",
                    "content_hash",
                    "size_bytes",
                    "chunk_count",
                    "embedding_model",
                    "indexed_at",
                    "metadata_json",
                )
            },
        ).returning(_documents.c.id, _documents.c.source_path)
        ids = {row.source_path: row.id for row in await self.session.execute(upsert)}
        await self.session.execute(delete(_chunks).where(_chunks.c.document_id.in_(ids.values())))
        rows = [
            {
                "id": chunk.id,
                "document_id": ids[doc.source_path],
                "position": chunk.position,
                "text": chunk.text,
                "text_hash": chunk.text_hash,
            }
            for doc in documents
            for chunk in doc.chunks
        ]
        if rows:
            await self.session.execute(insert(_chunks), rows)

    async def delete(self, document_ids: Sequence[int]) -> None:
        if document_ids:
            # Chunks first: SQLite enforces ON DELETE CASCADE only with foreign_keys=ON.
            await self.session.execute(
                delete(_chunks).where(_chunks.c.document_id.in_(document_ids))
            )
            await self.session.execute(delete(_documents).where(_documents.c.id.in_(document_ids)))

    async def all_chunk_ids(self, collection_id: int) -> set[str]:
        rows = await self.session.scalars(
            select(_chunks.c.id)
            .join(_documents, _documents.c.id == _chunks.c.document_id)
            .where(_documents.c.collection_id == collection_id)
        )
        return set(rows)

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


@dataclass(frozen=True)
class StoredChunk:
    id: str
    text: str
    position: int
    source_path: str
    extension: str
    relative_path: str


async def chunks_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[StoredChunk]:
    """Chunk text and the metadata the vector store keeps beside it, to rebuild vectors."""
    if not ids:
        return []
    rows = await session.execute(
        select(
            _chunks.c.id,
            _chunks.c.text,
            _chunks.c.position,
            _documents.c.source_path,
            _documents.c.extension,
            _documents.c.metadata_json,
        )
        .join(_documents, _documents.c.id == _chunks.c.document_id)
        .where(_chunks.c.id.in_(list(ids)))
    )
    return [
        StoredChunk(
            id=row.id,
            text=row.text,
            position=row.position,
            source_path=row.source_path,
            extension=row.extension,
            relative_path=str(row.metadata_json.get("relative_path", "")),
        )
        for row in rows
    ]
