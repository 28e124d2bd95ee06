"""The collections registry: the system of record for each collection's model and vectors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from memory_api.collections.models import Collection
from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.collections.service import CollectionNotFound, CollectionService, check_model
from memory_api.embeddings.base import Embedder
from memory_api.errors import EmbeddingModelMismatch
from memory_api.testing.collections import register_collection


class NamedEmbedder(Embedder):
    def __init__(self, name: str, dimension: int) -> None:
        self.name, self.dimension, self.error = name, dimension, None

    async def start(self) -> None: ...

    async def embed_documents(self, texts: object, on_progress: object = None) -> object:
        raise AssertionError("not used")


def record(model: str, dimension: int | None) -> CollectionRecord:
    return CollectionRecord(
        id=1,
        tenant="default",
        name="notes",
        embedding_model=model,
        embedding_dimension=dimension,
        chunk_size=None,
        chunk_overlap=None,
        vector_collection="memory-x",
        metadata={},
        created_at=datetime.now(UTC),
    )


def test_model_mismatch_names_both() -> None:
    check_model(record("model-a", 8), NamedEmbedder("model-a", 8))
    check_model(record("model-a", None), NamedEmbedder("model-a", 8))  # learnt at first use
    for recorded in (record("model-b", 8), record("model-a", 16)):
        with pytest.raises(EmbeddingModelMismatch) as caught:
            check_model(recorded, NamedEmbedder("model-a", 8))
        assert recorded.embedding_model in caught.value.detail
        assert "model-a (8 dimensions)" in caught.value.detail


async def test_default_collection_is_created_once_per_tenant(app: FastAPI) -> None:
    database = app.state.components.database
    embedder = NamedEmbedder("model-a", 8)
    settings = app.state.components.settings
    for tenant in ("default", "acme", "default", "acme"):
        async with database.unit_of_work() as session:
            service = CollectionService(CollectionRepository(session), embedder, settings, tenant)
            found = await service.resolve()
            assert (found.tenant, found.name) == (tenant, settings.collection_name)
            assert (found.embedding_model, found.embedding_dimension) == ("model-a", 8)
    async with database.reading() as session:
        rows = await session.scalar(select(func.count()).select_from(Collection))
        vectors = await session.scalars(select(Collection.vector_collection))
        assert rows == 2
        assert len(set(vectors)) == 2  # each its own vector collection


async def test_unknown_names_are_not_found_and_readers_create_nothing(app: FastAPI) -> None:
    database = app.state.components.database
    embedder = NamedEmbedder("model-a", 8)
    settings = app.state.components.settings
    await register_collection(database, "theirs", model="model-a", dimension=8, tenant="acme")
    async with database.reading() as session:
        service = CollectionService(CollectionRepository(session), embedder, settings, "default")
        assert await service.find() is None  # the default one, never written to
        with pytest.raises(CollectionNotFound):
            await service.find("theirs")  # another tenant's is as missing as an unknown one
        with pytest.raises(CollectionNotFound):
            await service.find("nope")
        assert await session.scalar(select(func.count()).select_from(Collection)) == 1
