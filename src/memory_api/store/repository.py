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
    vectors: bytes | None
    vector_model: str | None


def expiry(now: datetime, ttl_minutes: float | None) -> datetime | None:
    return None if ttl_minutes is None else now + timedelta(minutes=ttl_minutes)


class StoreRepository:
    def __init__(self, session: AsyncSession, tenant: str) -> None:
        self.session = session
        self.tenant = tenant

    def _live(self, now: datetime) -> ColumnElement[bool]:
        return (StoreItem.tenant == self.tenant) & or_(
            StoreItem.expires_at.is_(None), StoreItem.expires_at > now
        )

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
            "vectors": item.vectors,
            "vector_model": item.vector_model,
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

    async def under(self, prefix: str, now: datetime) -> Sequence[StoreItem]:
        """Live items whose namespace starts with ``prefix`` (encoded), newest first."""
        statement = select(StoreItem).where(self._live(now))
        if prefix:
            statement = statement.where(StoreItem.namespace.startswith(prefix, autoescape=True))
        rows = await self.session.scalars(
            statement.order_by(StoreItem.updated_at.desc(), StoreItem.namespace, StoreItem.key)
        )
        return rows.all()

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


async def sweep_expired(session: AsyncSession, now: datetime) -> int:
    """Delete every tenant's items expired at ``now``; how many."""
    result = await session.execute(
        delete(StoreItem).where(StoreItem.expires_at.is_not(None), StoreItem.expires_at <= now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
