"""Long-term memory use cases: semantic query and statistics."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends

from memory_api.db.session import SessionDep
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
from memory_api.resources import Resources, ResourcesDep


class QueryService:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    async def query(self, request: RAGQueryRequest) -> RAGQueryResponse:
        started = time.perf_counter()
        collection = self.resources.settings.collection_name
        await self.resources.ready_collection(collection)
        embedding_started = time.perf_counter()
        vector = await self.resources.embedder.embed_query(request.query)
        if self.resources.metrics is not None:
            self.resources.metrics.observe_embedding(
                "query", time.perf_counter() - embedding_started
            )
        hits = await self.resources.store.query(
            collection, vector, request.top_k, request.filter_metadata or None
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
    def __init__(self, session: SessionDep, resources: Resources) -> None:
        self.documents = DocumentRepository(session)
        self.jobs = JobRepository(session)
        self.resources = resources

    async def stats(self) -> RAGStatsResponse:
        collection = self.resources.settings.collection_name
        stats = await self.documents.stats(collection)
        try:
            vectors: int | None = await self.resources.store.count(collection)
        except Unavailable:
            vectors = None
        embedder = self.resources.embedder
        return RAGStatsResponse(
            collection=collection,
            documents=stats["documents"],
            chunks=stats["chunks"],
            vectors=vectors,
            embedding_model=embedder.name,
            embedding_dimension=embedder.dimension if embedder.error is None else None,
            last_indexed_at=stats["last_indexed_at"],
            by_extension={k: ExtensionStats(**v) for k, v in stats["by_extension"].items()},
            jobs=await self.jobs.counts_by_status(),
        )


async def get_query_service(resources: ResourcesDep) -> QueryService:
    return QueryService(resources)


async def get_stats_service(session: SessionDep, resources: ResourcesDep) -> StatsService:
    return StatsService(session, resources)


QueryServiceDep = Annotated[QueryService, Depends(get_query_service)]
StatsServiceDep = Annotated[StatsService, Depends(get_stats_service)]
