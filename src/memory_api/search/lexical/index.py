"""The lexical index (``search.protocols.LexicalIndexAPI``): postings written in the caller's
transaction, BM25 scored in SQL over the query terms' postings and the filter.

A term held by many chunks (a speaker's name in a chat log, a year) has a low IDF and tens of
thousands of postings in a large collection: reading them all made the lexical query grow with
the collection. The query's rarest terms are read whole (within ``whole_budget`` postings);
of each other term held by more than ``postings_per_term`` chunks only that many best postings
by impact (BM25's term-frequency part, ``scoring.BM25.impact``, indexed), plus its postings in
the chunks of the terms read whole (skipping, with the same result, those that could not reach
the limit: ``LexicalRepository.score``). A chunk holding a rarer term is scored exactly; a chunk
of common terms only counts their best postings. A filtered search reads every posting.
"""

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

    def __init__(
        self, bm25: BM25 | None = None, postings_per_term: int = 0, whole_budget: int = 0
    ) -> None:
        """``postings_per_term``: a search reads at most that many postings of a common term,
        the best by impact (0: every posting); ``whole_budget``: how many postings the terms
        read whole may hold together (``_capped``)."""
        self.bm25 = bm25 or BM25()
        self.postings_per_term = postings_per_term
        self.whole_budget = whole_budget

    async def add(
        self, session: AsyncSession, collection_id: int, chunks: Sequence[IndexedChunk]
    ) -> None:
        counted: dict[str, Counter[str]] = {}  # by text hash: chunks often share a text
        lengths: dict[int, int] = {}
        for chunk in chunks:
            counts = counted.get(chunk.text_hash)
            if counts is None:
                counts = counted[chunk.text_hash] = term_counts(chunk.index_text)
            lengths[chunk.id] = sum(counts.values())
        if not lengths:
            return
        repository = LexicalRepository(session)
        total = sum(lengths.values())
        reference = await repository.add_totals(
            collection_id, len(lengths), total, total / len(lengths) or 1.0
        )
        rows: list[dict[str, object]] = []
        frequencies: Counter[str] = Counter()
        for chunk in chunks:
            counts, length = counted[chunk.text_hash], lengths[chunk.id]
            rows += [
                {
                    "term": term,
                    "chunk_id": chunk.id,
                    "tf": tf,
                    "length": length,
                    "impact": self.bm25.impact(tf, length, reference),
                }
                for term, tf in counts.items()
            ]
            frequencies.update(counts.keys())
        await repository.insert(collection_id, lengths, rows)
        await repository.add_frequencies(collection_id, frequencies)

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
        capped = self._capped(frequencies, where is None)
        ranked = await repository.score(collection_id, weights, saturation, limit, where, capped)
        if capped and len(ranked) < limit:  # too few among the best postings: read them all
            ranked = await repository.score(collection_id, weights, saturation, limit, where)
        return [
            LexicalMatch(key, score, tuple(term for term in weights if term in held))
            for key, score, held in ranked
        ]

    def _capped(self, frequencies: dict[str, int], unfiltered: bool) -> dict[str, int]:
        """The query terms read only in part, each with how many of its best postings count.

        Terms are read whole rarest first while what they hold stays within the budget
        (``whole_budget`` postings; a term of at most ``postings_per_term`` always); the more
        common ones are capped. A filtered search reads every posting (a filter could drop the
        best ones)."""
        cap = self.postings_per_term
        if not cap or not unfiltered:
            return {}
        capped: dict[str, int] = {}
        read = 0
        for term in sorted(frequencies, key=lambda t: (frequencies[t], t)):
            count = frequencies[term]
            if count <= cap or read + count <= self.whole_budget:
                read += count
            else:
                capped[term] = cap
        return capped

    async def rebuild_frequencies(self, session: AsyncSession, collection_id: int) -> None:
        """Frequencies, totals and impacts recounted from the postings (``check --repair``)."""
        k1, b = self.bm25.k1, self.bm25.b
        await LexicalRepository(session).rebuild_frequencies(collection_id, (k1 * (1 - b), k1 * b))
