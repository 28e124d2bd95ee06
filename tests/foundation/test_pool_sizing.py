"""The default pools fit the README's production example on a default PostgreSQL server."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy.exc
from asgi_lifespan import LifespanManager

from memory_api.app import create_app
from memory_api.settings import Settings

POSTGRES_DEFAULT_MAX_CONNECTIONS = 100
SUPERUSER_RESERVED = 3  # PostgreSQL's default superuser_reserved_connections
ADMIN_ROOM = 10  # psql, memory-api migrate / check, monitoring
README_WORKERS = 4  # `memory-api serve --host 0.0.0.0 --workers 4`


@pytest.mark.postgres
async def test_one_process_opens_at_most_twice_the_pool_size(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, database_url=postgres_url, db_connect_timeout=0.5
    )
    app = create_app(settings, run_worker=False)
    async with LifespanManager(app, startup_timeout=60), contextlib.AsyncExitStack() as held:
        database = app.state.components.database
        # Take every connection both pools will give, until each makes us wait.
        with contextlib.suppress(asyncio.TimeoutError):
            while True:
                await held.enter_async_context(database.driver_pool.acquire(timeout=0.5))
        with contextlib.suppress(sqlalchemy.exc.TimeoutError):
            while True:
                await held.enter_async_context(database.engine.connect())
        admin = await asyncpg.connect(postgres_url)
        try:
            opened = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'memory-api'"
            )
        finally:
            await admin.close()
    assert opened == 2 * settings.db_pool_size
    available = POSTGRES_DEFAULT_MAX_CONNECTIONS - SUPERUSER_RESERVED - ADMIN_ROOM
    assert README_WORKERS * opened <= available, (
        f"--workers {README_WORKERS} may open {README_WORKERS * opened} connections; "
        f"a default server has {available} to spare"
    )
