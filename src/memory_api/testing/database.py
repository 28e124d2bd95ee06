"""Database helpers for tests."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from memory_api.db.models import Base


async def clear_tables(engine: AsyncEngine) -> None:
    """Delete every row of every table (children first); the schema stays."""
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())
