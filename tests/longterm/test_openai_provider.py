"""The whole long-term path with the `openai` provider, against a local compatible server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from memory_api.testing.openai_server import FakeOpenAI, run_fake_openai


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    with run_fake_openai(dimension=96) as server:
        yield server


@pytest.fixture
def lt_overrides(fake_openai: FakeOpenAI) -> dict[str, Any]:
    return {
        "embedding_provider": "openai",
        "embedding_model": "compat-embedder",
        "openai_base_url": fake_openai.base_url,
        "openai_api_key": "sk-local",
    }


async def test_index_and_query_through_openai_provider(
    lt_client: httpx.AsyncClient, docs: Path, index: Any, fake_openai: FakeOpenAI
) -> None:
    text = "Exactly this sentence is the only chunk of the file."
    (docs / "one.txt").write_text(text)
    (docs / "two.txt").write_text("Something else entirely.")
    fake_openai.requests.clear()
    job = await index()
    assert job["status"] == "completed", job
    assert job["result"]["indexed"] == 2
    # One embeddings request for both files: batching works across files.
    assert [r["inputs"] for r in fake_openai.requests if r["inputs"] > 1] == [2]

    for mode in ("semantic", "hybrid"):
        body = {"query": text, "top_k": 2, "mode": mode}
        top = (await lt_client.post("/rag_query", json=body)).json()["results"][0]
        assert top["content"] == text
        # The same text gets the same vector from the server: cosine 1 (semantic mode's score).
        assert top["scores"]["semantic"] == pytest.approx(1.0, abs=1e-4)
        if mode == "semantic":
            assert top["similarity_score"] == pytest.approx(1.0, abs=1e-4)
    stats = (await lt_client.get("/rag_stats")).json()
    assert (stats["embedding_model"], stats["embedding_dimension"]) == ("compat-embedder", 96)
