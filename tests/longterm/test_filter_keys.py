"""What the README says of filter keys: a metadata key no chunk carries is legal (metadata is
open) and matches nothing; a key that is not a metadata field is a 422."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx


async def test_unknown_metadata_key_matches_nothing(
    lt_client: httpx.AsyncClient, docs: Path, index: Any
) -> None:
    (docs / "tides.md").write_text("The moon's gravity raises the ocean tides twice a day.")
    assert (await index())["status"] == "completed"

    async def ask(where: dict[str, Any]) -> httpx.Response:
        body = {"query": "ocean tides", "top_k": 5, "filter_metadata": where}
        return await lt_client.post("/rag_query", json=body)

    known = await ask({"extension": ".md"})
    assert known.status_code == 200
    assert [r["metadata"]["relative_path"] for r in known.json()["results"]] == ["tides.md"]
    positive = (
        {"author": "me"},
        {"author": {"$eq": "me"}},
        {"author": {"$in": ["me"]}},
        {"author": {"$contains": "me"}},
        {"rank": {"$gt": 0}},
        {"$or": [{"author": "me"}, {"rank": 1}]},
        {"$and": [{"extension": ".md"}, {"author": "me"}]},
    )
    for where in positive:
        unknown = await ask(where)
        assert unknown.status_code == 200, unknown.text
        assert unknown.json()["results"] == [], where
    # Chroma's rule for negations: a chunk without the key is "not equal" to anything.
    for where in (
        {"author": {"$ne": "me"}},
        {"author": {"$nin": ["me"]}},
        {"author": {"$not_contains": "me"}},
    ):
        negated = await ask(where)
        assert negated.status_code == 200, negated.text
        assert len(negated.json()["results"]) == 1, where
    refused = await ask({"$author": "me"})
    assert refused.status_code == 422
    assert "neither a metadata field nor $and / $or" in refused.text
