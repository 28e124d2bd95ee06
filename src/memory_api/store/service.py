"""Store use cases. The items table is the system of record of values; an item's indexed texts
are a document of the tenant's store collection (``store.documents``), written in the same
transaction as the item's row, so ``query`` ranks with the service's hybrid retrieval
(``store.ranking``). Namespace prefix, filter and expiry are SQL conditions: the database
applies them, to listings and to both candidate lists of a query alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np
from fastapi import Depends

from memory_api.auth.principal import PrincipalDep
from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.collections.service import CollectionNotFound, CollectionService, check_model
from memory_api.components import Components, ComponentsDep
from memory_api.db.columns import utcnow
from memory_api.documents.repository import NewDocument
from memory_api.errors import NotFound
from memory_api.ingestion.writer import DocumentWriter
from memory_api.settings import Settings
from memory_api.store.documents import STORE_COLLECTION, item_document
from memory_api.store.fields import check_paths, texts_at
from memory_api.store.filters import check_filter
from memory_api.store.models import StoreItem
from memory_api.store.ranking import rank_items
from memory_api.store.repository import (
    NewItem,
    StoreRepository,
    decode_namespace,
    encode_namespace,
    item_scope,
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
    def __init__(self, components: Components, config: StoreConfig, tenant: str) -> None:
        self.components = components
        self.database = components.database
        self.config = config
        self.tenant = tenant
        self.writer = DocumentWriter.of(components)

    async def _collection(self) -> CollectionRecord:
        """The tenant's store collection, created at the first put (409: another model's)."""
        embedder = self.components.embedder
        await embedder.ready()
        found = await self._existing_collection()
        if found is not None:  # the usual case: no write transaction needed
            check_model(found, embedder)
            return found
        async with self.database.unit_of_work() as session:
            return await CollectionService(
                CollectionRepository(session),
                self.components.embedder,
                self.components.settings,
                self.tenant,
            ).ensure(STORE_COLLECTION)

    async def put(self, body: PutItem) -> None:
        paths: tuple[str, ...] = ()
        if body.index is None:
            paths = self.config.index_fields
        elif body.index is not False:
            check_paths(body.index)
            paths = tuple(body.index)
        document = item_document(body.namespace, body.key, texts_at(body.value, paths))
        # absent takes the default, an explicit null never expires (LangGraph's ttl=None)
        ttl = body.ttl if "ttl" in body.model_fields_set else self.config.default_ttl_minutes
        for attempt in (1, 2):  # the collection deleted meanwhile: write into a new one
            collection = await self._collection()
            # embedded before the transaction: no lock held while the model runs
            embedded = await self.writer.embed_missing(collection, [document])
            try:
                await self._write(collection, document, embedded, body, ttl)
                return
            except CollectionNotFound:
                if attempt == 2:
                    raise

    async def _write(
        self,
        collection: CollectionRecord,
        document: NewDocument,
        embedded: dict[str, np.ndarray],
        body: PutItem,
        ttl: float | None,
    ) -> None:
        async with self.database.unit_of_work() as session:
            name = await self.writer.lock(session, collection)
            written = await self.writer.write_locked(
                session, collection, name, [document], embedded, replace_by_doc_id=True
            )
            item = NewItem(
                namespace=encode_namespace(body.namespace),
                key=body.key,
                value=body.value,
                ttl_minutes=ttl,
                document_id=written.document_ids[document.doc_id],
            )
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
        namespace = encode_namespace(body.namespace)
        async with self.database.unit_of_work() as session:
            repository = StoreRepository(session, self.tenant)
            linked = await repository.document_of(namespace, body.key)
            collection = None
            if linked is not None:
                collection = await CollectionRepository(session).get_by_id(linked[1])
            if linked is not None and collection is not None:
                try:
                    name = await self.writer.lock(session, collection)
                except CollectionNotFound:  # being deleted: its sweeper removes the document
                    name = None
                if name is not None:
                    await self.writer.write_locked(
                        session, collection, name, [], {}, deleted=[linked[0]]
                    )
            await repository.delete(namespace, body.key)

    async def search(self, body: SearchItems) -> list[SearchItemOut]:
        """Without ``query``: the items in scope, newest update first. With it: the items
        either candidate list holds, by fused score, then the others in scope (not indexed,
        or in neither list), newest first, with ``score`` null."""
        conditions = body.filter or {}
        check_filter(conditions)
        now = utcnow()
        prefix = encode_namespace(body.namespace_prefix)
        scope = item_scope(self.tenant, self.database.dialect, prefix, conditions, now)
        end = body.offset + body.limit
        ranked: list[tuple[int, float]] = []
        if body.query and body.query.strip():
            collection = await self._existing_collection()
            if collection is not None:
                ranked = await rank_items(self.components, collection, body.query, scope, end)
        async with self.database.unit_of_work() as session:
            repository = StoreRepository(session, self.tenant)
            found = await repository.of_documents(scope, [key for key, _ in ranked])
            scored = [(found[key], score) for key, score in ranked if key in found]
            page: list[tuple[StoreItem, float | None]] = [*scored[body.offset : end]]
            if len(page) < body.limit:
                rest = await repository.page(
                    scope, max(0, body.offset - len(scored)), body.limit - len(page), list(found)
                )
                page += [(item, None) for item in rest]
            if self._refresh(body.refresh_ttl):
                await repository.refresh([item for item, _ in page], now)
            return [SearchItemOut(**_out(item).model_dump(), score=score) for item, score in page]

    async def _existing_collection(self) -> CollectionRecord | None:
        async with self.database.reading() as session:
            return await CollectionRepository(session).get(self.tenant, STORE_COLLECTION)

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


async def get_store_service(components: ComponentsDep, principal: PrincipalDep) -> StoreService:
    return StoreService(components, store_config(components.settings), principal.tenant)


StoreServiceDep = Annotated[StoreService, Depends(get_store_service)]
