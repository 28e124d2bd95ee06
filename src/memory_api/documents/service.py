"""Long-term memory use cases: semantic query and statistics."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends

from memory_api.auth.principal import PrincipalDep
from memory_api.collections.repository import CollectionRepository
from memory_api.collections.service import CollectionService
from memory_api.components import Components, ComponentsDep
from memory_api.documents.metadata import in_order
from memory_api.documents.repository import DocumentRepository
from memory_api.documents.schemas import (
    ExtensionStats,
    RAGQueryRequest,
    RAGQueryResponse,
    RAGQueryResult,
    RAGStatsResponse,
)
from memory_api.errors import Unavailable
from memory_api.indexing.repository import JobRepository


class QueryService:
    def __init__(self, components: Components, tenant: str) -> None:
        self.components = components
        self.tenant = tenant

    async def query(self, request: RAGQueryRequest) -> RAGQueryResponse:
        started = time.perf_counter()
        components = self.components
        async with components.database.reading() as session:
            collection = await CollectionService(
                CollectionRepository(session), components.embedder, components.settings, self.tenant
            ).find()
        results: list[RAGQueryResult] = []
        if collection is not None:  # None: the default collection, never written to
            embedding_started = time.perf_counter()
            vector = await components.embedder.embed_query(request.query)
            components.metrics.observe_embedding("query", time.perf_counter() - embedding_started)
            hits = await components.vectors.query(
                collection.vector_collection,
                vector,
                request.top_k,
                request.filter_metadata or None,
            )
            results = [
                RAGQueryResult(
                    content=hit.document,
                    metadata=in_order(hit.metadata),
                    similarity_score=1.0 - hit.distance,
                )
                for hit in hits
            ]
        elapsed = (time.perf_counter() - started) * 1000
        return RAGQueryResponse(query=request.query, results=results, execution_time_ms=elapsed)


class StatsService:
    def __init__(self, components: Components, tenant: str) -> None:
        self.components = components
        self.tenant = tenant

    async def stats(self) -> RAGStatsResponse:
        components = self.components
        embedder = components.embedder
        name = components.settings.collection_name
        async with components.database.reading() as session:
            collection = await CollectionRepository(session).get(self.tenant, name)
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


async def get_query_service(components: ComponentsDep, principal: PrincipalDep) -> QueryService:
    return QueryService(components, principal.tenant)


async def get_stats_service(components: ComponentsDep, principal: PrincipalDep) -> StatsService:
    return StatsService(components, principal.tenant)


QueryServiceDep = Annotated[QueryService, Depends(get_query_service)]
StatsServiceDep = Annotated[StatsService, Depends(get_stats_service)]
