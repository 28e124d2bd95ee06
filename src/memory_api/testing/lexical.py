"""Test helpers: a collection's lexical tables as stored, and as a recount of its chunk rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.collections.repository import CollectionRepository
from memory_api.components import Components
from memory_api.documents.repository import DocumentRepository, IndexedChunk
from memory_api.search.lexical.repository import entries, postings, terms, totals
from memory_api.search.lexical.tokenizer import term_counts


@dataclass(frozen=True)
class LexicalTables:
    postings: frozenset[tuple[int, str, int, int]]  # chunk key, term, tf, length
    lengths: dict[int, int]
    frequencies: dict[str, int]
    totals: tuple[int, int]


async def collection_chunks(components: Components) -> tuple[int, list[IndexedChunk]]:
    """The default collection's key and its chunk rows, in key order."""
    async with components.database.reading() as session:
        collection = await CollectionRepository(session).get(
            DEFAULT_TENANT, components.settings.collection_name
        )
        assert collection is not None
        rows = [
            chunk
            async for batch in DocumentRepository(session).indexed_chunks(collection.id)
            for chunk in batch
        ]
    return collection.id, rows


async def stored(components: Components, collection_id: int) -> LexicalTables:
    async with components.database.reading() as session:
        rows = await session.execute(
            select(postings.c.chunk_id, postings.c.term, postings.c.tf, postings.c.length).where(
                postings.c.collection_id == collection_id
            )
        )
        found = frozenset((key, term, tf, length) for key, term, tf, length in rows)
        pairs = await session.execute(
            select(entries.c.chunk_id, entries.c.length).where(
                entries.c.collection_id == collection_id
            )
        )
        lengths = {key: length for key, length in pairs}
        counts = await session.execute(
            select(terms.c.term, terms.c.df).where(terms.c.collection_id == collection_id)
        )
        frequencies = {term: df for term, df in counts}
        kept = (
            await session.execute(
                select(totals.c.chunks, totals.c.total_length).where(
                    totals.c.collection_id == collection_id
                )
            )
        ).first()
    return LexicalTables(found, lengths, frequencies, (kept[0], kept[1]) if kept else (0, 0))


def recount(chunks: Sequence[IndexedChunk]) -> LexicalTables:
    """What the tables must hold for these chunk rows."""
    counts = {chunk.id: term_counts(chunk.index_text) for chunk in chunks}
    lengths = {key: sum(count.values()) for key, count in counts.items()}
    return LexicalTables(
        frozenset(
            (key, term, tf, lengths[key])
            for key, count in counts.items()
            for term, tf in count.items()
        ),
        lengths,
        dict(Counter(term for count in counts.values() for term in count)),
        (len(counts), sum(lengths.values())),
    )
