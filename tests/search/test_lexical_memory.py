"""Common terms' posting lists held in memory: a search over them is the exact BM25 of every
posting, the one SQL sums; a write by any other index (another process) is seen at the next
search; the budget bounds what is held. On both databases."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from memory_api.app import create_app
from memory_api.db.engine import create_engine
from memory_api.db.session import Database
from memory_api.documents.repository import IndexedChunk
from memory_api.search.lexical import repository
from memory_api.search.lexical.index import LexicalIndex
from memory_api.search.lexical.memory import POSTING_BYTES, PostingList, PostingMemory, best
from memory_api.search.lexical.repository import terms, totals
from memory_api.search.lexical.tokenizer import query_terms, term_counts
from memory_api.search.protocols import LexicalMatch
from memory_api.settings import Settings
from memory_api.testing.collections import register_collection
from memory_api.testing.database import clear_tables

WORDS = [f"q{chr(97 + i // 6)}{chr(97 + i % 6)}x" for i in range(40)]  # qaax, ...: one term each
MIN_DF = 100  # caroline (every chunk) and each of WORDS (about 200 chunks) are held; not zebra
QUERIES = ["Caroline zebra", "caroline", "Caroline qadx quartz", "qbbx qbcx lantern", "zebra"]


def chunk_text(rng: random.Random) -> str:
    """Every chunk names Caroline (a common term), some several times; other words are rarer."""
    words = ["Caroline"] * rng.randint(1, 3) + rng.choices(WORDS, k=rng.randint(3, 30))
    words += rng.choices(["zebra", "quartz", "lantern"], k=int(rng.random() < 0.3))
    return " ".join(words)


@dataclass
class Indexed:
    database: Database
    collection_id: int
    texts: dict[int, str]

    async def search(self, index: LexicalIndex, query: str, limit: int) -> list[LexicalMatch]:
        async with self.database.reading() as session:
            return list(await index.search(session, self.collection_id, query, limit))

    async def write(self, add: dict[int, str], remove: list[int]) -> None:
        """Through an index of its own, as another process would."""
        async with self.database.unit_of_work() as session:
            await LexicalIndex().remove_keys(session, self.collection_id, remove)
            await LexicalIndex().add(
                session,
                self.collection_id,
                [IndexedChunk(key, f"h{key}", text) for key, text in add.items()],
            )
        for key in remove:
            del self.texts[key]
        self.texts.update(add)


@pytest.fixture
async def indexed(settings: Settings) -> AsyncIterator[Indexed]:
    database = Database(create_engine(settings), driver_pool_size=2)
    await database.start()
    try:
        await clear_tables(database.engine)
        collection = await register_collection(database, "memory", model="m", dimension=3)
        rng = random.Random(7)
        found = Indexed(database, collection.id, {})
        await found.write({key: chunk_text(rng) for key in range(1, 601)}, [])
        yield found
    finally:
        await database.dispose()


def bm25_in_python(texts: dict[int, str], query: str) -> dict[int, tuple[float, set[str]]]:
    """Every chunk's BM25 over the query's terms, with the terms it holds."""
    bm25 = LexicalIndex().bm25
    counts = {key: term_counts(text) for key, text in texts.items()}
    n, total = len(counts), sum(sum(c.values()) for c in counts.values())
    df = Counter(term for c in counts.values() for term in c)
    scores: dict[int, tuple[float, set[str]]] = {}
    for key, c in counts.items():
        held = {term for term in query_terms(query) if term in c}
        if held:
            score = sum(bm25.score(c[t], sum(c.values()), n, total, df[t]) for t in held)
            scores[key] = (score, held)
    return scores


def assert_exact(found: list[LexicalMatch], texts: dict[int, str], query: str, limit: int) -> None:
    """The chunks, scores and matched terms of the Python count (chunks of equal score may come
    in either order: numpy and the database sum in their own order)."""
    expected = bm25_in_python(texts, query)
    best_scores = sorted((score for score, _ in expected.values()), reverse=True)[:limit]
    assert [m.score for m in found] == pytest.approx(best_scores, rel=1e-9), query
    for match in found:
        assert match.score == pytest.approx(expected[match.chunk_id][0], rel=1e-9), query
        assert set(match.matched) == expected[match.chunk_id][1], query


@pytest.mark.parametrize("limit", [1, 10, 100])
async def test_a_search_over_held_lists_is_the_exact_bm25(indexed: Indexed, limit: int) -> None:
    memory = PostingMemory(2**30, MIN_DF)
    index = LexicalIndex(memory=memory)
    for query in QUERIES:
        for _ in range(2):  # loading the lists, then reading them from memory
            found = await indexed.search(index, query, limit)
            assert_exact(found, indexed.texts, query, limit)
            summed = await indexed.search(LexicalIndex(), query, limit)  # in SQL
            assert_exact(summed, indexed.texts, query, limit)
            assert {m.chunk_id for m in found} == {m.chunk_id for m in summed}
    held = {term for (_, term) in memory._lists}
    assert held == {"carolin", "qadx", "qbbx", "qbcx"}  # the rarer terms were read each time


async def test_a_write_elsewhere_is_seen_at_the_next_search(indexed: Indexed) -> None:
    """Lists loaded here; then another index adds chunks holding the common terms, removes
    others, removes and adds one chunk back: each time the next search here brings the lists
    up to date from what was added and removed since (they are not read again) and is exact.
    ``check --repair`` recounts: every version moves on and the lists are read again."""
    memory = PostingMemory(2**30, MIN_DF)
    index = LexicalIndex(memory=memory)
    query = "Caroline qadx"
    await indexed.search(index, query, 20)
    assert (memory.loads, memory.patches) == (2, 0)
    # the new chunks rank first (qadx three times): a stale list of qadx would miss them
    await indexed.write({key: "Caroline qadx qadx qadx" for key in range(601, 611)}, [])
    found = await indexed.search(index, query, 20)
    assert_exact(found, indexed.texts, query, 20)
    assert {m.chunk_id for m in found[:10]} == set(range(601, 611))
    assert (memory.loads, memory.patches) == (2, 2)
    # the best go (a stale list would return them), then one comes back, changed
    await indexed.write({}, [m.chunk_id for m in found])
    await indexed.write({found[0].chunk_id: "Caroline qadx qadx qadx qadx"}, [])
    found = await indexed.search(index, query, 20)
    assert_exact(found, indexed.texts, query, 20)
    assert found[0].chunk_id == 601 and (memory.loads, memory.patches) == (2, 4)
    async with indexed.database.reading() as session:
        before = dict((await session.execute(select(terms.c.term, terms.c.version))).all())
        generation = await session.scalar(select(totals.c.generation))
    async with indexed.database.unit_of_work() as session:
        await LexicalIndex().rebuild_frequencies(session, indexed.collection_id)
    async with indexed.database.reading() as session:
        after = dict((await session.execute(select(terms.c.term, terms.c.version))).all())
        assert await session.scalar(select(totals.c.generation)) == generation + 1
    assert after.keys() == before.keys()
    assert set(after.values()) == {generation + 1} and max(before.values()) <= generation
    held = memory.get(indexed.collection_id, "carolin")
    assert held is not None and held.version == before["carolin"]
    assert_exact(await indexed.search(index, query, 20), indexed.texts, query, 20)
    assert (memory.loads, memory.patches) == (4, 4)


async def test_a_list_older_than_the_removal_log_is_read_again(
    indexed: Indexed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With removals kept for 2 generations, a list held from 3 writes ago cannot be brought
    up to date (a removal it needs is forgotten): it is read again, and the search is exact."""
    monkeypatch.setattr(repository, "REMOVALS_KEPT", 2)
    memory = PostingMemory(2**30, MIN_DF)
    index = LexicalIndex(memory=memory)
    query = "Caroline qadx"
    found = await indexed.search(index, query, 20)
    for match in found[:3]:
        await indexed.write({}, [match.chunk_id])
    assert_exact(await indexed.search(index, query, 20), indexed.texts, query, 20)
    assert (memory.loads, memory.patches) == (4, 0)
    await indexed.write({}, [found[3].chunk_id])  # one generation on: within the log
    assert_exact(await indexed.search(index, query, 20), indexed.texts, query, 20)
    assert (memory.loads, memory.patches) == (4, 2)


def test_a_patched_list_drops_the_removed_and_takes_the_added() -> None:
    held = PostingList.of(1, [(2, 1, 5), (4, 2, 5), (6, 1, 7)])
    patched = held.patched(3, np.array([4, 6, 9]), np.array([(6, 3, 8), (1, 1, 2), (2, 1, 5)]))
    assert patched.version == 3
    assert patched.keys.tolist() == [1, 2, 6]
    assert patched.tf.tolist() == [1, 1, 3] and patched.length.tolist() == [2, 5, 8]
    assert held.keys.tolist() == [2, 4, 6]  # the held list itself is left as it was


async def test_the_budget_bounds_what_is_held(indexed: Indexed) -> None:
    """Room for about two lists of about 200 postings (16 bytes each): the least recently used
    go; a list larger than the whole budget is not held; every search stays exact."""
    budget = 2 * 220 * 16
    memory = PostingMemory(budget, MIN_DF)
    index = LexicalIndex(memory=memory)
    for query in ["qaax qabx", "qacx", "qadx qaex qafx", "caroline"]:
        assert_exact(await indexed.search(index, query, 10), indexed.texts, query, 10)
        assert memory.held <= budget
        assert memory.held == sum(p.nbytes for p in memory._lists.values())
    assert len(memory) == 2  # qaex and qafx: caroline's 600 postings do not fit
    assert {term for (_, term) in memory._lists} == {"qaex", "qafx"}


@pytest.mark.parametrize("spread", [1, 10**9])  # keys close (summed over their range) or not
def test_ties_at_the_cut_go_to_the_lower_key(spread: int) -> None:
    """Chunk 7 scores best (both terms); 5, 3 and 9 the same: the limit takes two of them, 3
    and 5."""
    lists = {
        "a": PostingList.of(1, [(9 * spread, 1, 10), (5 * spread, 1, 10), (3 * spread, 1, 10)]),
        "b": PostingList.of(1, np.array([(7 * spread, 1, 10)])),
    }
    lists["a"] = PostingList.of(1, [*zip(lists["a"].keys, [1] * 3, [10] * 3), (7 * spread, 1, 40)])
    found = best(lists, {"a": 1.0, "b": 1.0}, (2.2, 0.3, 0.09), 3)
    assert [key // spread for key, _, _ in found] == [7, 3, 5]
    assert found[0][2] == {"a", "b"} and found[1][2] == {"a"}
    assert found[1][1] == found[2][1] == pytest.approx(2.2 / 2.2)
    assert found[0][1] == pytest.approx(2.2 / 4.9 + 1.0)
    assert (lists["a"].keys // spread).tolist() == [3, 5, 7, 9]
    assert lists["a"].keys.dtype == np.int64


async def test_preload_holds_the_most_common_lists_that_fit(indexed: Indexed) -> None:
    """Room for caroline (600 postings) and the next most common list: those two are loaded
    (read at most 700 postings at a time), and a search then reads neither again."""
    async with indexed.database.reading() as session:
        common = await repository.LexicalRepository(session).common_terms(MIN_DF)
    assert common[0][1] == "carolin" and all(df > MIN_DF for _, _, df, _ in common)
    second = common[1]
    memory = PostingMemory((600 + second[2]) * POSTING_BYTES, MIN_DF)
    index = LexicalIndex(memory=memory)
    assert await index.preload(indexed.database, batch=700) == 2
    assert {term for (_, term) in memory._lists} == {"carolin", second[1]}
    query = f"Caroline {second[1]}"
    assert_exact(await indexed.search(index, query, 10), indexed.texts, query, 10)
    assert (memory.loads, memory.patches) == (2, 0)
    assert await LexicalIndex().preload(indexed.database) == 0  # no memory: nothing


async def test_a_server_loads_the_lists_at_start(indexed: Indexed, settings: Settings) -> None:
    """The app's start-up loads them in the background (the task ends on its own)."""
    application = create_app(settings.model_copy(update={"lexical_memory_min_df": MIN_DF}))
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        lexical = application.state.components.lexical
        assert isinstance(lexical, LexicalIndex) and lexical.memory is not None
        for _ in range(200):
            if lexical.memory.loads:
                break
            await asyncio.sleep(0.05)
        assert lexical.memory.loads == len(lexical.memory) == 1 + len(WORDS)  # not zebra...
