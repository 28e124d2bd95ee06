"""All SQL of erasing a tenant: one ``Erasure`` line per kind of row a tenant owns.

A table that holds a tenant's data (checkpoints, store items, state history...) is erased by
adding its line to ``ERASURES``; ``tests/tenants/test_erase.py`` fails while a table of the
models is in no line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.checkpoints.models import Checkpoint, CheckpointWrite
from memory_api.collections.models import Collection
from memory_api.documents.models import Chunk, Document
from memory_api.jobs.models import Job
from memory_api.jobs.status import JobStatus
from memory_api.search.lexical.models import (
    LexicalChunk,
    LexicalPosting,
    LexicalRemoval,
    LexicalStats,
    LexicalTerm,
)
from memory_api.state.models import SessionState, SessionStateVersion
from memory_api.store.models import StoreItem

_collections: Table = Collection.__table__  # type: ignore[assignment]
_documents: Table = Document.__table__  # type: ignore[assignment]
_chunks: Table = Chunk.__table__  # type: ignore[assignment]
_jobs: Table = Job.__table__  # type: ignore[assignment]
_sessions: Table = SessionState.__table__  # type: ignore[assignment]
_history: Table = SessionStateVersion.__table__  # type: ignore[assignment]
_checkpoints: Table = Checkpoint.__table__  # type: ignore[assignment]
_writes: Table = CheckpointWrite.__table__  # type: ignore[assignment]
_store_items: Table = StoreItem.__table__  # type: ignore[assignment]
_lexical: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (LexicalPosting, LexicalChunk, LexicalTerm, LexicalStats, LexicalRemoval)
)


def collections_of(tenant: str) -> Select[tuple[int]]:
    """Every collection of the tenant, live or deleted but not yet cleaned up."""
    return select(_collections.c.id).where(_collections.c.tenant == tenant)


def documents_of(tenant: str) -> Select[tuple[int]]:
    return select(_documents.c.id).where(_documents.c.collection_id.in_(collections_of(tenant)))


@dataclass(frozen=True)
class Erasure:
    """``name``: the key in the report; ``owned``: the rows of ``table`` the tenant owns.
    ``counted=False`` for an index's own rows (lexical postings, say): erased, not reported."""

    name: str
    table: Table
    owned: Callable[[str], ColumnElement[bool]]
    counted: bool = True


def by_tenant(table: Table) -> Callable[[str], ColumnElement[bool]]:
    """Rows of a table with a ``tenant`` column."""
    return lambda tenant: table.c.tenant == tenant


def of_collections(table: Table) -> Callable[[str], ColumnElement[bool]]:
    """Rows of a table with a ``collection_id``: those of the tenant's collections."""
    return lambda tenant: table.c.collection_id.in_(collections_of(tenant))


#: Children before their parents (foreign keys). A new table is one line:
#: ``Erasure("checkpoints", _checkpoints, by_tenant(_checkpoints))``, or for rows keyed by
#: collection ``Erasure("lexical_terms", _terms, of_collections(_terms), counted=False)``.
ERASURES: tuple[Erasure, ...] = (
    # before documents: an item goes with its document (ON DELETE CASCADE), uncounted then
    Erasure("store_items", _store_items, by_tenant(_store_items)),
    *(Erasure(table.name, table, of_collections(table), counted=False) for table in _lexical),
    Erasure("chunks", _chunks, lambda t: _chunks.c.document_id.in_(documents_of(t))),
    Erasure("documents", _documents, of_collections(_documents)),
    Erasure("collections", _collections, by_tenant(_collections)),
    Erasure("session_versions", _history, by_tenant(_history), counted=False),
    Erasure("sessions", _sessions, by_tenant(_sessions)),
    Erasure("checkpoint_writes", _writes, by_tenant(_writes), counted=False),
    Erasure("checkpoints", _checkpoints, by_tenant(_checkpoints)),
    Erasure("jobs", _jobs, by_tenant(_jobs)),
)


class TenantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_jobs(self, tenant: str, live_since: datetime) -> list[str]:
        """Lock the tenant's jobs until the transaction ends, so no worker claims one meanwhile
        (claims skip locked rows); the ids of those running with a live lease."""
        rows = await self.session.execute(
            select(_jobs.c.id, _jobs.c.status, _jobs.c.heartbeat_at)
            .where(_jobs.c.tenant == tenant)
            .with_for_update()
        )
        return [
            job_id
            for job_id, status, beat in rows
            if status == JobStatus.IN_PROGRESS and beat is not None and beat >= live_since
        ]

    async def lock_vector_collections(self, tenant: str) -> list[str]:
        """The vector-store collections of every collection of the tenant, their registry rows
        locked (PostgreSQL) so that writers to them wait for the erasure."""
        rows = await self.session.execute(
            select(_collections.c.vector_collection)
            .where(_collections.c.tenant == tenant)
            .order_by(_collections.c.id)
            .with_for_update()
        )
        return list(rows.scalars())

    async def erase(self, tenant: str) -> dict[str, int]:
        """Delete every row the tenant owns, ``ERASURES`` in order; how many of each counted
        kind."""
        counts: dict[str, int] = {}
        for erasure in ERASURES:
            result = await self.session.execute(delete(erasure.table).where(erasure.owned(tenant)))
            if erasure.counted:
                counts[erasure.name] = int(result.rowcount)  # type: ignore[attr-defined]
        return counts
