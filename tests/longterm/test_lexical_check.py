"""`check` on the lexical index: a damaged index (postings lost, postings of no chunk, wrong
frequencies, totals) is reported exactly and `--repair` makes it the recount again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, insert, update

from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.documents.consistency import check
from memory_api.search.lexical.repository import postings, terms, totals
from memory_api.search.lexical.tokenizer import term_counts
from memory_api.testing.lexical import collection_chunks, recount, stored


async def test_check_reports_and_repair_fixes_a_damaged_lexical_index(
    lt_app: FastAPI, lt_client: httpx.AsyncClient, docs: Path, index: Any
) -> None:
    texts = ["Tulips bloom in spring.", "Compost feeds the soil.", "Ticket ERR_7731_QX: gate."]
    for i, text in enumerate(texts):
        (docs / f"n{i}.md").write_text(text)
    assert (await index())["status"] == "completed"
    components = lt_app.state.components
    name = components.settings.collection_name
    assert (await check(components, DEFAULT_TENANT, name)).consistent

    collection_id, chunks = await collection_chunks(components)
    ticket = next(chunk for chunk in chunks if "ERR_7731_QX" in chunk.index_text)
    lost = term_counts(ticket.index_text)
    async with components.database.unit_of_work() as session:
        await session.execute(delete(postings).where(postings.c.chunk_id == ticket.id))
        await session.execute(
            insert(postings).values(
                collection_id=collection_id, term="zzz", chunk_id=10**9, tf=1, length=1
            )
        )
        await session.execute(
            update(terms)
            .where(terms.c.collection_id == collection_id, terms.c.term == "tulip")
            .values(df=7)
        )
        await session.execute(
            update(totals).where(totals.c.collection_id == collection_id).values(chunks=99)
        )
    gone = await lt_client.post("/rag_query", json={"query": "ERR_7731_QX", "mode": "lexical"})
    assert gone.json()["results"] == []

    report = await check(components, DEFAULT_TENANT, name)
    assert not report.consistent
    assert [chunk.id for chunk in report.lexical.stale] == [ticket.id]
    assert report.lexical.orphans == [10**9]
    # each lost term's count is one short, "zzz" has no frequency, "tulip" says 7, the totals
    assert report.lexical.wrong_frequencies == len(lost) + 1 + 1 + 1
    assert report.as_dict()["chunks_without_postings"] == 1
    assert report.as_dict()["postings_without_chunk"] == 1

    repaired = await check(components, DEFAULT_TENANT, name, repair=True)
    assert repaired.repaired and not repaired.consistent  # as found, then fixed
    assert (await check(components, DEFAULT_TENANT, name)).consistent
    collection_id, chunks = await collection_chunks(components)
    assert await stored(components, collection_id) == recount(chunks)
    assert len(chunks) == 3
    found = await lt_client.post("/rag_query", json={"query": "ERR_7731_QX", "mode": "lexical"})
    assert [r["content"] for r in found.json()["results"]] == ["Ticket ERR_7731_QX: gate."]
