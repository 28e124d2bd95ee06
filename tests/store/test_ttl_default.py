"""The server's default TTL (``MEMORY_API_STORE_DEFAULT_TTL_MINUTES``) for puts without one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from memory_api.store import service

pytestmark = pytest.mark.model


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"store_default_ttl_minutes": 5, "store_index_fields": ["title"]}


async def test_default_ttl_and_default_index_fields(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    monkeypatch.setattr(service, "utcnow", lambda: now)
    # y's body is all about cooking: were the whole value embedded ("$"), y would come first
    values = {
        "x": {"title": "tomato soup recipe", "body": "zzz"},
        "y": {"title": "train timetable", "body": "cooking: how to cook soup, a cooking class"},
    }
    for key, value in values.items():
        body = {"namespace": ["n"], "key": key, "value": value}
        assert (await client.put("/store/items", json=body)).status_code == 204
    found = await client.post("/store/items/search", json={"query": "cooking"})
    assert [(item["key"], item["score"] is not None) for item in found.json()["items"]] == [
        ("x", True),
        ("y", True),
    ]
    now += timedelta(minutes=5, seconds=1)
    gone = await client.get("/store/items", params={"namespace": "n", "key": "x"})
    assert gone.status_code == 404
    assert "'x'" in gone.json()["detail"]
