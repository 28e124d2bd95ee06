"""HTTP routes of the long-term memory: semantic query and statistics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from memory_api.documents.schemas import RAGQueryRequest, RAGQueryResponse, RAGStatsResponse
from memory_api.documents.service import QueryServiceDep, StatsServiceDep

router = APIRouter(tags=["long-term memory"])

QUERY_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "The collection was built with another embedding model"},
    422: {"description": "Invalid request or metadata filter"},
    503: {"description": "Vector store or embedding model unavailable"},
}


@router.post("/rag_query", summary="Semantic search over indexed documents", responses=QUERY_ERRORS)
async def rag_query(body: RAGQueryRequest, service: QueryServiceDep) -> RAGQueryResponse:
    return await service.query(body)


@router.get("/rag_stats", summary="Documents, chunks, model and jobs of the collection")
async def rag_stats(service: StatsServiceDep) -> RAGStatsResponse:
    return await service.stats()
