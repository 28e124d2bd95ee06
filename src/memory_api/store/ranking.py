"""``query`` on a store search: the service's hybrid retrieval over the tenant's store
collection, restricted in SQL to the documents of the items in the search's scope (namespace
prefix, filter, live), its chunk lists reduced to items (an item's best text counts) and fused
as ``/rag_query`` fuses (``MEMORY_API_SEARCH_MODE``, ``MEMORY_API_FUSION_*``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement

from memory_api.collections.repository import CollectionRecord
from memory_api.collections.service import check_model
from memory_api.components import Components
from memory_api.documents.repository import DocumentRepository
from memory_api.jobs.repository import JobRepository
from memory_api.reembed.service import rebuilding
from memory_api.search.hybrid import HybridRetrieval, fuse, fusion_of
from memory_api.search.schemas import Mode
from memory_api.store.repository import documents_in


def _best_per_item(
    ranked: Sequence[tuple[int, float]], documents: dict[int, int]
) -> list[tuple[int, float]]:
    """(chunk key, score) best first -> (document id, score) best first, once each."""
    items: dict[int, float] = {}
    for chunk, score in ranked:
        document = documents.get(chunk)
        if document is not None:
            items.setdefault(document, score)
    return list(items.items())


async def rank_items(
    components: Components,
    collection: CollectionRecord,
    query: str,
    scope: ColumnElement[bool],
    wanted: int,
) -> list[tuple[int, float]]:
    """``(document id, score)`` of the items in ``scope`` that either list holds, best first.
    Each list holds ``max(MEMORY_API_SEARCH_CANDIDATES, wanted)`` chunks."""
    settings = components.settings
    mode: Mode = settings.search_mode
    async with components.database.reading() as session:
        if await rebuilding(JobRepository(session), collection):
            mode = "lexical"  # its vectors are being rebuilt: the lexical index still answers
        else:
            check_model(collection, components.embedder)  # 409
    limit = max(settings.search_candidates, wanted)
    found = await HybridRetrieval(components).candidates(
        collection, query, mode, limit, documents_in(scope)
    )
    lexical = [(match.chunk_id, match.score) for match in found.lexical]
    chunks = [key for key, _ in found.semantic] + [key for key, _ in lexical]
    async with components.database.reading() as session:
        documents = await DocumentRepository(session).document_ids(chunks)
    return fuse(
        _best_per_item(found.semantic, documents),
        _best_per_item(lexical, documents),
        mode,
        fusion_of(settings),
    )
