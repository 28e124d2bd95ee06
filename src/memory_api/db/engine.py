"""Engine construction: async drivers, SQLite WAL + busy timeout, PostgreSQL pool sizing."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from memory_api.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_OPTION = "memory_api_read_only"


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the async engine for the configured database (no connection is opened here).

    On PostgreSQL the pool pings a connection before handing it out (one round trip), so
    connections that died while idle (a database restart) cost no request a 503. The session
    state hot path does not pay it: it runs on asyncpg's own pool, which sees closed
    connections without a round trip.
    """
    url = make_url(settings.resolved_database_url)
    options: dict[str, Any] = {
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
    }
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_async_engine(url, **options)
        _configure_sqlite(engine)
        return engine
    options.update(
        # A fixed pool: overflow connections are closed on return, so under steady load above
        # the pool size they would be reopened (TCP + TLS probe + auth) for every request.
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_timeout=settings.db_connect_timeout,
        pool_recycle=1800,
        pool_pre_ping=True,
        connect_args={
            "timeout": settings.db_connect_timeout,
            "command_timeout": 60,
            "server_settings": {"application_name": "memory-api"},
        },
    )
    return create_async_engine(url, **options)


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL lets readers run beside a writer; IMMEDIATE transactions make writers queue on the
    busy timeout instead of failing with "database is locked" when a read lock is upgraded.
    Transactions that only read begin deferred instead (see _on_begin)."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A read-only connection (Database.single_statement(read_only=True)) begins deferred:
        # in WAL mode it reads a snapshot and never waits for a writer.
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
