"""Resolving a request's collection through the registry, and checking its embedding model."""

from __future__ import annotations

import uuid

from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.db.columns import utcnow
from memory_api.embeddings.base import Embedder
from memory_api.errors import EmbeddingModelMismatch, NotFound
from memory_api.settings import Settings


class CollectionNotFound(NotFound):
    default_detail = "Collection not found"


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

    async def find(self, name: str | None = None) -> CollectionRecord | None:
        """Like ``resolve`` but creates nothing: None for a default collection never written
        to (it holds nothing); 404 for any other unknown name. For readers."""
        name = name or self.default_name
        await self.embedder.ready()
        found = await self.repository.get(self.tenant, name)
        if found is None:
            if name != self.default_name:
                raise CollectionNotFound(f"Collection '{name}' not found")
            return None
        check_model(found, self.embedder)
        return found

    async def _create(self, name: str) -> CollectionRecord:
        await self.repository.create(
            {
                "tenant": self.tenant,
                "name": name,
                "embedding_model": self.embedder.name,
                "embedding_dimension": self.embedder.dimension,
                # NULL: the default collection follows MEMORY_API_CHUNK_SIZE / _OVERLAP.
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
