"""``/rag_query``: semantic, lexical or hybrid search of one collection, results explained."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement

from memory_api.auth.principal import PrincipalDep
from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.collections.service import CollectionService, check_model
from memory_api.components import Components, ComponentsDep
from memory_api.documents.repository import ChunkView, DocumentRepository
from memory_api.jobs.repository import JobRepository
from memory_api.reembed.service import rebuilding as reembed_running
from memory_api.search.fields import field_map
from memory_api.search.filters import to_sql
from memory_api.search.hybrid import HybridRetrieval, fuse, fusion_of
from memory_api.search.results import Merged, merge
from memory_api.search.schemas import (
    Mode,
    RAGQueryRequest,
    RAGQueryResponse,
    RAGQueryResult,
    Scores,
)


@dataclass
class Ranked:
    """Both lists and their fusion, by chunk key."""

    order: list[tuple[int, float]]  # (chunk key, fused score), best first
    semantic: dict[int, tuple[float, int]]  # chunk key -> (cosine, rank)
    lexical: dict[int, tuple[float, int]]  # chunk key -> (bm25, rank)
    matched: dict[int, tuple[str, ...]]


class SearchService:
    def __init__(self, components: Components, tenant: str) -> None:
        self.components = components
        self.tenant = tenant

    async def query(self, request: RAGQueryRequest) -> RAGQueryResponse:
        started = time.perf_counter()
        settings = self.components.settings
        mode: Mode = request.mode or settings.search_mode
        rebuilding = False
        async with self.components.database.reading() as session:
            collection = await CollectionService(
                CollectionRepository(session),
                self.components.embedder,
                settings,
                self.tenant,
            ).find(request.collection, check=False)
            if collection is not None:
                rebuilding = await reembed_running(JobRepository(session), collection)
                if not rebuilding:
                    check_model(collection, self.components.embedder)  # 409
        if rebuilding:  # its vectors are being rebuilt: the lexical index still answers
            mode = "lexical"
        name = collection.name if collection else request.collection or settings.collection_name
        results: list[RAGQueryResult] = []
        if collection is not None:  # None: the default collection, never written to
            ranked = await self._rank(collection, request, mode)
            results = await self._results(collection, ranked, request, mode)
        elapsed = (time.perf_counter() - started) * 1000
        return RAGQueryResponse(
            query=request.query,
            results=results,
            execution_time_ms=elapsed,
            mode=mode,
            collection=name,
            semantic_rebuilding=rebuilding,
        )

    def _where(
        self, collection: CollectionRecord, request: RAGQueryRequest
    ) -> ColumnElement[bool] | None:
        if request.filter_metadata is None:
            return None
        dialect = self.components.database.dialect
        return to_sql(request.filter_metadata, field_map(dialect, collection.name))

    async def _rank(
        self, collection: CollectionRecord, request: RAGQueryRequest, mode: Mode
    ) -> Ranked:
        settings = self.components.settings
        limit = max(settings.search_candidates, request.top_k)
        found = await HybridRetrieval(self.components).candidates(
            collection, request.query, mode, limit, self._where(collection, request)
        )
        semantic, lexical = found.semantic, found.lexical
        lexical_list = [(match.chunk_id, match.score) for match in lexical]
        order = fuse(semantic, lexical_list, mode, fusion_of(settings, request.fusion))
        return Ranked(
            order=order,
            semantic={key: (score, rank) for rank, (key, score) in enumerate(semantic, 1)},
            lexical={key: (score, rank) for rank, (key, score) in enumerate(lexical_list, 1)},
            matched={match.chunk_id: match.matched for match in lexical},
        )

    async def _results(
        self, collection: CollectionRecord, ranked: Ranked, request: RAGQueryRequest, mode: Mode
    ) -> list[RAGQueryResult]:
        best = ranked.order[: request.top_k]
        async with self.components.database.reading() as session:
            views = await DocumentRepository(session).views([key for key, _ in best])
        fused = dict(best)
        merged = merge([views[key] for key, _ in best if key in views], request.max_chars)
        return [self._result(collection, item, ranked, fused, mode) for item in merged]

    def _result(
        self,
        collection: CollectionRecord,
        item: Merged,
        ranked: Ranked,
        fused: dict[int, float],
        mode: Mode,
    ) -> RAGQueryResult:
        key = item.best.id
        semantic, lexical = ranked.semantic.get(key), ranked.lexical.get(key)
        scores = Scores(
            semantic=semantic[0] if semantic else None,
            semantic_rank=semantic[1] if semantic else None,
            lexical=lexical[0] if lexical else None,
            lexical_rank=lexical[1] if lexical else None,
            fused=fused[key],
        )
        matched = list(
            dict.fromkeys(
                term for chunk in item.chunk_ids for term in ranked.matched.get(chunk, ())
            )
        )
        return RAGQueryResult(
            content=item.content,
            metadata=result_metadata(item.best, collection.name),
            similarity_score=fused[key],
            scores=scores,
            doc_id=item.best.doc_id,
            matched_terms=matched,
        )


def result_metadata(view: ChunkView, collection: str) -> dict[str, object]:
    """The seed's keys in their documented order, then the document's own metadata by key."""
    metadata: dict[str, object] = {"source": view.source_path or view.doc_id}
    if "relative_path" in view.metadata:
        metadata["relative_path"] = view.metadata["relative_path"]
    metadata.update(extension=view.extension, chunk_index=view.position, collection=collection)
    for key in sorted(view.metadata.keys() - metadata.keys()):
        metadata[key] = view.metadata[key]
    return metadata


async def get_search_service(components: ComponentsDep, principal: PrincipalDep) -> SearchService:
    return SearchService(components, principal.tenant)


SearchServiceDep = Annotated[SearchService, Depends(get_search_service)]
