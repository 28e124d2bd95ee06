"""Semantic candidates: the nearest vectors, mapped back to the chunk rows that own them.

Vectors are keyed by the hash of a chunk's indexed text and carry nothing else, so every hit is
turned into rows in the database (the system of record), where the metadata filter applies.
Several rows may share a vector (the same text in several documents): they share its score.
With a filter, the vector search is restricted to the vectors of matching rows when there are
few of them; otherwise the nearest ``OVERFETCH`` times more vectors are fetched and filtered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement

from memory_api.collections.repository import CollectionRecord
from memory_api.db.session import Database
from memory_api.documents.repository import DocumentRepository
from memory_api.vectorstore.chroma import VectorStore

RESTRICT_LIMIT = 2000  # matching vectors up to which the search runs among them only
OVERFETCH = 4


@dataclass(frozen=True)
class Candidate:
    chunk_id: int
    score: float  # cosine similarity


async def semantic_candidates(
    database: Database,
    vectors: VectorStore,
    collection: CollectionRecord,
    embedding: np.ndarray,
    limit: int,
    where: ColumnElement[bool] | None,
) -> list[Candidate]:
    """The ``limit`` best chunks by cosine similarity to ``embedding`` (ties: by chunk key)."""
    name = collection.vector_collection
    if where is None:
        hits = await vectors.query(name, embedding, limit)
    else:
        async with database.reading() as session:
            matching = await DocumentRepository(session).matching_hashes(
                collection.id, where, RESTRICT_LIMIT + 1
            )
        if len(matching) <= RESTRICT_LIMIT:
            hits = await vectors.query(name, embedding, min(limit, len(matching)), matching)
        else:
            hits = await vectors.query(name, embedding, limit * OVERFETCH)
    if not hits:
        return []
    similarity = {hit.id: 1.0 - hit.distance for hit in hits}
    async with database.reading() as session:
        rows = await DocumentRepository(session).chunks_with_hashes(
            collection.id, list(similarity), where
        )
    ranked = sorted(rows, key=lambda row: (-similarity[row[1]], row[0]))
    return [Candidate(chunk_id, similarity[text_hash]) for chunk_id, text_hash in ranked[:limit]]
