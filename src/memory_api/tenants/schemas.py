"""The body of ``DELETE /tenant``'s answer."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TenantErasedResponse(BaseModel):
    tenant: str = Field(description="The tenant whose resources were erased: the caller's.")
    deleted: dict[str, int] = Field(
        description=(
            "How many of each kind were erased: sessions, collections, documents, chunks, "
            "vectors, jobs (and every kind of row added later)."
        ),
        examples=[
            {
                "chunks": 12,
                "collections": 1,
                "documents": 3,
                "jobs": 1,
                "sessions": 2,
                "vectors": 12,
            }
        ],
    )
