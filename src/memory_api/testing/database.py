"""Database helpers for tests."""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from memory_api.db.models import Base

_ATTEMPTS = 5


async def clear_tables(engine: AsyncEngine) -> None:
    """Delete every row of every table (children first); the schema stays.

    The app under test may already be running its workers (a job left queued by an
    earlier test is claimed at start-up), so PostgreSQL can pick this transaction as
    a deadlock victim: it is retried, and whatever it raced with loses its rows.
    """
    for attempt in range(_ATTEMPTS):
        try:
            async with engine.begin() as connection:
                for table in reversed(Base.metadata.sorted_tables):
                    await connection.execute(table.delete())
            return
        except DBAPIError as error:
            if "deadlock" not in str(error) or attempt == _ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.1 * (attempt + 1))
