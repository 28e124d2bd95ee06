"""The service's components: built once in the lifespan, handed to routes as typed dependencies.

``Components`` is immutable: everything in it exists for the whole life of the app. Routes never
read ``app.state`` themselves; they declare ``DatabaseDep``, ``EmbedderDep``, ``VectorStoreDep``,
``SettingsDep`` or ``ComponentsDep``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.collections.precision import default_precision
from memory_api.db.engine import create_engine
from memory_api.db.session import Database
from memory_api.embeddings.base import Embedder
from memory_api.embeddings.factory import create_embedder
from memory_api.observability.metrics import Metrics
from memory_api.search.lexical.index import LexicalIndex
from memory_api.search.lexical.memory import PostingMemory
from memory_api.search.protocols import LexicalIndexAPI
from memory_api.settings import MiB, Settings
from memory_api.vectorstore.chroma import ChromaConfig, VectorStore

if TYPE_CHECKING:
    from memory_api.collections.sweeper import CollectionSweeper
    from memory_api.jobs.worker import JobWorker
    from memory_api.state.sweeper import StateSweeper
    from memory_api.store.sweeper import StoreSweeper

HealthCheck = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Components:
    settings: Settings
    database: Database
    embedder: Embedder
    vectors: VectorStore
    metrics: Metrics
    #: the lexical (BM25) index in the database (None: semantic search only)
    lexical: LexicalIndexAPI | None = None
    #: this process's job worker (None when the app runs without one)
    worker: JobWorker | None = None
    #: finishes the deletion of collections (None when the app runs without a worker)
    sweeper: CollectionSweeper | None = None
    #: this process's sweeper of expired sessions (None outside an app)
    state_sweeper: StateSweeper | None = None
    #: this process's sweeper of expired store items (None outside an app)
    store_sweeper: StoreSweeper | None = None

    def health_checks(self) -> dict[str, HealthCheck]:
        return {
            "database": self.database.ping,
            "vector_store": self.vectors.heartbeat,
            "embedding_model": self.embedder.ready,
        }


def chroma_config(settings: Settings) -> ChromaConfig:
    return ChromaConfig(
        path=settings.chroma_path,
        host=settings.chroma_host or None,
        port=settings.chroma_port,
        ssl=settings.chroma_ssl,
        timeout=settings.chroma_timeout,
    )


@asynccontextmanager
async def open_components(
    settings: Settings, metrics: Metrics | None = None, *, start_embedder: bool = True
) -> AsyncIterator[Components]:
    """Database, embedder and vector store, closed on exit. Starting never raises for a missing
    model or an unreachable store: both show in /health and as 503s until they recover.
    ``start_embedder=False`` leaves the model unloaded (its name is known, its dimension not):
    for work that embeds nothing, such as ``memory-api check``."""
    database = Database(create_engine(settings), driver_pool_size=settings.db_pool_size)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(database.dispose)
        await database.start()
        precision = None
        if settings.embedding_provider == "local" and settings.embedding_precision is None:
            precision = await default_precision(database)
        embedder = create_embedder(settings, precision)
        stack.push_async_callback(embedder.aclose)
        vectors = VectorStore.from_config(chroma_config(settings))
        stack.push_async_callback(vectors.aclose)
        if start_embedder:
            await embedder.start()
        await vectors.start()
        yield Components(
            settings=settings,
            database=database,
            embedder=embedder,
            vectors=vectors,
            metrics=metrics or Metrics(),
            lexical=LexicalIndex(memory=lexical_memory(settings)),
        )


def lexical_memory(settings: Settings) -> PostingMemory | None:
    budget = int(settings.lexical_memory_mib * MiB)
    return PostingMemory(budget, settings.lexical_memory_min_df) if budget else None


async def get_components(request: Request) -> Components:
    # Dependencies are async on purpose: FastAPI runs plain `def` ones in a thread pool.
    components: Components = request.app.state.components
    return components


ComponentsDep = Annotated[Components, Depends(get_components)]


async def get_settings(components: ComponentsDep) -> Settings:
    return components.settings


async def get_embedder(components: ComponentsDep) -> Embedder:
    return components.embedder


async def get_vectors(components: ComponentsDep) -> VectorStore:
    return components.vectors


async def get_database(components: ComponentsDep) -> Database:
    return components.database


DatabaseDep = Annotated[Database, Depends(get_database)]


async def get_session(database: DatabaseDep) -> AsyncIterator[AsyncSession]:
    """The request is the unit of work: commit on success, roll back on error.

    Declared with ``scope="function"`` so the commit happens before the response is sent:
    a client that got a 2xx knows its write is durable.
    """
    async with database.unit_of_work() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_session(database: DatabaseDep) -> AsyncIterator[AsyncSession]:
    """A session for a request that only reads: on SQLite it reads a snapshot and never waits
    for the write lock an indexing job holds (a status poll answered 503 after the busy
    timeout under load). Nothing it does is committed."""
    async with database.reading() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EmbedderDep = Annotated[Embedder, Depends(get_embedder)]
VectorStoreDep = Annotated[VectorStore, Depends(get_vectors)]
