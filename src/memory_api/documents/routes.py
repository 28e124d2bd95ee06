"""HTTP routes of the long-term memory's documents: statistics."""

from __future__ import annotations

from fastapi import APIRouter

from memory_api.documents.schemas import RAGStatsResponse
from memory_api.documents.service import StatsServiceDep
from memory_api.http.routing import JSONRoute
from memory_api.http.schemas import error_responses

router = APIRouter(tags=["long-term memory"], route_class=JSONRoute)


@router.get(
    "/rag_stats",
    summary="Documents, chunks, model and jobs of the collection",
    responses=error_responses(503),
)
async def rag_stats(service: StatsServiceDep) -> RAGStatsResponse:
    return await service.stats()
