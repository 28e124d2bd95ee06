"""The service's hybrid retrieval: a semantic and a lexical candidate list over one collection's
chunks, restricted by a SQL condition, and their fusion. ``/rag_query`` and the store's
``query`` both rank with it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement

from memory_api.collections.repository import CollectionRecord
from memory_api.components import Components
from memory_api.search import fusion
from memory_api.search.protocols import LexicalMatch
from memory_api.search.schemas import FusionMethod, FusionOptions, Mode
from memory_api.search.semantic import semantic_candidates
from memory_api.settings import Settings

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Fusion:
    method: FusionMethod
    semantic_weight: float
    rrf_k: float


def fusion_of(settings: Settings, options: FusionOptions | None = None) -> Fusion:
    """The request's fusion options, the service's settings where it gives none."""
    weight = settings.fusion_semantic_weight
    if options is not None and options.semantic_weight is not None:
        weight = options.semantic_weight
    return Fusion(
        method=(options.method if options else None) or settings.fusion_method,
        semantic_weight=weight,
        rrf_k=(options.rrf_k if options else None) or settings.fusion_rrf_k,
    )


def fuse(
    semantic: Sequence[tuple[K, float]],
    lexical: Sequence[tuple[K, float]],
    mode: Mode,
    options: Fusion,
) -> list[tuple[K, float]]:
    """One ranking, best first, with scores in [0, 1] (semantic mode: the cosine)."""
    if mode == "semantic":
        return list(semantic)
    if mode == "lexical":
        top = lexical[0][1] if lexical else 1.0
        return [(key, score / top) for key, score in lexical]
    if options.method == "rrf":
        return fusion.rrf(semantic, lexical, options.semantic_weight, options.rrf_k)
    return fusion.convex(semantic, lexical, options.semantic_weight)


@dataclass(frozen=True)
class Candidates:
    semantic: list[tuple[int, float]]  # (chunk key, cosine), best first
    lexical: list[LexicalMatch]  # best first


class HybridRetrieval:
    def __init__(self, components: Components) -> None:
        self.components = components

    async def candidates(
        self,
        collection: CollectionRecord,
        query: str,
        mode: Mode,
        limit: int,
        where: ColumnElement[bool] | None,
    ) -> Candidates:
        """The ``limit`` best chunks of each list the mode uses, among those passing ``where``
        (a condition over ``chunks`` and ``documents``); in hybrid mode both lists at once,
        the lexical query running while the query is embedded."""
        if mode == "semantic":
            return Candidates(await self._semantic(collection, query, limit, where), [])
        if mode == "lexical":
            return Candidates([], await self._lexical(collection, query, limit, where))
        semantic, lexical = await asyncio.gather(
            self._semantic(collection, query, limit, where),
            self._lexical(collection, query, limit, where),
        )
        return Candidates(semantic, lexical)

    async def _semantic(
        self,
        collection: CollectionRecord,
        query: str,
        limit: int,
        where: ColumnElement[bool] | None,
    ) -> list[tuple[int, float]]:
        components = self.components
        started = time.perf_counter()
        embedding = await components.embedder.embed_query(query)
        components.metrics.observe_embedding("query", time.perf_counter() - started)
        found = await semantic_candidates(
            components.database, components.vectors, collection, embedding, limit, where
        )
        return [(candidate.chunk_id, candidate.score) for candidate in found]

    async def _lexical(
        self,
        collection: CollectionRecord,
        query: str,
        limit: int,
        where: ColumnElement[bool] | None,
    ) -> list[LexicalMatch]:
        lexical = self.components.lexical
        if lexical is None:
            return []
        async with self.components.database.reading() as session:
            return list(await lexical.search(session, collection.id, query, limit, where))
