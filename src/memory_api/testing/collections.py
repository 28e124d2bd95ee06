"""Registry rows for tests: a collection as another embedding model would have built it."""

from __future__ import annotations

from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.collections.service import new_vector_collection_name
from memory_api.db.columns import utcnow
from memory_api.db.session import Database


async def register_collection(
    database: Database,
    name: str,
    *,
    model: str,
    dimension: int | None,
    tenant: str = DEFAULT_TENANT,
) -> CollectionRecord:
    async with database.unit_of_work() as session:
        repository = CollectionRepository(session)
        await repository.create(
            {
                "tenant": tenant,
                "name": name,
                "embedding_model": model,
                "embedding_dimension": dimension,
                "vector_collection": new_vector_collection_name(),
                "metadata_json": {},
                "created_at": utcnow(),
            }
        )
        found = await repository.get(tenant, name)
    assert found is not None
    return found


async def vector_collection(database: Database, name: str, tenant: str = DEFAULT_TENANT) -> str:
    """The vector-store collection behind ``tenant``'s collection ``name``."""
    async with database.reading() as session:
        found = await CollectionRepository(session).get(tenant, name)
    assert found is not None, f"no collection {name!r} of tenant {tenant!r}"
    return found.vector_collection
