"""The lexical index (``search.protocols.LexicalIndexAPI``): postings written in the caller's
transaction, BM25 scored in SQL over the query terms' postings and the filter."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.documents.repository import IndexedChunk
from memory_api.search.lexical.repository import LexicalRepository
from memory_api.search.lexical.scoring import BM25
from memory_api.search.lexical.tokenizer import query_terms, term_counts
from memory_api.search.protocols import LexicalMatch

COMMON = 0.1  # a term in more than about this share of the chunks is "common" to the pruning
RARE_IDF = math.log(1 + (1 - COMMON) / COMMON)


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
        saturation = self.bm25.saturation(chunks, total_length)
        ranked = await self._pruned(repository, collection_id, weights, saturation, limit, where)
        if ranked is None:
            ranked = await repository.score(collection_id, weights, saturation, limit, where)
        return [
            LexicalMatch(key, score, tuple(term for term in weights if term in held))
            for key, score, held in ranked
        ]

    async def _pruned(
        self,
        repository: LexicalRepository,
        collection_id: int,
        weights: dict[str, float],
        saturation: tuple[float, float, float],
        limit: int,
        where: ColumnElement[bool] | None,
    ) -> list[tuple[int, float, set[str]]] | None:
        """The exact top ``limit`` without reading every posting of the common terms (a
        speaker's name is in most chunks of a chat log), when that can be proved: score only
        the chunks that hold a rare term; a chunk with common terms alone scores below
        ``sum(idf * (k1 + 1))`` over them, so if the ``limit``-th candidate scores at least
        that, no other chunk can enter. None when it cannot be proved (then score them all)."""
        rare = [term for term, idf in weights.items() if idf > RARE_IDF]
        common = [term for term in weights if term not in rare]
        if not rare or not common:
            return None
        ranked = await repository.score(
            collection_id, weights, saturation, limit, where, among=rare
        )
        bound = sum(weights[term] for term in common) * (self.bm25.k1 + 1)
        if len(ranked) == limit and ranked[-1][1] > bound:
            return ranked
        return None
