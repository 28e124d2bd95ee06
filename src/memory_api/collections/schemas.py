"""Collection names and the bodies of the collection endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from memory_api.http.schemas import INTEGRAL, StrictRequest

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
    # The bounds on the integer, before the float-to-int validator: after it (or on the
    # optional) the OpenAPI document shows "ge"/"le", which JSON Schema does not know.
    chunk_size: Annotated[int, Field(ge=50, le=100_000), INTEGRAL] | None = Field(
        None, description="Characters per chunk (default: the service's)."
    )
    chunk_overlap: Annotated[int, Field(ge=0, le=99_999), INTEGRAL] | None = Field(
        None,
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
