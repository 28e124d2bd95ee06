"""All SQL of the store: items of one tenant, live ones only (an expired item reads as gone)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.documents.repository import documents_table
from memory_api.store.filters import filter_sql
from memory_api.store.models import StoreItem


def encode_namespace(labels: Sequence[str]) -> str:
    """("users", "u1") -> "users.u1." (see ``models``); () -> ""."""
    return "".join(f"{label}." for label in labels)


def decode_namespace(stored: str) -> list[str]:
    return stored.split(".")[:-1]


@dataclass(frozen=True)
class NewItem:
    namespace: str
    key: str
    value: dict[str, Any]
    ttl_minutes: float | None
    document_id: int | None


def expiry(now: datetime, ttl_minutes: float | None) -> datetime | None:
    return None if ttl_minutes is None else now + timedelta(minutes=ttl_minutes)


def live(tenant: str, now: datetime) -> ColumnElement[bool]:
    return (StoreItem.tenant == tenant) & or_(
        StoreItem.expires_at.is_(None), StoreItem.expires_at > now
    )


def item_scope(
    tenant: str, dialect: str, prefix: str, conditions: dict[str, Any], now: datetime
) -> ColumnElement[bool]:
    """The tenant's live items whose namespace starts with ``prefix`` (encoded) and whose
    value meets ``conditions`` (a checked ``filter``)."""
    scope = live(tenant, now)
    if prefix:
        scope &= StoreItem.namespace.startswith(prefix, autoescape=True)
    if conditions:
        scope &= filter_sql(conditions, StoreItem.__table__.c.value, dialect)
    return scope


def documents_in(scope: ColumnElement[bool]) -> ColumnElement[bool]:
    """A condition over ``documents``: the document of an item in ``scope``."""
    return documents_table.c.id.in_(select(StoreItem.document_id).where(scope))


class StoreRepository:
    def __init__(self, session: AsyncSession, tenant: str) -> None:
        self.session = session
        self.tenant = tenant

    def _live(self, now: datetime) -> ColumnElement[bool]:
        return live(self.tenant, now)

    async def get(self, namespace: str, key: str, now: datetime) -> StoreItem | None:
        return await self.session.scalar(
            select(StoreItem).where(
                self._live(now), StoreItem.namespace == namespace, StoreItem.key == key
            )
        )

    async def put(self, item: NewItem, now: datetime) -> None:
        """Create or replace; ``created_at`` stays that of the first write (of a live item:
        an expired one not yet swept is replaced as if new)."""
        values = {
            "tenant": self.tenant,
            "namespace": item.namespace,
            "key": item.key,
            "value": item.value,
            "created_at": now,
            "updated_at": now,
            "ttl_minutes": item.ttl_minutes,
            "expires_at": expiry(now, item.ttl_minutes),
            "document_id": item.document_id,
        }
        postgres = self.session.get_bind().dialect.name == "postgresql"
        insert = pg_insert if postgres else sqlite_insert
        statement = insert(StoreItem).values(values)
        table = StoreItem.__table__
        live = or_(table.c.expires_at.is_(None), table.c.expires_at > now)
        updated: dict[str, Any] = {
            name: statement.excluded[name] for name in values if name != "created_at"
        }
        updated["created_at"] = case(
            (live, table.c.created_at), else_=statement.excluded.created_at
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant", "namespace", "key"], set_=updated
            )
        )

    async def delete(self, namespace: str, key: str) -> None:
        await self.session.execute(
            delete(StoreItem).where(
                StoreItem.tenant == self.tenant,
                StoreItem.namespace == namespace,
                StoreItem.key == key,
            )
        )

    async def document_of(self, namespace: str, key: str) -> tuple[int, int] | None:
        """``(document id, collection id)`` of the item, live or expired (None: it has no
        document, or there is no item)."""
        row = (
            await self.session.execute(
                select(documents_table.c.id, documents_table.c.collection_id)
                .join(StoreItem, StoreItem.document_id == documents_table.c.id)
                .where(
                    StoreItem.tenant == self.tenant,
                    StoreItem.namespace == namespace,
                    StoreItem.key == key,
                )
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def page(
        self,
        scope: ColumnElement[bool],
        offset: int,
        limit: int,
        without: Sequence[int] = (),
    ) -> list[StoreItem]:
        """Items in ``scope``, newest update first, but those of the documents ``without``."""
        statement = select(StoreItem).where(scope)
        if without:
            statement = statement.where(
                or_(StoreItem.document_id.is_(None), StoreItem.document_id.not_in(without))
            )
        rows = await self.session.scalars(
            statement.order_by(StoreItem.updated_at.desc(), StoreItem.namespace, StoreItem.key)
            .offset(offset)
            .limit(limit)
        )
        return list(rows.all())

    async def of_documents(
        self, scope: ColumnElement[bool], document_ids: Sequence[int]
    ) -> dict[int, StoreItem]:
        """Items in ``scope`` by their document's id."""
        if not document_ids:
            return {}
        rows = await self.session.scalars(
            select(StoreItem).where(scope, StoreItem.document_id.in_(document_ids))
        )
        return {item.document_id: item for item in rows if item.document_id is not None}

    async def namespaces(self, prefix: str, now: datetime) -> list[str]:
        statement = select(StoreItem.namespace).distinct().where(self._live(now))
        if prefix:
            statement = statement.where(StoreItem.namespace.startswith(prefix, autoescape=True))
        return list(await self.session.scalars(statement.order_by(StoreItem.namespace)))

    async def refresh(self, items: Sequence[StoreItem], now: datetime) -> None:
        """Restart the TTL of these items (those that have one) from ``now``."""
        for item in items:
            if item.ttl_minutes is None:
                continue
            await self.session.execute(
                update(StoreItem)
                .where(
                    StoreItem.tenant == self.tenant,
                    StoreItem.namespace == item.namespace,
                    StoreItem.key == item.key,
                )
                .values(expires_at=expiry(now, item.ttl_minutes))
            )


def _expired(now: datetime) -> ColumnElement[bool]:
    return StoreItem.expires_at.is_not(None) & (StoreItem.expires_at <= now)


async def expired_collections(session: AsyncSession, now: datetime) -> list[int]:
    """The collections holding the documents of items expired at ``now``, every tenant's."""
    rows = await session.scalars(
        select(documents_table.c.collection_id)
        .distinct()
        .join(StoreItem, StoreItem.document_id == documents_table.c.id)
        .where(_expired(now))
        .order_by(documents_table.c.collection_id)
    )
    return list(rows)


async def delete_expired_of(session: AsyncSession, collection_id: int, now: datetime) -> list[int]:
    """Delete the items expired at ``now`` whose document is in the collection; those
    documents' ids (the caller removes them from the indexes)."""
    documents = select(documents_table.c.id).where(documents_table.c.collection_id == collection_id)
    rows = await session.scalars(
        delete(StoreItem)
        .where(_expired(now), StoreItem.document_id.in_(documents))
        .returning(StoreItem.document_id)
    )
    return [document_id for document_id in rows if document_id is not None]


async def sweep_expired(session: AsyncSession, now: datetime) -> int:
    """Delete every tenant's items expired at ``now``; how many."""
    result = await session.execute(delete(StoreItem).where(_expired(now)))
    return int(result.rowcount)  # type: ignore[attr-defined]
