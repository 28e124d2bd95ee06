"""Process-wide components, built in the app lifespan and handed to routes as dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from memory_api.db.engine import create_engine
from memory_api.db.session import Database
from memory_api.embeddings.base import Embedder
from memory_api.embeddings.factory import create_embedder
from memory_api.indexing.worker import JobWorker
from memory_api.observability.metrics import Metrics
from memory_api.settings import Settings
from memory_api.vectorstore.chroma import VectorStore


@dataclass
class Resources:
    settings: Settings
    database: Database
    embedder: Embedder
    store: VectorStore
    worker: JobWorker | None = None
    metrics: Metrics | None = None
    _ready_collections: set[str] = field(default_factory=set)

    async def ready_collection(self, name: str) -> None:
        """Check once per process that ``name`` uses our embedding model (409 otherwise)."""
        await self.embedder.ready()
        if name not in self._ready_collections:
            await self.store.ensure_collection(
                name, model=self.embedder.name, dimension=self.embedder.dimension
            )
            self._ready_collections.add(name)

    async def check_embedder(self) -> None:
        await self.embedder.ready()


@asynccontextmanager
async def open_resources(
    settings: Settings, *, start_embedder: bool = True
) -> AsyncIterator[Resources]:
    """Database, embedder and vector store, closed on exit. Starting never raises for a missing
    model or an unreachable store: both show in /health and as 503s until they recover.
    ``start_embedder=False`` leaves the model unloaded (its name is known, its dimension not):
    for work that embeds nothing, such as ``memory-api check``."""
    database = Database(create_engine(settings), driver_pool_size=settings.db_pool_size)
    embedder = create_embedder(settings)
    store = VectorStore.from_settings(settings)
    try:
        await database.start()
        if start_embedder:
            await embedder.start()
        await store.start()
        yield Resources(settings=settings, database=database, embedder=embedder, store=store)
    finally:
        await store.aclose()
        await embedder.aclose()
        await database.dispose()


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
