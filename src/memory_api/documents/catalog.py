"""SQL of the document catalogue: listing and reading documents, counting them per collection,
and removing a deleted collection's rows. (Writes of chunks and vectors: repository.py.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.documents.repository import HASH_BATCH, chunks_table, documents_table

_documents = documents_table


@dataclass(frozen=True)
class DocumentRow:
    """A document as the catalogue shows it; ``text`` only when asked for."""

    doc_id: str
    source_kind: str
    source_path: str | None
    extension: str
    content_hash: str
    size_bytes: int
    chunk_count: int
    metadata: dict[str, Any]
    created_at: datetime
    indexed_at: datetime
    text: str | None = None


_COLUMNS = (
    _documents.c.doc_id,
    _documents.c.source_kind,
    _documents.c.source_path,
    _documents.c.extension,
    _documents.c.content_hash,
    _documents.c.size_bytes,
    _documents.c.chunk_count,
    _documents.c.metadata_json,
    _documents.c.created_at,
    _documents.c.indexed_at,
)


class DocumentCatalog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, collection_id: int, prefix: str, after: str | None, limit: int
    ) -> list[DocumentRow]:
        """Up to ``limit`` documents in ``doc_id`` order (a byte order on both databases, so
        a cursor is stable), starting after ``after``, whose ``doc_id`` starts with ``prefix``."""
        key: Any = _documents.c.doc_id
        if self.session.get_bind().dialect.name == "postgresql":
            key = key.collate("C")  # the database's collation may not be byte order
        query = select(*_COLUMNS).where(_documents.c.collection_id == collection_id)
        if prefix:
            query = query.where(_documents.c.doc_id.startswith(prefix, autoescape=True))
        if after is not None:
            query = query.where(key > after)
        rows = await self.session.execute(query.order_by(key).limit(limit))
        return [DocumentRow(*row) for row in rows]

    async def get(self, collection_id: int, doc_id: str) -> DocumentRow | None:
        row = (
            await self.session.execute(
                select(*_COLUMNS, _documents.c.text).where(
                    _documents.c.collection_id == collection_id, _documents.c.doc_id == doc_id
                )
            )
        ).first()
        return None if row is None else DocumentRow(*row)

    async def chunks(self, collection_id: int, doc_id: str) -> list[tuple[int, str]]:
        """``(position, text)`` of the document's chunks, in order."""
        rows = await self.session.execute(
            select(chunks_table.c.position, chunks_table.c.text)
            .join(_documents, _documents.c.id == chunks_table.c.document_id)
            .where(_documents.c.collection_id == collection_id, _documents.c.doc_id == doc_id)
            .order_by(chunks_table.c.position)
        )
        return [(position, text) for position, text in rows]

    async def fingerprints(
        self, collection_id: int, doc_ids: Sequence[str]
    ) -> dict[str, tuple[str, dict[str, Any], int]]:
        """``(content hash, metadata, chunk count)`` of those of ``doc_ids`` that exist: what
        tells an unchanged document from a changed one."""
        found: dict[str, tuple[str, dict[str, Any], int]] = {}
        unique = sorted(set(doc_ids))
        for start in range(0, len(unique), HASH_BATCH):
            rows = await self.session.execute(
                select(
                    _documents.c.doc_id,
                    _documents.c.content_hash,
                    _documents.c.metadata_json,
                    _documents.c.chunk_count,
                ).where(
                    _documents.c.collection_id == collection_id,
                    _documents.c.doc_id.in_(unique[start : start + HASH_BATCH]),
                )
            )
            found.update({row[0]: (row[1], row[2], row[3]) for row in rows})
        return found

    async def counts(self, collection_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """``(documents, chunks)`` of each collection."""
        if not collection_ids:
            return {}
        rows = await self.session.execute(
            select(
                _documents.c.collection_id,
                func.count(),
                func.coalesce(func.sum(_documents.c.chunk_count), 0),
            )
            .where(_documents.c.collection_id.in_(list(collection_ids)))
            .group_by(_documents.c.collection_id)
        )
        found = {key: (int(docs), int(chunks)) for key, docs, chunks in rows}
        return {key: found.get(key, (0, 0)) for key in collection_ids}

    async def purge(self, collection_id: int) -> int:
        """Delete every document of a (deleted) collection; chunks go with them (ON DELETE
        CASCADE), not their lexical entries (``LexicalRepository.purge``). The number of
        documents removed."""
        result = await self.session.execute(
            delete(_documents)
            .where(_documents.c.collection_id == collection_id)
            .returning(_documents.c.id)
        )
        return len(result.all())
