"""Bodies of the query and statistics endpoints (the seed's contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from memory_api.documents.filters import MetadataFilter
from memory_api.http.schemas import StrictRequest


def _integral_float_to_int(value: Any) -> Any:
    # JSON Schema counts 18.0 as an integer and some JSON encoders write integers that way.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JSONInteger = Annotated[int, BeforeValidator(_integral_float_to_int)]


class RAGQueryRequest(StrictRequest):
    query: str = Field(min_length=1, max_length=10_000, description="Text to search for.")
    top_k: JSONInteger = Field(5, ge=1, le=20, description="Number of results.")
    filter_metadata: MetadataFilter | None = None


class RAGQueryResult(BaseModel):
    content: str
    metadata: dict[str, Any]
    similarity_score: float = Field(description="Cosine similarity between query and chunk.")


class RAGQueryResponse(BaseModel):
    query: str
    results: list[RAGQueryResult]
    execution_time_ms: float


class ExtensionStats(BaseModel):
    documents: int
    chunks: int


class RAGStatsResponse(BaseModel):
    collection: str
    documents: int
    chunks: int
    vectors: int | None = Field(description="Vectors in the store; null when it is unreachable.")
    embedding_model: str
    embedding_dimension: int | None
    last_indexed_at: datetime | None
    by_extension: dict[str, ExtensionStats]
    jobs: dict[str, int]
