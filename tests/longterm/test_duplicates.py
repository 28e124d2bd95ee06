"""One vector per distinct chunk text: a repetitive file cannot make the rest unfindable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from memory_api.testing.collections import vector_collection

TOPICS = [
    "volcanoes erupt molten lava and ash",
    "glaciers carve deep valleys into mountains",
    "coral reefs shelter thousands of fish species",
    "deserts receive less than ten inches of rain",
    "rainforests hold half of the world's plant species",
    "tides follow the pull of the moon",
    "earthquakes release energy along fault lines",
    "rivers deposit silt where they meet the sea",
]


async def test_a_file_of_one_repeated_character_leaves_the_others_findable(
    lt_client: httpx.AsyncClient, lt_app: FastAPI, docs: Path, index: Any
) -> None:
    # 3 MB of one character: thousands of identical 1,000-character chunks. Before, each was a
    # vector of its own, and Chroma's index then failed to return other documents at all.
    (docs / "hostile.txt").write_text("a" * 3_000_000)
    for i, topic in enumerate(TOPICS):
        (docs / f"topic{i}.txt").write_text(f"Note {i}: {topic}.")
    job = await index()
    assert job["status"] == "completed", job
    result = job["result"]
    hostile_chunks = result["chunks_written"] - len(TOPICS)
    assert hostile_chunks > 3000
    # The hostile file's chunks are all one text (bar the last, shorter one): two vectors.
    assert result["vectors_written"] == len(TOPICS) + 2

    components = lt_app.state.components
    name = await vector_collection(components.database, components.settings.collection_name)
    assert await components.vectors.count(name) == len(TOPICS) + 2
    for i, topic in enumerate(TOPICS):
        for mode in ("semantic", "hybrid"):
            body = {"query": topic, "top_k": 3, "mode": mode}
            response = await lt_client.post("/rag_query", json=body)
            assert response.status_code == 200, response.text
            sources = [r["metadata"]["source"] for r in response.json()["results"]]
            assert sources[0].endswith(f"topic{i}.txt"), (mode, topic, sources)
            # Filtered to the topics only, every one is still reachable.
            body["filter_metadata"] = {"relative_path": {"$ne": "hostile.txt"}}
            filtered = (await lt_client.post("/rag_query", json=body)).json()["results"]
            assert filtered[0]["metadata"]["source"].endswith(f"topic{i}.txt")


async def test_shared_vectors_live_while_a_row_needs_them(
    lt_client: httpx.AsyncClient, lt_app: FastAPI, docs: Path, index: Any
) -> None:
    text = "The same paragraph, kept in two files about lighthouses."
    (docs / "one.md").write_text(text)
    (docs / "two.md").write_text(text)
    first = (await index())["result"]
    assert (first["chunks_written"], first["vectors_written"]) == (2, 1)
    results = (
        await lt_client.post("/rag_query", json={"query": "lighthouses", "mode": "semantic"})
    ).json()["results"]
    assert sorted(r["metadata"]["relative_path"] for r in results) == ["one.md", "two.md"]
    assert results[0]["similarity_score"] == results[1]["similarity_score"]

    (docs / "one.md").unlink()
    second = (await index())["result"]
    assert (second["chunks_deleted"], second["vectors_deleted"]) == (1, 0)  # two.md needs it
    components = lt_app.state.components
    name = await vector_collection(components.database, components.settings.collection_name)
    assert await components.vectors.count(name) == 1
    (docs / "two.md").unlink()
    third = (await index())["result"]
    assert (third["chunks_deleted"], third["vectors_deleted"]) == (1, 1)
    assert await components.vectors.count(name) == 0
