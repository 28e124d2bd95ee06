"""Store use cases. The items table is the system of record; ``query`` ranks by the cosine of
the query's embedding to each item's indexed texts (best text wins), computed exactly over the
items that pass the namespace prefix and the filter.

Why not the hybrid retrieval of collections (yet): a store search is scoped by namespace
prefix and value filter first, which the collections' vector and lexical indexes do not know;
an exact scan of the scoped items is both simple and exact for agent memories (thousands per
user). The embeddings are the service's own model, stored with the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np
from fastapi import Depends

from memory_api.auth.principal import PrincipalDep
from memory_api.components import DatabaseDep, EmbedderDep, SettingsDep
from memory_api.db.columns import utcnow
from memory_api.db.session import Database
from memory_api.embeddings.base import Embedder
from memory_api.errors import NotFound
from memory_api.settings import Settings
from memory_api.store.fields import check_filter, check_paths, matches, texts_at
from memory_api.store.models import StoreItem
from memory_api.store.repository import (
    NewItem,
    StoreRepository,
    decode_namespace,
    encode_namespace,
)
from memory_api.store.schemas import (
    DeleteItem,
    ItemOut,
    ListNamespaces,
    NamespacesOut,
    PutItem,
    SearchItemOut,
    SearchItems,
)


@dataclass(frozen=True)
class StoreConfig:
    index_fields: tuple[str, ...] = ("$",)
    default_ttl_minutes: float | None = None
    refresh_ttl_on_read: bool = True


def _out(item: StoreItem) -> ItemOut:
    return ItemOut(
        namespace=decode_namespace(item.namespace),
        key=item.key,
        value=item.value,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


class StoreService:
    def __init__(
        self, database: Database, embedder: Embedder, config: StoreConfig, tenant: str
    ) -> None:
        self.database = database
        self.embedder = embedder
        self.config = config
        self.tenant = tenant

    async def put(self, body: PutItem) -> None:
        paths: tuple[str, ...] = ()
        if body.index is None:
            paths = self.config.index_fields
        elif body.index is not False:
            check_paths(body.index)
            paths = tuple(body.index)
        texts = texts_at(body.value, paths)
        vectors: bytes | None = None
        if texts:  # embedded before the transaction: no lock held while the model runs
            embedded = await self.embedder.embed_documents(texts)
            vectors = np.asarray(embedded, dtype=np.float32).tobytes()
        # absent takes the default, an explicit null never expires (LangGraph's ttl=None)
        ttl = body.ttl if "ttl" in body.model_fields_set else self.config.default_ttl_minutes
        item = NewItem(
            namespace=encode_namespace(body.namespace),
            key=body.key,
            value=body.value,
            ttl_minutes=ttl,
            vectors=vectors,
            vector_model=self.embedder.name if vectors is not None else None,
        )
        async with self.database.unit_of_work() as session:
            await StoreRepository(session, self.tenant).put(item, utcnow())

    def _refresh(self, asked: bool | None) -> bool:
        return self.config.refresh_ttl_on_read if asked is None else asked

    async def get(self, namespace: list[str], key: str, refresh_ttl: bool | None) -> ItemOut:
        now = utcnow()
        async with self.database.unit_of_work() as session:
            repository = StoreRepository(session, self.tenant)
            item = await repository.get(encode_namespace(namespace), key, now)
            if item is None:
                raise NotFound(f"No item {key!r} in namespace {namespace!r}")
            if self._refresh(refresh_ttl):
                await repository.refresh([item], now)
            return _out(item)

    async def delete(self, body: DeleteItem) -> None:
        async with self.database.unit_of_work() as session:
            await StoreRepository(session, self.tenant).delete(
                encode_namespace(body.namespace), body.key
            )

    async def search(self, body: SearchItems) -> list[SearchItemOut]:
        conditions = body.filter or {}
        check_filter(conditions)
        query = (
            await self.embedder.embed_query(body.query)
            if body.query and body.query.strip()
            else None
        )
        now = utcnow()
        async with self.database.unit_of_work() as session:
            repository = StoreRepository(session, self.tenant)
            found = [
                item
                for item in await repository.under(encode_namespace(body.namespace_prefix), now)
                if matches(item.value, conditions)
            ]
            scored: list[tuple[StoreItem, float | None]] = [(item, None) for item in found]
            if query is not None:
                scored = self._rank(found, query)
            page = scored[body.offset : body.offset + body.limit]
            if self._refresh(body.refresh_ttl):
                await repository.refresh([item for item, _ in page], now)
            return [SearchItemOut(**_out(item).model_dump(), score=score) for item, score in page]

    def _rank(
        self, items: list[StoreItem], query: np.ndarray
    ) -> list[tuple[StoreItem, float | None]]:
        """Indexed items by best cosine, highest first; then the others (score None), as
        LangGraph's own stores return them."""
        unit = query / (np.linalg.norm(query) or 1.0)
        scored: list[tuple[StoreItem, float]] = []
        rest: list[tuple[StoreItem, float | None]] = []
        for item in items:
            if item.vectors is None or item.vector_model != self.embedder.name:
                rest.append((item, None))
                continue
            matrix = np.frombuffer(item.vectors, dtype=np.float32).reshape(-1, unit.shape[0])
            norms = np.linalg.norm(matrix, axis=1)
            norms[norms == 0] = 1.0
            scored.append((item, float(np.max(matrix @ unit / norms))))
        scored.sort(key=lambda pair: -pair[1])
        return [*scored, *rest]

    async def namespaces(self, body: ListNamespaces) -> NamespacesOut:
        """Distinct namespaces of live items; in ``prefix`` and ``suffix`` a "*" label
        matches any label (LangGraph's MatchCondition); ``max_depth`` truncates, then dedupes."""
        prefix, suffix = body.prefix or [], body.suffix or []
        literal = prefix[: prefix.index("*")] if "*" in prefix else prefix
        async with self.database.reading() as session:
            stored = await StoreRepository(session, self.tenant).namespaces(
                encode_namespace(literal), utcnow()
            )
        seen: dict[tuple[str, ...], None] = {}
        for namespace in map(decode_namespace, stored):
            if not _matches(namespace[: len(prefix)], prefix) or not (
                len(namespace) >= len(suffix)
                and _matches(namespace[len(namespace) - len(suffix) :], suffix)
            ):
                continue
            if body.max_depth is not None:
                namespace = namespace[: body.max_depth]
            seen.setdefault(tuple(namespace), None)
        page = sorted(seen)[body.offset : body.offset + body.limit]
        return NamespacesOut(namespaces=[list(namespace) for namespace in page])


def _matches(labels: list[str], pattern: list[str]) -> bool:
    return len(labels) == len(pattern) and all(
        want in ("*", label) for label, want in zip(labels, pattern, strict=True)
    )


def store_config(settings: Settings) -> StoreConfig:
    return StoreConfig(
        index_fields=tuple(settings.store_index_fields),
        default_ttl_minutes=settings.store_default_ttl_minutes,
        refresh_ttl_on_read=settings.store_refresh_ttl_on_read,
    )


async def get_store_service(
    database: DatabaseDep, embedder: EmbedderDep, settings: SettingsDep, principal: PrincipalDep
) -> StoreService:
    return StoreService(database, embedder, store_config(settings), principal.tenant)


StoreServiceDep = Annotated[StoreService, Depends(get_store_service)]
