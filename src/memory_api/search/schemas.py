"""Bodies of ``POST /rag_query``: the seed's fields, plus modes, fusion and score explanations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from memory_api.collections.schemas import CollectionName
from memory_api.http.schemas import INTEGRAL, JSONInteger, StrictRequest
from memory_api.search.filters import MetadataFilter

Mode = Literal["hybrid", "semantic", "lexical"]
FusionMethod = Literal["convex", "rrf"]


class FusionOptions(StrictRequest):
    """How hybrid search combines its two lists; unset fields take the service's settings."""

    method: FusionMethod | None = Field(
        None,
        description='"convex": a weighted sum of the two lists\' min-max normalised scores '
        '(the default); "rrf": weighted reciprocal rank fusion.',
    )
    semantic_weight: float | None = Field(
        None, ge=0, le=1, description="Weight of the semantic list (the lexical one gets 1 - w)."
    )
    rrf_k: float | None = Field(None, gt=0, le=10_000, description="k of rrf: w / (k + rank).")


class RAGQueryRequest(StrictRequest):
    query: str = Field(min_length=1, max_length=10_000, description="Text to search for.")
    top_k: JSONInteger = Field(5, ge=1, le=20, description="Number of results.")
    filter_metadata: MetadataFilter | None = None
    mode: Mode | None = Field(
        None,
        description='"hybrid" (default): lexical and semantic, fused; "semantic": embeddings '
        'only; "lexical": BM25 only.',
    )
    collection: CollectionName | None = Field(
        None, description="The collection to search (default: the default collection)."
    )
    fusion: FusionOptions | None = None
    # INTEGRAL after the bounds: before them, the schema shows "ge"/"le" (not JSON Schema).
    max_chars: Annotated[int, Field(ge=1, le=1_000_000), INTEGRAL] | None = Field(
        None,
        description="A context budget: hits are taken in rank order (at most top_k) until the "
        "returned content reaches this many characters, the last one included.",
    )


class Scores(BaseModel):
    """Why a result was returned: its place in each list and the fused score that ordered it."""

    semantic: float | None = Field(description="Cosine similarity; null if not in that list.")
    semantic_rank: int | None = Field(description="1-based rank in the semantic list.")
    lexical: float | None = Field(description="BM25 score; null if no query term matched.")
    lexical_rank: int | None = Field(description="1-based rank in the lexical list.")
    fused: float = Field(description="The score results are ordered by, in [0, 1].")


class RAGQueryResult(BaseModel):
    content: str
    metadata: dict[str, Any]
    similarity_score: float = Field(
        description="semantic: the cosine similarity in [-1, 1]; lexical: the BM25 score over "
        "the best result's, in [0, 1]; hybrid: the fused score, in [0, 1]."
    )
    scores: Scores
    doc_id: str = Field(description="The document the result comes from.")
    matched_terms: list[str] = Field(
        default_factory=list, description="Query terms (as indexed: stemmed, lower-case) found."
    )


class RAGQueryResponse(BaseModel):
    query: str
    results: list[RAGQueryResult]
    execution_time_ms: float
    mode: Mode
    collection: str
    semantic_rebuilding: bool = Field(
        False,
        description="The collection's vectors are being rebuilt (POST /collections/{name}/"
        'reembed): the results come from the lexical index alone and "mode" says "lexical".',
    )
