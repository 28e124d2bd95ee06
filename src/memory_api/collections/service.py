"""Resolving a request's collection through the registry, and checking its embedding model."""

from __future__ import annotations

import uuid
from typing import Any

from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.collections.schemas import CollectionCreate, CollectionInfo
from memory_api.db.columns import utcnow
from memory_api.documents.catalog import DocumentCatalog
from memory_api.embeddings.base import Embedder
from memory_api.errors import Conflict, EmbeddingModelMismatch, InvalidInput, NotFound
from memory_api.settings import Settings


class CollectionNotFound(NotFound):
    default_detail = "Collection not found"


class CollectionExists(Conflict):
    default_detail = "Collection already exists"


def new_vector_collection_name() -> str:
    """A fresh name in the vector store: never reused, so a deleted collection's vectors can
    be cleaned up while a new collection of the same name fills."""
    return f"memory-{uuid.uuid4().hex}"


def check_model(collection: CollectionRecord, embedder: Embedder) -> None:
    """409 when the configured model is not the one that built the collection."""
    recorded = (collection.embedding_model, collection.embedding_dimension)
    if recorded[0] == embedder.name and recorded[1] in (None, embedder.dimension):
        return
    raise EmbeddingModelMismatch(
        f"Collection '{collection.name}' was built with embedding model {recorded[0]} "
        f"({recorded[1]} dimensions), but the configured model is {embedder.name} "
        f"({embedder.dimension} dimensions). Use another collection or configure the "
        "original model."
    )


class CollectionService:
    """The collections of one tenant."""

    def __init__(
        self, repository: CollectionRepository, embedder: Embedder, settings: Settings, tenant: str
    ) -> None:
        self.repository = repository
        self.embedder = embedder
        self.settings = settings
        self.tenant = tenant

    @property
    def default_name(self) -> str:
        return self.settings.collection_name

    async def resolve(self, name: str | None = None) -> CollectionRecord:
        """The live collection ``name`` (default: the default collection, created at first
        use), checked against the configured embedding model (503 when it cannot load, 409 when
        it is another model). Another tenant's collection is as missing as an unknown one. For
        writers: the session must be a unit of work."""
        found = await self.find(name)
        if found is None:
            return await self._create(name or self.default_name)
        if found.embedding_dimension is None:  # registered from before the registry
            await self.repository.record_dimension(found.id, self.embedder.dimension)
        return found

    async def find(self, name: str | None = None, *, check: bool = True) -> CollectionRecord | None:
        """Like ``resolve`` but creates nothing: None for a default collection never written
        to (it holds nothing); 404 for any other unknown name. For readers. ``check=False``:
        no 409 for another model (the caller decides: a re-embedding may be on)."""
        name = name or self.default_name
        await self.embedder.ready()
        found = await self.repository.get(self.tenant, name)
        if found is None:
            if name != self.default_name:
                raise CollectionNotFound(f"Collection '{name}' not found")
            return None
        if check:
            check_model(found, self.embedder)
        return found

    async def ensure(self, name: str) -> CollectionRecord:
        """The live collection ``name``, created with the service's settings when there is
        none (the store's collection); 409 when another model built it. For writers."""
        await self.embedder.ready()
        found = await self.repository.get(self.tenant, name)
        if found is None:
            return await self._create(name)
        check_model(found, self.embedder)
        return found

    async def _create(self, name: str) -> CollectionRecord:
        await self.repository.create(
            {
                "tenant": self.tenant,
                "name": name,
                "embedding_model": self.embedder.name,
                "embedding_dimension": self.embedder.dimension,
                # NULL: the collection follows MEMORY_API_CHUNK_SIZE / _OVERLAP.
                "chunk_size": None,
                "chunk_overlap": None,
                "vector_collection": new_vector_collection_name(),
                "metadata_json": {},
                "created_at": utcnow(),
            }
        )
        # Ours, or the one a concurrent request created first.
        created = await self.repository.get(self.tenant, name)
        assert created is not None
        return created

    # --- the collection endpoints --------------------------------------------------------------
    async def create(self, body: CollectionCreate) -> CollectionInfo:
        """A new collection built with the configured model: 409 if the name is live, 422
        for chunking that cannot split (overlap not below the size)."""
        size = body.chunk_size or self.settings.chunk_size
        overlap = body.chunk_overlap
        if overlap is None:  # the service's, but at most a fifth of a smaller chunk_size
            overlap = min(self.settings.chunk_overlap, size // 5)
        if overlap >= size:
            raise InvalidInput(
                f"chunk_overlap ({overlap}) must be smaller than chunk_size ({size})"
            )
        await self.embedder.ready()  # the dimension is recorded now
        if await self.repository.get(self.tenant, body.name) is not None:
            raise CollectionExists(f"Collection '{body.name}' already exists")
        if not await self.repository.create(self._values(body.name, size, overlap, body)):
            raise CollectionExists(f"Collection '{body.name}' already exists")
        return await self.info(body.name)

    def _values(self, name: str, size: int, overlap: int, body: CollectionCreate) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "name": name,
            "embedding_model": self.embedder.name,
            "embedding_dimension": self.embedder.dimension,
            # Fixed at creation: a later change of the settings does not re-chunk it.
            "chunk_size": size,
            "chunk_overlap": overlap,
            "vector_collection": new_vector_collection_name(),
            "metadata_json": body.metadata,
            "created_at": utcnow(),
        }

    async def list(self) -> list[CollectionInfo]:
        records = await self.repository.list_live(self.tenant)
        counts = await DocumentCatalog(self.repository.session).counts([r.id for r in records])
        return [self._info(record, counts[record.id]) for record in records]

    async def info(self, name: str) -> CollectionInfo:
        """Any live collection of the tenant, whatever model built it (no 409: this is how a
        client finds out which model that was). 404 for the default before its first write."""
        record = await self.repository.get(self.tenant, name)
        if record is None:
            raise CollectionNotFound(f"Collection '{name}' not found")
        counts = await DocumentCatalog(self.repository.session).counts([record.id])
        return self._info(record, counts[record.id])

    async def delete(self, name: str) -> None:
        """Hidden at once; the sweeper removes its documents, chunks and vectors."""
        if not await self.repository.mark_deleted(self.tenant, name, utcnow()):
            raise CollectionNotFound(f"Collection '{name}' not found")

    def _info(self, record: CollectionRecord, counts: tuple[int, int]) -> CollectionInfo:
        size, overlap = chunking_of(record, self.settings)
        return CollectionInfo(
            name=record.name,
            metadata=record.metadata,
            documents=counts[0],
            chunks=counts[1],
            embedding_model=record.embedding_model,
            embedding_dimension=record.embedding_dimension,
            chunk_size=size,
            chunk_overlap=overlap,
            created_at=record.created_at,
        )


def chunking_of(collection: CollectionRecord, settings: Settings) -> tuple[int, int]:
    """``(size, overlap)`` the collection splits with; NULL in the registry means the
    service's settings."""
    size = collection.chunk_size or settings.chunk_size
    overlap = (
        settings.chunk_overlap if collection.chunk_overlap is None else collection.chunk_overlap
    )
    return size, min(overlap, size - 1)
