"""HTTP routes of the long-term memory: semantic query and statistics."""

from __future__ import annotations

from fastapi import APIRouter

from memory_api.documents.schemas import RAGQueryRequest, RAGQueryResponse, RAGStatsResponse
from memory_api.documents.service import QueryServiceDep, StatsServiceDep
from memory_api.http.routing import JSONRoute
from memory_api.http.schemas import error_responses

router = APIRouter(tags=["long-term memory"], route_class=JSONRoute)

QUERY_ERRORS = error_responses(
    409,
    413,
    422,
    503,
    d409="The collection was built with another embedding model",
    d422="Invalid request or metadata filter",
    d503="Vector store or embedding model unavailable",
)


@router.post("/rag_query", summary="Semantic search over indexed documents", responses=QUERY_ERRORS)
async def rag_query(body: RAGQueryRequest, service: QueryServiceDep) -> RAGQueryResponse:
    return await service.query(body)


@router.get(
    "/rag_stats",
    summary="Documents, chunks, model and jobs of the collection",
    responses=error_responses(503),
)
async def rag_stats(service: StatsServiceDep) -> RAGStatsResponse:
    return await service.stats()
