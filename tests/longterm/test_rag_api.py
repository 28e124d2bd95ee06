"""Index, query, re-index and stats through the HTTP API, on both backend pairs, real model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import numpy as np
from fastapi import FastAPI

from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.collections.repository import CollectionRepository
from memory_api.documents.identity import text_hash
from memory_api.documents.repository import DocumentRepository
from memory_api.ingestion.splitter import Splitter

CATS = (
    "# Cats\n\nDomestic cats are small carnivorous mammals. They purr when content, "
    "sleep most of the day and were kept in ancient Egypt to hunt mice in grain stores.\n"
)
BONDS = (
    "Government bonds are debt securities. When central banks raise interest rates, "
    "existing bond prices fall because new bonds pay higher coupons.\n"
)
BREAD = (
    "To bake sourdough bread, feed the starter, mix flour and water, let the dough "
    "ferment overnight, shape it and bake it in a hot dutch oven.\n"
)
CODE = (
    "def fibonacci(n: int) -> int:\n"
    '    """Return the n-th Fibonacci number iteratively."""\n'
    "    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"
)


def write_corpus(docs: Path) -> None:
    (docs / "animals").mkdir()
    (docs / "animals" / "cats.md").write_text(CATS)
    (docs / "finance.txt").write_text(BONDS)
    (docs / "bread.md").write_text(BREAD)
    (docs / "fib.py").write_text(CODE)
    (docs / "ignored.rst").write_text(CATS)


async def consistency(app: FastAPI) -> tuple[set[str], set[str]]:
    """The vector ids the chunk rows need and those Chroma holds, for the test's collection,
    having checked each row's hash against its text and each vector against the real model's
    embedding of that text: the two stores hold the same texts, not only the same ids."""
    components = app.state.components
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
    assert all(chunk.text_hash == text_hash(chunk.index_text) for chunk in rows)
    texts = {chunk.text_hash: chunk.index_text for chunk in rows}
    name = collection.vector_collection
    in_chroma = await components.vectors.ids(name)
    if texts and texts.keys() <= in_chroma:
        stored = await components.vectors.embeddings(name, list(texts))
        expected = await components.embedder.embed_documents(list(texts.values()))
        for key, vector in zip(texts, expected, strict=True):
            assert float(np.dot(stored[key], vector)) > 0.9999, texts[key]
    return set(texts), in_chroma


def expected_chunks(docs: Path, *names: str) -> int:
    """The chunks the service's splitter makes of these files (default chunking)."""
    splitter = Splitter(1000, 200)
    return sum(len(splitter.split((docs / name).read_text(), Path(name).suffix)) for name in names)


async def query(client: httpx.AsyncClient, text: str, **extra: Any) -> list[dict[str, Any]]:
    response = await client.post("/rag_query", json={"query": text, **extra})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == text
    assert body["execution_time_ms"] >= 0
    results: list[dict[str, Any]] = body["results"]
    return results


async def test_semantic_query_finds_the_right_document(
    lt_client: httpx.AsyncClient, docs: Path, index: Any
) -> None:
    write_corpus(docs)
    job = await index()
    assert job["status"] == "completed", job
    assert job["progress"] == 100
    result = job["result"]
    assert (result["indexed"], result["skipped"], result["deleted"], result["failed"]) == (
        4,
        0,
        0,
        0,
    )
    assert result["chunks_written"] >= 4

    # Different wording from the text: no shared keyword with the cats document.
    results = await query(lt_client, "Which pet makes a rumbling noise when it is happy?", top_k=3)
    assert len(results) == 3
    top = results[0]
    assert top["metadata"]["source"].endswith("animals/cats.md")
    assert top["metadata"]["chunk_index"] == 0
    assert top["metadata"]["collection"]
    assert "purr" in top["content"]
    scores = [r["similarity_score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert 0 < scores[0] <= 1.0001
    assert scores[0] - scores[1] > 0.05

    results = await query(lt_client, "what happens to fixed income when rates go up", top_k=1)
    assert results[0]["metadata"]["source"].endswith("finance.txt")


async def test_reindex_is_incremental_and_exact(
    lt_client: httpx.AsyncClient, lt_app: FastAPI, docs: Path, index: Any
) -> None:
    write_corpus(docs)
    (docs / "long.md").write_text(
        "\n\n".join(f"Paragraph {i}. " + "word " * 150 for i in range(12))
    )
    files = ("animals/cats.md", "finance.txt", "bread.md", "fib.py", "long.md")
    first = await index()
    assert first["status"] == "completed"
    assert first["result"]["chunks_written"] == expected_chunks(docs, *files) == 16
    in_db, in_chroma = await consistency(lt_app)
    assert in_db == in_chroma and len(in_db) == 16  # all texts distinct: one vector each

    again = await index()
    assert again["result"]["skipped"] == 5
    assert again["result"]["indexed"] == 0
    assert again["result"]["chunks_written"] == 0

    # Shrink one file (12 chunks -> 1), delete one (1 chunk), add one (1 chunk).
    (docs / "long.md").write_text("Paragraph zero only, about lighthouses and ships.")
    (docs / "finance.txt").unlink()
    (docs / "tea.txt").write_text("Green tea is steamed or pan-fired to stop oxidation.")
    third = await index()
    result = third["result"]
    assert (result["indexed"], result["deleted"], result["skipped"]) == (2, 1, 3)
    assert (result["chunks_written"], result["chunks_deleted"]) == (2, 13)
    assert (result["vectors_written"], result["vectors_deleted"]) == (2, 13)

    in_db, in_chroma = await consistency(lt_app)
    assert in_db == in_chroma, (in_db - in_chroma, in_chroma - in_db)
    sources = {r["metadata"]["source"] for r in await query(lt_client, "bond prices", top_k=20)}
    assert not any(s.endswith("finance.txt") for s in sources)
    contents = [r["content"] for r in await query(lt_client, "Paragraph 7", top_k=20)]
    assert not any("Paragraph 7." in c for c in contents), "a stale chunk survived"

    forced = await index(force_reindex=True)
    assert forced["result"]["indexed"] == 5
    assert forced["result"]["skipped"] == 0
    assert forced["result"]["vectors_written"] == 5  # re-embedded, every one
    in_db2, in_chroma2 = await consistency(lt_app)
    assert in_db2 == in_chroma2 == in_db


async def test_files_left_out_of_a_narrower_reindex_stay_indexed(
    lt_client: httpx.AsyncClient, lt_app: FastAPI, docs: Path, index: Any
) -> None:
    """A re-index that asks for fewer extensions indexes those; documents of the other
    extensions are not removed (they are not gone): they stay as they were, searchable."""
    write_corpus(docs)
    assert (await index())["result"]["indexed"] == 4
    narrower = await index(file_extensions=[".md"])
    assert (narrower["result"]["skipped"], narrower["result"]["deleted"]) == (2, 0)
    results = await query(lt_client, "fixed income when rates go up", top_k=1, mode="semantic")
    assert results[0]["metadata"]["source"].endswith("finance.txt")
    assert (await lt_client.get("/rag_stats")).json()["documents"] == 4
    in_db, in_chroma = await consistency(lt_app)
    assert in_db == in_chroma and len(in_db) == 4


async def test_rag_stats(lt_client: httpx.AsyncClient, docs: Path, index: Any) -> None:
    empty = (await lt_client.get("/rag_stats")).json()
    assert empty["documents"] == 0 and empty["chunks"] == 0
    assert empty["last_indexed_at"] is None
    write_corpus(docs)
    await index()
    stats = (await lt_client.get("/rag_stats")).json()
    assert stats["documents"] == 4
    assert stats["chunks"] == stats["vectors"] >= 4
    assert stats["embedding_model"] == "all-MiniLM-L6-v2-int8"  # the default for a new database
    assert stats["embedding_dimension"] == 384
    assert set(stats["by_extension"]) == {".md", ".py", ".txt"}
    assert stats["by_extension"][".md"]["documents"] == 2
    assert stats["jobs"]["completed"] >= 1
    assert set(stats["jobs"]) == {"pending", "in_progress", "completed", "failed"}
    assert stats["last_indexed_at"].endswith(("+00:00", "Z"))


def fan_out(levels: int, width: int) -> dict[str, Any]:
    if levels == 0:
        return {"chunk_index": 0}
    return {("$or", "$and")[levels % 2]: [fan_out(levels - 1, width)] * width}


async def test_query_filters_and_bounds(
    lt_client: httpx.AsyncClient, docs: Path, index: Any
) -> None:
    assert await query(lt_client, "anything at all") == []  # empty collection
    write_corpus(docs)
    await index()
    only_py = await query(lt_client, "animals", filter_metadata={"extension": ".py"}, top_k=5)
    assert only_py and all(r["metadata"]["extension"] == ".py" for r in only_py)
    for bad in (
        {"top_k": 0},
        {"top_k": 21},
        {"top_k": 2.5},
        {"top_k": "3"},
        {"top_k": True},
        {"top_k": 21.0},
        {"query": ""},
        {"filter_metadata": {"$bogus": 1}},
        {"filter_metadata": {"a": {"$gt": [1, 2]}}},
        {"filter_metadata": "x"},
        {"filter_metadata": {"extension": ".md", "chunk_index": 0}},  # one key: use $and
        {"filter": {"extension": ".md"}},  # unknown field
        {"filter_metadata": {"chunk_index": {"$in": list(range(33_000))}}},  # was a 500
        {"filter_metadata": fan_out(4, 12)},  # 20,736 conditions: was a 500
    ):
        response = await lt_client.post("/rag_query", json={"query": "cats", **bad})
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"]
    # JSON Schema counts 2.0 as an integer.
    assert len(await query(lt_client, "animals", top_k=2.0)) == 2


async def test_health_names_every_dependency(lt_client: httpx.AsyncClient) -> None:
    body = (await lt_client.get("/health")).json()
    assert body["status"] == "ok"
    assert set(body["services"]) == {"database", "vector_store", "embedding_model"}


async def test_metadata_keys_come_in_one_order(
    lt_client: httpx.AsyncClient, docs: Path, index: Any
) -> None:
    """Chroma hands metadata back with its keys in any order; results list them in one."""
    for i in range(12):
        (docs / f"note{i}.md").write_text(f"Note {i} about gardening, soil and tomatoes.")
    await index()
    results = await query(lt_client, "gardening", top_k=12)
    assert len(results) == 12
    orders = {tuple(result["metadata"]) for result in results}
    assert orders == {("source", "relative_path", "extension", "chunk_index", "collection")}
