"""All SQL touching the collections registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.collections.models import Collection

_collections: Table = Collection.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class CollectionRecord:
    """A live collection as the registry holds it."""

    id: int
    tenant: str
    name: str
    embedding_model: str
    embedding_dimension: int | None
    chunk_size: int | None
    chunk_overlap: int | None
    vector_collection: str
    metadata: dict[str, Any]
    created_at: datetime


_COLUMNS = (
    _collections.c.id,
    _collections.c.tenant,
    _collections.c.name,
    _collections.c.embedding_model,
    _collections.c.embedding_dimension,
    _collections.c.chunk_size,
    _collections.c.chunk_overlap,
    _collections.c.vector_collection,
    _collections.c.metadata_json,
    _collections.c.created_at,
)


def _record(row: Any) -> CollectionRecord:
    return CollectionRecord(*row)


class CollectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, name: str) -> CollectionRecord | None:
        row = (
            await self.session.execute(
                select(*_COLUMNS).where(
                    _collections.c.tenant == tenant,
                    _collections.c.name == name,
                    _collections.c.deleted_at.is_(None),
                )
            )
        ).first()
        return None if row is None else _record(row)

    async def embedding_models(self) -> set[str]:
        """The models that built the live collections, every tenant's."""
        rows = await self.session.execute(
            select(_collections.c.embedding_model)
            .where(_collections.c.deleted_at.is_(None))
            .distinct()
        )
        return set(rows.scalars())

    async def get_by_id(self, collection_id: int) -> CollectionRecord | None:
        """A live collection by id, whatever its tenant (for jobs, which carry the id)."""
        row = (
            await self.session.execute(
                select(*_COLUMNS).where(
                    _collections.c.id == collection_id, _collections.c.deleted_at.is_(None)
                )
            )
        ).first()
        return None if row is None else _record(row)

    async def create(self, values: dict[str, Any]) -> bool:
        """Insert a collection unless a live one has its (tenant, name): False then. The
        partial unique index decides, so two processes creating it at once make one."""
        dialect = self.session.get_bind().dialect.name
        insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert_(_collections).values(**values).on_conflict_do_nothing()
        result = await self.session.execute(statement.returning(_collections.c.id))
        return result.first() is not None

    async def record_dimension(self, collection_id: int, dimension: int) -> None:
        """Collections from before the registry learn their dimension at first use."""
        await self.session.execute(
            update(_collections)
            .where(_collections.c.id == collection_id, _collections.c.embedding_dimension.is_(None))
            .values(embedding_dimension=dimension)
        )

    async def lock_for_write(self, collection_id: int) -> bool:
        """Wait for the collection's row lock, held until the transaction ends (PostgreSQL;
        SQLite serialises writers anyway): writes to one collection commit one at a time, so
        deciding which vectors exist and writing the rows that use them cannot interleave.
        False when the collection is deleted (or being deleted): nothing may be written."""
        query = select(_collections.c.deleted_at).where(_collections.c.id == collection_id)
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return row is not None and row.deleted_at is None

    async def swap_vectors(
        self, collection_id: int, old: str, new: str, model: str, dimension: int
    ) -> bool:
        """Point the collection at its rebuilt vector collection, with the model that built
        it, in one statement; False when it no longer uses ``old`` (swapped or deleted)."""
        result = await self.session.execute(
            update(_collections)
            .where(
                _collections.c.id == collection_id,
                _collections.c.vector_collection == old,
                _collections.c.deleted_at.is_(None),
            )
            .values(vector_collection=new, embedding_model=model, embedding_dimension=dimension)
            .returning(_collections.c.id)
        )
        return result.first() is not None

    async def vector_collection_of(self, collection_id: int) -> str | None:
        """The vector collection a live collection uses now (None: deleted)."""
        return await self.session.scalar(
            select(_collections.c.vector_collection).where(
                _collections.c.id == collection_id, _collections.c.deleted_at.is_(None)
            )
        )

    async def list_live(self, tenant: str) -> list[CollectionRecord]:
        rows = await self.session.execute(
            select(*_COLUMNS)
            .where(_collections.c.tenant == tenant, _collections.c.deleted_at.is_(None))
            .order_by(_collections.c.name)
        )
        return [_record(row) for row in rows]

    async def mark_deleted(self, tenant: str, name: str, now: datetime) -> bool:
        """Hide the live collection ``name`` at once (False: there is none); the sweeper
        removes its rows and vectors afterwards, on whichever process runs next."""
        result = await self.session.execute(
            update(_collections)
            .where(
                _collections.c.tenant == tenant,
                _collections.c.name == name,
                _collections.c.deleted_at.is_(None),
            )
            .values(deleted_at=now)
            .returning(_collections.c.id)
        )
        return result.first() is not None

    async def deleted(self) -> list[tuple[int, str]]:
        """``(id, vector collection)`` of every collection waiting to be swept, any tenant."""
        rows = await self.session.execute(
            select(_collections.c.id, _collections.c.vector_collection)
            .where(_collections.c.deleted_at.is_not(None))
            .order_by(_collections.c.id)
        )
        return [(row.id, row.vector_collection) for row in rows]

    async def purge(self, collection_id: int) -> None:
        """Remove a deleted collection's row (its documents must be gone: ``purge_documents``)."""
        await self.session.execute(
            delete(_collections).where(
                _collections.c.id == collection_id, _collections.c.deleted_at.is_not(None)
            )
        )

    async def lock(self, collection_id: int) -> bool:
        """Lock the collection's row until the transaction ends (PostgreSQL; SQLite serialises
        writers anyway). False when another transaction holds it: the caller skips, never
        waits. Jobs of one collection are claimed under this lock, one at a time."""
        if self.session.get_bind().dialect.name != "postgresql":
            return True
        found = await self.session.scalar(
            select(_collections.c.id)
            .where(_collections.c.id == collection_id)
            .with_for_update(skip_locked=True)
        )
        return found is not None
