"""Database handle and the request-scoped unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from memory_api.db.driver_pool import DriverPool
from memory_api.db.engine import READ_ONLY_OPTION
from memory_api.db.errors import translate_connect_errors, translate_disconnects


class Database:
    """Owns the engine and the session factory; created and disposed in the app lifespan.

    On PostgreSQL it also owns a plain asyncpg pool (``driver_pool``, handed out in order) for
    the session-state hot path, whose statements skip SQLAlchemy's per-statement work (see
    bench/state_throughput).
    """

    def __init__(self, engine: AsyncEngine, *, driver_pool_size: int = 0) -> None:
        self.engine = engine
        self.driver_pool: DriverPool | None = None
        self._driver_pool_size = driver_pool_size
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        # Reads that must not queue behind a writer (SQLite: a deferred BEGIN reads the WAL
        # snapshot); on PostgreSQL an ordinary transaction.
        self._reading_sessionmaker = async_sessionmaker(
            engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )
        # One statement is atomic by itself: on PostgreSQL skip the BEGIN/COMMIT round trips.
        # SQLite keeps its IMMEDIATE transaction, which is what queues concurrent writers.
        self._statement_engine = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else engine
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session that commits when the block succeeds and rolls back when it raises."""
        async with self.sessionmaker() as session:
            # Connect eagerly so an unreachable database is reported as such (503).
            with translate_connect_errors():
                await session.connection()
            # On error, closing the session rolls the transaction back.
            with translate_disconnects():
                yield session
                await session.commit()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only: on SQLite it never waits for the write lock, so queries
        run beside an indexing job's writes. Nothing it does is committed."""
        async with self._reading_sessionmaker() as session:
            with translate_connect_errors():
                await session.connection()
            with translate_disconnects():
                yield session

    @asynccontextmanager
    async def single_statement(
        self, *, read_only: bool = False, transaction: bool = False
    ) -> AsyncIterator[AsyncConnection]:
        """A connection for work that is one SQL statement (hot paths: session state).
        ``read_only``: on SQLite, a reader that does not wait for the write lock.
        ``transaction``: a few statements that commit together (PostgreSQL too)."""
        engine = self.engine if transaction else self._statement_engine
        with translate_connect_errors():
            connection = await engine.connect()
            if read_only:
                await connection.execution_options(**{READ_ONLY_OPTION: True})
        try:
            with translate_disconnects():
                yield connection
                if connection.in_transaction():
                    await connection.commit()
        finally:
            await connection.close()

    async def ping(self) -> None:
        with translate_connect_errors():
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

    async def start(self) -> None:
        """Create the asyncpg pool (PostgreSQL); it connects lazily, so a database that is down
        at start-up does not stop the service from starting."""
        if self.dialect == "postgresql" and self._driver_pool_size:
            url = self.engine.url.set(drivername="postgresql")
            self.driver_pool = await DriverPool.create(
                url.render_as_string(hide_password=False),
                self._driver_pool_size,
                self.engine.pool.timeout(),  # type: ignore[attr-defined]
            )

    async def dispose(self) -> None:
        if self.driver_pool is not None:
            await self.driver_pool.close()
        await self.engine.dispose()
