"""Missing model, model mismatch: clear errors, no crash; state keeps working."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from memory_api.app import create_app
from memory_api.settings import Settings
from memory_api.testing.collections import register_collection
from memory_api.testing.database import clear_tables


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
async def test_missing_model_is_reported_not_fatal(lt_settings: Settings, tmp_path: Path) -> None:
    settings = lt_settings.model_copy(update={"embedding_model_dir": tmp_path / "no-model"})
    app = create_app(settings)
    async with (
        LifespanManager(app, startup_timeout=120),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        health = await client.get("/health")
        assert health.status_code == 503
        assert health.headers["retry-after"] == "5"  # README: 503 with Retry-After
        embedding = health.json()["services"]["embedding_model"]
        assert embedding["status"] == "unavailable"
        assert "no-model" in embedding["detail"]

        response = await client.post("/rag_query", json={"query": "hello"})
        assert response.status_code == 503
        assert "no-model" in response.json()["detail"]
        response = await client.post("/index_files", json={})
        assert response.status_code == 503

        assert (await client.post("/state/s", json={"state_data": {}})).status_code == 201


async def test_other_model_on_existing_collection_is_409(
    lt_settings: Settings, lt_app: Any, docs: Path
) -> None:
    other = f"{lt_settings.collection_name}-other"
    settings = lt_settings.model_copy(update={"collection_name": other})
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=120):
        await clear_tables(app.state.components.database.engine)
        await register_collection(
            app.state.components.database, other, model="text-embedding-3-small", dimension=1536
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            for response in (
                await client.post("/index_files", json={"directory": str(docs)}),
                await client.post("/rag_query", json={"query": "x"}),
            ):
                assert response.status_code == 409, response.text
                detail = response.json()["detail"]
                assert "text-embedding-3-small" in detail
                assert "all-MiniLM-L6-v2" in detail
