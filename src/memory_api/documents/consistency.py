"""Drift between the database (system of record) and the vector store or the lexical index,
and its repair.

Each distinct indexed text of a collection's chunks must have one vector, under its hash, and
no other vector may exist. Drift can appear when a process dies between a Chroma write and the
database commit, or when someone edits either store by hand. Repair deletes vectors that no
chunk row owns and rebuilds missing vectors from the chunk text kept in the database. The
lexical index is compared with a recount of every chunk's text (search.lexical.consistency).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.collections.service import check_model
from memory_api.components import Components
from memory_api.documents.repository import DocumentRepository
from memory_api.search.lexical.consistency import LexicalDrift, check_lexical

REPAIR_BATCH = 256


@dataclass
class DriftReport:
    collection: str
    chunks: int = 0
    texts: int = 0  # distinct indexed texts: each needs one vector
    vectors: int = 0
    vectors_without_chunk: list[str] = field(default_factory=list)
    chunks_without_vector: list[str] = field(default_factory=list)
    model_problem: str | None = None
    lexical: LexicalDrift = field(default_factory=LexicalDrift)
    repaired: bool = False

    @property
    def consistent(self) -> bool:
        return self.lexical.consistent and not (
            self.vectors_without_chunk or self.chunks_without_vector or self.model_problem
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "consistent": self.consistent,
            "chunks": self.chunks,
            "texts": self.texts,
            "vectors": self.vectors,
            "vectors_without_chunk": len(self.vectors_without_chunk),
            "chunks_without_vector": len(self.chunks_without_vector),
            "model_problem": self.model_problem,
            "chunks_without_postings": len(self.lexical.stale),
            "postings_without_chunk": len(self.lexical.orphans),
            "lexical_frequencies_wrong": self.lexical.wrong_frequencies,
            "repaired": self.repaired,
        }


async def check(
    components: Components, tenant: str, collection: str, *, repair: bool = False
) -> DriftReport:
    """Compare the chunk rows of ``tenant``'s ``collection`` with its vectors."""
    report = DriftReport(collection=collection)
    async with components.database.reading() as session:
        record = await CollectionRepository(session).get(tenant, collection)
        if record is None:  # never used: nothing to compare
            return report
        documents = DocumentRepository(session)
        hashes = await documents.all_hashes(record.id)
        report.chunks = (await documents.stats(record.id))["chunks"]
    embedder = components.embedder
    # An embedder that was not started (a check without repair) knows its name, not its size.
    if record.embedding_model != embedder.name or (
        embedder.dimension and record.embedding_dimension not in (None, embedder.dimension)
    ):
        size = f"{embedder.dimension} dimensions" if embedder.dimension else "model not loaded"
        report.model_problem = (
            f"collection built with {record.embedding_model} "
            f"({record.embedding_dimension} dimensions), configured model is "
            f"{embedder.name} ({size})"
        )
    vector_ids = await components.vectors.ids(record.vector_collection)
    report.texts, report.vectors = len(hashes), len(vector_ids)
    report.vectors_without_chunk = sorted(vector_ids - hashes)
    report.chunks_without_vector = sorted(hashes - vector_ids)
    vectors_drift = bool(report.vectors_without_chunk or report.chunks_without_vector)
    # The lexical index needs no model: it is repaired whatever the vectors' state.
    report.lexical = await check_lexical(components.database, record.id, repair=repair)
    if repair and report.model_problem is None and not report.consistent:
        if vectors_drift:
            await _repair(components, record, report)
        report.repaired = True
    return report


async def _repair(components: Components, record: CollectionRecord, report: DriftReport) -> None:
    collection = record.vector_collection
    await components.embedder.ready()
    check_model(record, components.embedder)
    embedder = components.embedder
    await components.vectors.ensure_collection(
        collection, model=embedder.name, dimension=embedder.dimension
    )
    await components.vectors.delete(collection, report.vectors_without_chunk)
    missing = report.chunks_without_vector
    for start in range(0, len(missing), REPAIR_BATCH):
        async with components.database.reading() as session:
            texts = await DocumentRepository(session).texts_of(
                record.id, missing[start : start + REPAIR_BATCH]
            )
        vectors = await embedder.embed_documents(list(texts.values()))
        await components.vectors.upsert(collection, ids=list(texts), embeddings=vectors)
    report.repaired = True
