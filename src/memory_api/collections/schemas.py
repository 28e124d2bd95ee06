"""Collection names and the bodies of the collection endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from memory_api.http.schemas import JSONInteger, StrictRequest

NAME_PATTERN = r"^[a-z0-9_-]{1,63}$"
NAME_RULE = "1 to 63 characters from a-z 0-9 _ -"
CollectionName = Annotated[str, Field(pattern=NAME_PATTERN, description=f"{NAME_RULE}.")]
NamePath = Annotated[str, Path(pattern=NAME_PATTERN, description=f"The collection: {NAME_RULE}.")]


class CollectionCreate(StrictRequest):
    """``POST /collections``. Chunking not given: the service's settings at creation time."""

    name: CollectionName
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="Any JSON object, returned as given."
    )
    chunk_size: JSONInteger | None = Field(
        None, ge=50, le=100_000, description="Characters per chunk (default: the service's)."
    )
    chunk_overlap: JSONInteger | None = Field(
        None,
        ge=0,
        le=99_999,
        description="Characters shared by neighbouring chunks; less than chunk_size (default: "
        "the service's, at most a fifth of chunk_size).",
    )


class CollectionInfo(BaseModel):
    name: str
    metadata: dict[str, Any]
    documents: int
    chunks: int
    embedding_model: str
    embedding_dimension: int | None
    chunk_size: int = Field(description="Characters per chunk, as the collection splits.")
    chunk_overlap: int
    created_at: datetime
