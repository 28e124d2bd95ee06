"""Every Chroma call goes through ``VectorStore``.

Chroma's Python clients are synchronous, so each call runs in a worker thread. Connection
failures become ``VectorStoreUnavailable`` (503) and the client is rebuilt on the next call, so
the service recovers by itself when a Chroma server comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import chromadb
import httpx
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, InvalidArgumentError, NotFoundError

from memory_api.errors import EmbeddingModelMismatch, VectorStoreUnavailable

logger = logging.getLogger("memory_api.vectorstore")
T = TypeVar("T")
ID_PAGE = 10_000
_CONNECTION_ERRORS = (httpx.TransportError, ConnectionError, OSError, TimeoutError)


@dataclass(frozen=True)
class ChromaConfig:
    """Where the vectors live: a Chroma server (``host`` set) or an embedded Chroma at
    ``path``; ``timeout`` bounds each request to a server."""

    path: Path
    host: str | None = None
    port: int = 8000
    ssl: bool = False
    timeout: float = 30.0


@dataclass(frozen=True)
class VectorHit:
    id: str
    distance: float  # cosine distance: similarity = 1 - distance


def _is_connection_error(error: BaseException) -> bool:
    if isinstance(error, _CONNECTION_ERRORS):
        return True
    # HttpClient reports an unreachable server as a ValueError at construction time.
    return isinstance(error, ValueError) and "Could not connect" in str(error)


def _set_request_timeout(client: ClientAPI, seconds: float) -> None:
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds)
    else:  # pragma: no cover - a chromadb release moved it (the timeout test then fails)
        logger.warning("cannot set a request timeout on this chromadb version's HTTP client")


def _is_dimension_error(error: Exception) -> bool:
    return "dimension" in str(error).lower()


class VectorStore:
    def __init__(
        self,
        client_factory: Callable[[], ClientAPI],
        *,
        description: str,
        batch_size: int | None = None,
    ) -> None:
        self._factory = client_factory
        self.description = description
        self._batch_size = batch_size
        self._client: ClientAPI | None = None
        self._collections: dict[str, Collection] = {}

    @classmethod
    def from_config(cls, config: ChromaConfig) -> VectorStore:
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if config.host:
            host, port, ssl, timeout = config.host, config.port, config.ssl, config.timeout

            def connect() -> ClientAPI:
                # chromadb's HTTP client waits forever for an answer, and makes its first
                # requests while it is built: check that the server answers, then set a timeout.
                scheme = "https" if ssl else "http"
                httpx.get(f"{scheme}://{host}:{port}/api/v2/heartbeat", timeout=timeout)
                client = chromadb.HttpClient(
                    host=host, port=port, ssl=ssl, settings=chroma_settings
                )
                _set_request_timeout(client, timeout)
                return client

            return cls(connect, description=f"Chroma server at {host}:{port}")
        path = config.path
        return cls(
            lambda: chromadb.PersistentClient(path=str(path), settings=chroma_settings),
            description=f"embedded Chroma in {path}",
        )

    # --- plumbing ------------------------------------------------------------------------------
    def _get_client(self) -> ClientAPI:
        if self._client is None:
            self._client = self._factory()
        return self._client

    async def _call(self, work: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(work)
        except EmbeddingModelMismatch:
            raise
        except Exception as error:
            if _is_connection_error(error):
                self._client = None
                self._collections.clear()
                raise VectorStoreUnavailable(
                    f"Vector store unavailable: {self.description} ({type(error).__name__})"
                ) from error
            raise

    def _collection(self, name: str) -> Collection | None:
        if name not in self._collections:
            try:
                self._collections[name] = self._get_client().get_collection(
                    name, embedding_function=None
                )
            except NotFoundError:
                return None
        return self._collections[name]

    def _with_collection(self, name: str, work: Callable[[Collection], T], missing: T) -> T:
        """Run ``work`` on the collection; refetch once if another process recreated it."""
        for attempt in range(2):
            collection = self._collection(name)
            if collection is None:
                return missing
            try:
                return work(collection)
            except NotFoundError:
                self._collections.pop(name, None)
                if attempt:
                    return missing
        return missing

    def _max_batch(self) -> int:
        if self._batch_size is None:
            self._batch_size = int(self._get_client().get_max_batch_size())
        return self._batch_size

    # --- API -----------------------------------------------------------------------------------
    async def start(self) -> None:
        try:
            await self._call(self._get_client)
        except VectorStoreUnavailable as error:
            logger.warning("%s; will retry on the next request", error.detail)

    async def heartbeat(self) -> None:
        await self._call(lambda: self._get_client().heartbeat())

    async def ensure_collection(self, name: str, *, model: str, dimension: int) -> None:
        """Create ``name`` (cosine) if missing. ``model`` and ``dimension`` are recorded in its
        metadata for people looking at the store; the registry in the database is what the
        service checks."""

        def work() -> None:
            self._collections[name] = self._get_client().get_or_create_collection(
                name,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": model, "embedding_dimension": dimension},
                embedding_function=None,
            )

        await self._call(work)

    async def collection_info(self, name: str) -> dict[str, Any] | None:
        def work() -> dict[str, Any] | None:
            collection = self._collection(name)
            return None if collection is None else dict(collection.metadata or {})

        return await self._call(work)

    async def upsert(self, name: str, ids: Sequence[str], embeddings: np.ndarray) -> None:
        """Store vectors under ``ids`` (the collection must exist: ``ensure_collection``).
        Only vectors: the text and metadata of what they stand for are in the database."""

        def work() -> None:
            collection = self._collection(name)
            if collection is None:
                raise NotFoundError(f"Collection {name} does not exist")
            step = self._max_batch()
            for start in range(0, len(ids), step):
                end = start + step
                collection.upsert(ids=list(ids[start:end]), embeddings=embeddings[start:end])

        if ids:
            await self._call(work)

    async def delete(self, name: str, ids: Sequence[str]) -> None:
        def work(collection: Collection) -> None:
            step = self._max_batch()
            for start in range(0, len(ids), step):
                collection.delete(ids=list(ids[start : start + step]))

        if ids:
            await self._call(lambda: self._with_collection(name, work, None))

    async def query(
        self,
        name: str,
        embedding: np.ndarray,
        top_k: int,
        ids: Sequence[str] | None = None,
    ) -> list[VectorHit]:
        """The ``top_k`` nearest vectors, among ``ids`` when given."""

        def search(collection: Collection, among: list[str] | None) -> Any:
            try:
                return collection.query(
                    query_embeddings=[embedding],
                    n_results=top_k,
                    ids=among,
                    include=["distances"],
                )
            except ChromaError as error:
                if among is None or "finding id" not in str(error):
                    raise
            # An id without a vector (drift, until check --repair): search among the others.
            existing = collection.get(ids=among, include=[])["ids"]
            if not existing:
                return {"ids": [[]], "distances": [[]]}
            return collection.query(
                query_embeddings=[embedding], n_results=top_k, ids=existing, include=["distances"]
            )

        def work(collection: Collection) -> list[VectorHit]:
            try:
                result = search(collection, list(ids) if ids is not None else None)
            except (InvalidArgumentError, ValueError) as error:
                if _is_connection_error(error) or not _is_dimension_error(error):
                    raise
                raise EmbeddingModelMismatch(
                    f"Collection '{name}' holds vectors of another dimension than the "
                    f"configured embedding model's: {error}"
                ) from None
            distances = (result["distances"] or [[]])[0]
            return [
                VectorHit(id=i, distance=float(x))
                for i, x in zip(result["ids"][0], distances, strict=True)
            ]

        if ids is not None and not ids:
            return []
        return await self._call(lambda: self._with_collection(name, work, []))

    async def count(self, name: str) -> int:
        return await self._call(lambda: self._with_collection(name, lambda c: c.count(), 0))

    async def ids(self, name: str) -> set[str]:
        def work(collection: Collection) -> set[str]:
            found: set[str] = set()
            offset = 0
            while True:
                page = collection.get(include=[], limit=ID_PAGE, offset=offset)["ids"]
                found.update(page)
                if len(page) < ID_PAGE:
                    return found
                offset += ID_PAGE

        return await self._call(lambda: self._with_collection(name, work, set()))

    async def embeddings(self, name: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of ``ids`` (those that exist)."""

        def work(collection: Collection) -> dict[str, np.ndarray]:
            found: dict[str, np.ndarray] = {}
            step = self._max_batch()
            for start in range(0, len(ids), step):
                page = collection.get(ids=list(ids[start : start + step]), include=["embeddings"])
                vectors = page["embeddings"]
                if vectors is not None:
                    found.update(zip(page["ids"], (np.asarray(v) for v in vectors), strict=True))
            return found

        return await self._call(lambda: self._with_collection(name, work, {}))

    async def delete_collection(self, name: str) -> None:
        def work() -> None:
            self._collections.pop(name, None)
            with contextlib.suppress(NotFoundError):
                self._get_client().delete_collection(name)

        await self._call(work)

    async def aclose(self) -> None:
        self._collections.clear()
        self._client = None


__all__ = ["ChromaError", "VectorHit", "VectorStore"]
