"""The lexical search's pruning (score only chunks holding a rare term, when a bound proves no
other chunk can enter) returns exactly what scoring every posting returns, on both databases."""

from __future__ import annotations

import random

from memory_api.db.engine import create_engine
from memory_api.db.session import Database
from memory_api.documents.repository import IndexedChunk
from memory_api.search.lexical.index import LexicalIndex
from memory_api.search.lexical.repository import LexicalRepository
from memory_api.search.lexical.tokenizer import query_terms
from memory_api.settings import Settings
from memory_api.testing.collections import register_collection
from memory_api.testing.database import clear_tables

WORDS = [f"word{i}" for i in range(40)]


def chunk_text(rng: random.Random) -> str:
    """Every chunk names Caroline (a common term); other words are rarer, some very rare."""
    words = ["Caroline", *rng.choices(WORDS, k=rng.randint(3, 30))]
    words += rng.choices(["zebra", "quartz", "lantern"], k=int(rng.random() < 0.3))
    return " ".join(words)


async def test_pruned_search_equals_full_scoring(settings: Settings) -> None:
    database = Database(create_engine(settings), driver_pool_size=2)
    await database.start()
    try:
        await clear_tables(database.engine)
        collection = await register_collection(database, "prune", model="m", dimension=3)
        rng = random.Random(7)
        chunks = [IndexedChunk(key, f"h{key}", chunk_text(rng)) for key in range(1, 1201)]
        index = LexicalIndex()
        async with database.unit_of_work() as session:
            await index.add(session, collection.id, chunks)
        queries = ["Caroline zebra", "Caroline word3 quartz", "caroline lantern word7 word8"]
        queries += ["Caroline", "word1 word2", "Caroline word5"]
        pruned: list[tuple[str, int]] = []
        for text in queries:
            for limit in (5, 100):
                async with database.reading() as session:
                    found = await index.search(session, collection.id, text, limit)
                    repository = LexicalRepository(session)
                    wanted = query_terms(text)
                    (n, length), df = await repository.statistics(collection.id, wanted)
                    weights = {term: index.bm25.idf(n, df[term]) for term in wanted}
                    saturation = index.bm25.saturation(n, length)
                    full = await repository.score(collection.id, weights, saturation, limit, None)
                    shortcut = await index._pruned(
                        repository, collection.id, weights, saturation, limit, None
                    )
                if shortcut is not None:
                    pruned.append((text, limit))
                assert [(m.chunk_id, m.score) for m in found] == [(k, s) for k, s, _ in full]
                assert [set(m.matched) for m in found] == [held for _, _, held in full]
        # the shortcut proved itself on these; the others fell back to scoring every posting
        assert pruned == [("Caroline zebra", 5), ("Caroline zebra", 100)]
    finally:
        await database.dispose()
