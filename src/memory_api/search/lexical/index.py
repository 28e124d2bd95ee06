"""The lexical index (``search.protocols.LexicalIndexAPI``): postings written in the caller's
transaction, BM25 scored in SQL over the query terms' postings and the filter."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.documents.repository import IndexedChunk
from memory_api.search.lexical.repository import LexicalRepository
from memory_api.search.lexical.scoring import BM25
from memory_api.search.lexical.tokenizer import query_terms, term_counts
from memory_api.search.protocols import LexicalMatch


class LexicalIndex:
    """Stateless: every figure lives in the database, so any process may write or search."""

    def __init__(self, bm25: BM25 | None = None) -> None:
        self.bm25 = bm25 or BM25()

    async def add(
        self, session: AsyncSession, collection_id: int, chunks: Sequence[IndexedChunk]
    ) -> None:
        counted: dict[str, Counter[str]] = {}  # by text hash: chunks often share a text
        lengths: dict[int, int] = {}
        rows: list[dict[str, object]] = []
        frequencies: Counter[str] = Counter()
        for chunk in chunks:
            counts = counted.get(chunk.text_hash)
            if counts is None:
                counts = counted[chunk.text_hash] = term_counts(chunk.index_text)
            length = lengths[chunk.id] = sum(counts.values())
            rows += [
                {"term": term, "chunk_id": chunk.id, "tf": tf, "length": length}
                for term, tf in counts.items()
            ]
            frequencies.update(counts.keys())
        repository = LexicalRepository(session)
        await repository.insert(collection_id, lengths, rows)
        await repository.add_frequencies(collection_id, frequencies)
        await repository.add_totals(collection_id, len(lengths), sum(lengths.values()))

    async def remove(
        self, session: AsyncSession, collection_id: int, chunks: Sequence[IndexedChunk]
    ) -> None:
        """Remove what the index holds of these chunks, as stored (not as re-tokenised now)."""
        await self.remove_keys(session, collection_id, [chunk.id for chunk in chunks])

    async def remove_keys(
        self, session: AsyncSession, collection_id: int, keys: Sequence[int]
    ) -> None:
        repository = LexicalRepository(session)
        lengths = await repository.entries_of(keys)
        frequencies = Counter(term for _, term, _ in await repository.postings_of(keys))
        await repository.delete(keys)
        await repository.lower_frequencies(collection_id, frequencies)
        if lengths:
            await repository.add_totals(collection_id, -len(lengths), -sum(lengths.values()))

    async def search(
        self,
        session: AsyncSession,
        collection_id: int,
        query: str,
        limit: int,
        where: ColumnElement[bool] | None = None,
    ) -> Sequence[LexicalMatch]:
        """The ``limit`` best chunks by BM25 among those that pass ``where`` (ties by key)."""
        wanted = query_terms(query)
        if not wanted:
            return []
        repository = LexicalRepository(session)
        (chunks, total_length), frequencies = await repository.statistics(collection_id, wanted)
        if not frequencies:
            return []
        weights = {
            term: self.bm25.idf(chunks, frequencies[term]) for term in wanted if term in frequencies
        }
        ranked = await repository.score(
            collection_id, weights, self.bm25.saturation(chunks, total_length), limit, where
        )
        return [
            LexicalMatch(key, score, tuple(term for term in weights if term in held))
            for key, score, held in ranked
        ]
