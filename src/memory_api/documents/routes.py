"""HTTP routes of the long-term memory's documents: statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from memory_api.collections.schemas import NAME_PATTERN
from memory_api.documents.schemas import RAGStatsResponse
from memory_api.documents.service import StatsServiceDep
from memory_api.http.routing import JSONRoute
from memory_api.http.schemas import error_responses

router = APIRouter(tags=["long-term memory"], route_class=JSONRoute)


@router.get(
    "/rag_stats",
    summary="Documents, chunks, model and jobs of the collection",
    description="Jobs are counted for all of the caller's collections.",
    responses=error_responses(404, 422, 503, d404="Unknown collection"),
)
async def rag_stats(
    service: StatsServiceDep,
    collection: Annotated[
        str | None,
        Query(pattern=NAME_PATTERN, description="The collection (default: the default one)."),
    ] = None,
) -> RAGStatsResponse:
    return await service.stats(collection)
