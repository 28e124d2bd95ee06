"""The lexical index (``search.protocols.LexicalIndexAPI``): postings written in the caller's
transaction, BM25 scored over the query terms' postings and the filter.

A term held by many chunks (a speaker's name in a chat log, a year) has a low IDF and tens of
thousands of postings in a large collection: reading and summing them all in SQL made the
lexical query grow with the collection. With a ``PostingMemory``, an unfiltered search that
holds such a term reads only the rarer terms' postings from the database and takes the
common ones' lists from memory (``memory.py``: kept up to date with the writes), then sums every
posting in numpy: the same exact BM25 as the SQL sum, which a filtered search and an index
without memory still run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.db.session import Database
from memory_api.documents.repository import IndexedChunk
from memory_api.search.lexical.memory import POSTING_BYTES, PostingList, PostingMemory, best
from memory_api.search.lexical.repository import LexicalRepository
from memory_api.search.lexical.scoring import BM25
from memory_api.search.lexical.tokenizer import query_terms, term_counts
from memory_api.search.protocols import LexicalMatch

PRELOAD_BATCH = 200_000  # postings read per statement when lists are loaded at start


class LexicalIndex:
    """Stateless: every figure lives in the database, so any process may write or search."""

    def __init__(self, bm25: BM25 | None = None, memory: PostingMemory | None = None) -> None:
        self.bm25 = bm25 or BM25()
        self.memory = memory

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
        generation = await repository.add_totals(collection_id, len(lengths), total)
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
                    "generation": generation,
                }
                for term, tf in counts.items()
            ]
            frequencies.update(counts.keys())
        await repository.insert(collection_id, lengths, rows)
        await repository.add_frequencies(collection_id, frequencies, generation)

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
        posted = await repository.postings_of(keys)
        frequencies = Counter(term for _, term, _ in posted)
        keys_posted = {key for key, _, _ in posted}
        if not lengths and not frequencies:
            return
        await repository.delete(keys)
        generation = await repository.add_totals(
            collection_id, -len(lengths), -sum(lengths.values())
        )
        await repository.lower_frequencies(collection_id, frequencies, generation)
        await repository.log_removals(collection_id, [*lengths, *keys_posted], generation)

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
        (chunks, total_length, removals_from), found = await repository.statistics(
            collection_id, wanted
        )
        if not found:
            return []
        weights = {term: self.bm25.idf(chunks, found[term][0]) for term in wanted if term in found}
        saturation = self.bm25.saturation(chunks, total_length)
        memory = self.memory
        if (
            memory is None
            or where is not None
            or all(df <= memory.min_df for df, _ in found.values())
        ):
            ranked = await repository.score(collection_id, weights, saturation, limit, where)
        else:
            lists = await self._lists(repository, memory, collection_id, found, removals_from)
            ranked = best(lists, weights, saturation, limit)
        return [
            LexicalMatch(key, score, tuple(term for term in weights if term in held))
            for key, score, held in ranked
        ]

    @staticmethod
    async def _lists(
        repository: LexicalRepository,
        memory: PostingMemory,
        collection_id: int,
        found: dict[str, tuple[int, int]],
        removals_from: int,
    ) -> dict[str, PostingList]:
        """Every query term's list: a common term's from memory, at its version or brought up
        to it (when the removal log covers the list's version); the others read in one
        statement, the common ones among them then held."""
        lists: dict[str, PostingList] = {}
        stale: dict[str, PostingList] = {}
        for term, (df, version) in found.items():
            held = memory.get(collection_id, term) if df > memory.min_df else None
            if held is not None and held.version == version:
                lists[term] = held
            elif held is not None and held.version >= removals_from:
                stale[term] = held
        if stale:
            since = min(held.version for held in stale.values())
            added = await repository.postings_by_term(collection_id, list(stale), since)
            removed = await repository.removed_since(collection_id, since)
            for term, held in stale.items():
                df, version = found[term]
                patched = held.patched(version, removed, added[term])
                if len(patched.keys) == df:  # else read it again
                    lists[term] = patched
                    memory.put(collection_id, term, patched)
                    memory.patches += 1
        read = await repository.postings_by_term(
            collection_id, [t for t in found if t not in lists]
        )
        for term, rows in read.items():
            df, version = found[term]
            lists[term] = PostingList.of(version, rows)
            if df > memory.min_df:
                memory.put(collection_id, term, lists[term])
                memory.loads += 1
        return lists

    async def preload(self, database: Database, batch: int = PRELOAD_BATCH) -> int:
        """Hold the lists of every collection's common terms, the most common first, while
        they fit in the memory's budget, read about ``batch`` postings at a time (a server
        calls this in the background at start, so that the first searches find them); how
        many lists were loaded."""
        memory = self.memory
        if memory is None:
            return 0
        async with database.reading() as session:
            common = await LexicalRepository(session).common_terms(memory.min_df)
        planned, loaded = 0, 0
        chosen: dict[int, list[tuple[str, int, int]]] = {}  # collection -> (term, df, version)
        for collection_id, term, df, version in common:
            if planned + df * POSTING_BYTES <= memory.budget:
                planned += df * POSTING_BYTES
                chosen.setdefault(collection_id, []).append((term, df, version))
        for collection_id, wanted in chosen.items():
            for part in _parts(wanted, batch):
                versions = {term: version for term, _, version in part}
                async with database.reading() as session:
                    read = await LexicalRepository(session).postings_by_term(
                        collection_id, list(versions)
                    )
                for term, rows in read.items():
                    memory.put(collection_id, term, PostingList.of(versions[term], rows))
                    loaded += 1
        memory.loads += loaded
        return loaded

    async def rebuild_frequencies(self, session: AsyncSession, collection_id: int) -> None:
        """Frequencies and totals recounted from the postings (``check --repair``)."""
        await LexicalRepository(session).rebuild_frequencies(collection_id)


def _parts(wanted: list[tuple[str, int, int]], size: int) -> list[list[tuple[str, int, int]]]:
    """Consecutive runs of ``(term, df, version)`` holding at most ``size`` postings each (a
    larger term alone)."""
    parts: list[list[tuple[str, int, int]]] = []
    held = 0
    for item in wanted:
        if not parts or held + item[1] > size:
            parts.append([])
            held = 0
        parts[-1].append(item)
        held += item[1]
    return parts
