"""Statistics of a collection's documents, chunks, vectors and jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from memory_api.auth.principal import PrincipalDep
from memory_api.collections.repository import CollectionRepository
from memory_api.collections.service import CollectionNotFound
from memory_api.components import Components, ComponentsDep
from memory_api.documents.repository import DocumentRepository
from memory_api.documents.schemas import ExtensionStats, RAGStatsResponse
from memory_api.errors import Unavailable
from memory_api.jobs.repository import JobRepository


class StatsService:
    def __init__(self, components: Components, tenant: str) -> None:
        self.components = components
        self.tenant = tenant

    async def stats(self, collection_name: str | None = None) -> RAGStatsResponse:
        """The default collection's statistics, or ``collection_name``'s (404 if unknown)."""
        components = self.components
        embedder = components.embedder
        name = collection_name or components.settings.collection_name
        async with components.database.reading() as session:
            collection = await CollectionRepository(session).get(self.tenant, name)
            if collection is None and name != components.settings.collection_name:
                raise CollectionNotFound(f"Collection '{name}' not found")
            documents = DocumentRepository(session)
            stats = (
                await documents.stats(collection.id)
                if collection is not None
                else {"documents": 0, "chunks": 0, "by_extension": {}, "last_indexed_at": None}
            )
            jobs = await JobRepository(session).counts_by_status(self.tenant)
        vectors: int | None = 0
        if collection is not None:
            try:
                vectors = await components.vectors.count(collection.vector_collection)
            except Unavailable:
                vectors = None
        return RAGStatsResponse(
            collection=name,
            documents=stats["documents"],
            chunks=stats["chunks"],
            vectors=vectors,
            embedding_model=embedder.name,
            embedding_dimension=embedder.dimension if embedder.error is None else None,
            last_indexed_at=stats["last_indexed_at"],
            by_extension={k: ExtensionStats(**v) for k, v in stats["by_extension"].items()},
            jobs=jobs,
        )


async def get_stats_service(components: ComponentsDep, principal: PrincipalDep) -> StatsService:
    return StatsService(components, principal.tenant)


StatsServiceDep = Annotated[StatsService, Depends(get_stats_service)]
