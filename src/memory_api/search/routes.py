"""``POST /rag_query``: search one collection of long-term memory."""

from __future__ import annotations

from fastapi import APIRouter

from memory_api.http.routing import JSONRoute
from memory_api.http.schemas import error_responses
from memory_api.search.schemas import RAGQueryRequest, RAGQueryResponse
from memory_api.search.service import SearchServiceDep

router = APIRouter(tags=["long-term memory"], route_class=JSONRoute)

QUERY_ERRORS = error_responses(
    404,
    409,
    413,
    422,
    503,
    d404="Unknown collection",
    d409="The collection was built with another embedding model",
    d422="Invalid request, metadata filter, mode or fusion weights",
    d503="Vector store or embedding model unavailable",
)


@router.post(
    "/rag_query",
    summary="Search indexed documents: hybrid (default), semantic or lexical",
    responses=QUERY_ERRORS,
)
async def rag_query(body: RAGQueryRequest, service: SearchServiceDep) -> RAGQueryResponse:
    return await service.query(body)
