"""Body of the statistics endpoint (the seed's contract)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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
