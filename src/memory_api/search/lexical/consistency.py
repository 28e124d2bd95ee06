"""Drift between the chunk rows and the lexical index, and its repair.

The index must hold, for each chunk of a collection, exactly the postings of its indexed text
(as the tokenizer counts them now), nothing for chunks that do not exist, and frequencies and
totals that agree with the postings. Drift appears when someone edits the tables by hand, when
rows came from before the index existed (revision 0006) or from another tokenizer version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.collections.repository import CollectionRepository
from memory_api.db.session import Database
from memory_api.documents.repository import DocumentRepository, IndexedChunk
from memory_api.search.lexical.index import LexicalIndex
from memory_api.search.lexical.repository import LexicalRepository
from memory_api.search.lexical.tokenizer import term_counts


@dataclass
class LexicalDrift:
    #: chunks whose postings are missing or differ from a recount of their text
    stale: list[IndexedChunk] = field(default_factory=list)
    #: keys the index holds entries or postings of that no chunk of the collection has
    orphans: list[int] = field(default_factory=list)
    #: terms whose document frequency is wrong (+1 if the collection's totals are)
    wrong_frequencies: int = 0

    @property
    def consistent(self) -> bool:
        return not (self.stale or self.orphans or self.wrong_frequencies)


async def _compare(session: AsyncSession, collection_id: int) -> LexicalDrift:
    drift = LexicalDrift()
    seen: set[int] = set()
    lexical = LexicalRepository(session)
    async for batch in DocumentRepository(session).indexed_chunks(collection_id):
        keys = [chunk.id for chunk in batch]
        seen.update(keys)
        stored: dict[int, dict[str, int]] = {}
        for key, term, tf in await lexical.postings_of(keys):
            stored.setdefault(key, {})[term] = tf
        lengths = await lexical.entries_of(keys)
        for chunk in batch:
            expected = term_counts(chunk.index_text)
            if lengths.get(chunk.id) != sum(expected.values()) or stored.get(chunk.id, {}) != dict(
                expected
            ):
                drift.stale.append(chunk)
    drift.orphans = sorted(await lexical.indexed_keys(collection_id) - seen)
    drift.wrong_frequencies = await lexical.wrong_frequencies(collection_id)
    return drift


async def check_lexical(
    database: Database, collection_id: int, *, repair: bool = False
) -> LexicalDrift:
    """Recount every chunk's terms and compare them with what the index holds. ``repair``
    re-indexes the stale chunks, drops the orphans and recounts frequencies and totals, in
    the transaction that compared, under the collection's write lock (no job interleaves).
    The drift returned is what was found (and so repaired)."""
    if not repair:
        async with database.reading() as session:
            return await _compare(session, collection_id)
    async with database.unit_of_work() as session:
        await CollectionRepository(session).lock_for_write(collection_id)
        drift = await _compare(session, collection_id)
        if drift.consistent:
            return drift
        index = LexicalIndex()
        stale = [chunk.id for chunk in drift.stale]
        await index.remove_keys(session, collection_id, [*stale, *drift.orphans])
        await index.add(session, collection_id, drift.stale)
        await index.rebuild_frequencies(session, collection_id)
    return drift


__all__ = ["LexicalDrift", "check_lexical"]
