"""What the search and ingestion code needs of the lexical index (search.lexical)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.db.session import Database
from memory_api.documents.repository import IndexedChunk


@dataclass(frozen=True)
class LexicalMatch:
    chunk_id: int
    score: float  # BM25
    matched: tuple[str, ...]  # the query terms (as indexed) the chunk holds


class LexicalIndexAPI(Protocol):
    """Written in the caller's transaction, so a chunk is searchable exactly when its row
    exists; searched with the filter compiled to SQL over ``chunks`` and ``documents``."""

    async def add(
        self, session: AsyncSession, collection_id: int, chunks: Sequence[IndexedChunk]
    ) -> None: ...

    async def remove(
        self, session: AsyncSession, collection_id: int, chunks: Sequence[IndexedChunk]
    ) -> None: ...

    async def search(
        self,
        session: AsyncSession,
        collection_id: int,
        query: str,
        limit: int,
        where: ColumnElement[bool] | None = None,
    ) -> Sequence[LexicalMatch]: ...

    async def preload(self, database: Database) -> int:
        """Load what searches keep in memory, if anything; how many lists."""
        ...
