"""Writing documents into a collection: vectors, chunk rows and the lexical index, exactly.

One vector per distinct indexed text per collection (its id is the text's sha256): rows with
the same text share it, so a file of one repeated paragraph stores one vector, not thousands
(identical vectors break the vector index's graph: other documents become unfindable).

Embedding happens before, outside any transaction (``embed_missing``). ``write`` then runs in
one transaction holding the collection's row lock, so writers of one collection commit one at
a time: it removes the replaced chunks (and their lexical entries), inserts the new ones (and
theirs), upserts the vectors that no remaining row had and deletes those no row has any more.
A crash before the commit leaves only vectors without rows, which searches never return (hits
are mapped to rows) and ``memory-api check --repair`` deletes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.collections.service import CollectionNotFound
from memory_api.db.columns import utcnow
from memory_api.db.session import Database
from memory_api.documents.repository import DocumentRepository, NewDocument
from memory_api.embeddings.base import Embedder
from memory_api.observability.metrics import Metrics
from memory_api.search.protocols import LexicalIndexAPI
from memory_api.vectorstore.chroma import VectorStore

if TYPE_CHECKING:
    from memory_api.components import Components

EmbedProgress = Callable[[int], None]


@dataclass
class WriteResult:
    documents: int = 0
    chunks_written: int = 0
    chunks_deleted: int = 0
    vectors_written: int = 0
    vectors_deleted: int = 0
    #: with ``replace_by_doc_id``: the doc_ids that existed (under the lock): replaced
    replaced_doc_ids: frozenset[str] = frozenset()
    #: the database id of each document written, by doc_id
    document_ids: dict[str, int] = field(default_factory=dict)


def distinct_texts(documents: Sequence[NewDocument]) -> dict[str, str]:
    """Indexed text by hash, once each, in order of appearance."""
    texts: dict[str, str] = {}
    for document in documents:
        for chunk in document.chunks:
            texts.setdefault(chunk.text_hash, chunk.index_text)
    return texts


class DocumentWriter:
    def __init__(
        self,
        database: Database,
        embedder: Embedder,
        vectors: VectorStore,
        lexical: LexicalIndexAPI | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.database = database
        self.embedder = embedder
        self.vectors = vectors
        self.lexical = lexical
        self.metrics = metrics

    @classmethod
    def of(cls, components: Components) -> DocumentWriter:
        """The writer over a running app's components."""
        return cls(
            components.database,
            components.embedder,
            components.vectors,
            components.lexical,
            components.metrics,
        )

    async def embed(
        self, texts: dict[str, str], on_progress: EmbedProgress | None = None
    ) -> dict[str, np.ndarray]:
        if not texts:
            return {}
        started = time.perf_counter()
        vectors = await self.embedder.embed_documents(list(texts.values()), on_progress)
        if self.metrics is not None:
            self.metrics.observe_embedding("documents", time.perf_counter() - started)
        return dict(zip(texts, vectors, strict=True))

    async def embed_missing(
        self,
        collection: CollectionRecord,
        documents: Sequence[NewDocument],
        *,
        force: bool = False,
        on_progress: EmbedProgress | None = None,
    ) -> dict[str, np.ndarray]:
        """Vectors of the texts the collection has no vector for yet (all of them with
        ``force``), by hash. Identical texts are embedded once."""
        texts = distinct_texts(documents)
        if not force and texts:
            async with self.database.reading() as session:
                known = await DocumentRepository(session).referenced_hashes(
                    collection.id, list(texts)
                )
            texts = {key: text for key, text in texts.items() if key not in known}
        return await self.embed(texts, on_progress)

    async def write(
        self,
        collection: CollectionRecord,
        documents: Sequence[NewDocument],
        embedded: dict[str, np.ndarray],
        *,
        replaced: Sequence[int] = (),
        deleted: Sequence[int] = (),
        replace_by_doc_id: bool = False,
    ) -> WriteResult:
        """Write ``documents`` (new, or replacing the document rows ``replaced``: their old
        chunks go) and delete the document rows ``deleted``, with ``embedded`` vectors.
        ``replace_by_doc_id``: the rows to replace are those with the documents' ``doc_id``,
        looked up under the lock (clients may write one doc_id concurrently)."""
        async with self.database.unit_of_work() as session:
            name = await self.lock(session, collection)
            return await self.write_locked(
                session,
                collection,
                name,
                documents,
                embedded,
                replaced=replaced,
                deleted=deleted,
                replace_by_doc_id=replace_by_doc_id,
            )

    async def lock(self, session: AsyncSession, collection: CollectionRecord) -> str:
        """Take the collection's write lock for the session's transaction; the vector
        collection in use now (read under the lock: a re-embedding may have swapped it since
        ``collection`` was read, and the vectors belong in the one in use). 404 when deleted."""
        registry = CollectionRepository(session)
        locked = await registry.lock_for_write(collection.id)
        name = await registry.vector_collection_of(collection.id) if locked else None
        if name is None:
            raise CollectionNotFound(f"Collection '{collection.name}' was deleted")
        return name

    async def write_locked(
        self,
        session: AsyncSession,
        collection: CollectionRecord,
        name: str,
        documents: Sequence[NewDocument],
        embedded: dict[str, np.ndarray],
        *,
        replaced: Sequence[int] = (),
        deleted: Sequence[int] = (),
        replace_by_doc_id: bool = False,
    ) -> WriteResult:
        """``write`` in the caller's transaction, which holds the lock (``lock``: ``name``);
        the caller may write rows of its own that commit with these (the store's items)."""
        result = WriteResult(documents=len(documents))
        rows = DocumentRepository(session)
        if replace_by_doc_id:
            found = await rows.by_doc_ids(collection.id, [doc.doc_id for doc in documents])
            replaced = [*replaced, *(stored.id for stored in found.values())]
            result.replaced_doc_ids = frozenset(found)
        removed = await rows.remove_chunks([*replaced, *deleted])
        if self.lexical is not None and removed:
            await self.lexical.remove(session, collection.id, removed)
        await rows.delete_documents(deleted)
        texts = distinct_texts(documents)
        # The vectors of the chunks just removed are still in the store (orphans are
        # deleted last): a replaced document's unchanged pieces reuse them, not re-embed.
        existing = await rows.referenced_hashes(collection.id, list(texts))
        existing |= {chunk.text_hash for chunk in removed}
        needed = {key: text for key, text in texts.items() if key not in existing}
        missing = {key: text for key, text in needed.items() if key not in embedded}
        if missing:  # a row whose vector we counted on went meanwhile: embed it now
            embedded = {**embedded, **(await self.embed(missing))}
        upsert = [key for key in texts if key in needed or key in embedded]
        if upsert:
            await self.vectors.ensure_collection(
                name, model=self.embedder.name, dimension=self.embedder.dimension
            )
            stacked = np.stack([embedded[key] for key in upsert])
            await self.vectors.upsert(name, ids=upsert, embeddings=stacked)
        ids = await rows.upsert_documents(collection.id, documents, self.embedder.name, utcnow())
        result.document_ids = ids
        written = await rows.insert_chunks(
            [(ids[doc.doc_id], chunk) for doc in documents for chunk in doc.chunks]
        )
        if self.lexical is not None and written:
            await self.lexical.add(session, collection.id, written)
        gone = {chunk.text_hash for chunk in removed} - texts.keys()
        orphans = gone - await rows.referenced_hashes(collection.id, list(gone))
        await self.vectors.delete(name, sorted(orphans))
        result.chunks_written, result.chunks_deleted = len(written), len(removed)
        result.vectors_written, result.vectors_deleted = len(upsert), len(orphans)
        if self.metrics is not None:
            self.metrics.add_chunks(len(written))
        return result
