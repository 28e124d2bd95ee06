"""Index a directory into a collection: exact, incremental, and overlapped.

Three stages run at once so the embedder is the only bottleneck:
  prepare (worker thread: hash, read, split)  ->  embed (embedder's thread)  ->  write (Chroma + DB)

Write order per file keeps the database the system of record and makes a crash converge: stale
vectors are deleted and new ones upserted under deterministic ids *before* the database commit; a
crash before the commit leaves the old hash in the database, so the next run redoes the file.
A job that is stopped (cancelled, shut down) finishes the batch it is writing first.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from memory_api.collections.repository import CollectionRecord
from memory_api.collections.service import check_model
from memory_api.db.columns import utcnow
from memory_api.db.session import Database
from memory_api.documents.metadata import chunk_metadata
from memory_api.documents.repository import (
    DocumentRepository,
    NewChunk,
    NewDocument,
    StoredDocument,
)
from memory_api.embeddings.base import Embedder
from memory_api.indexing.files import (
    FileEntry,
    ReadRules,
    SkippedFile,
    hash_file,
    is_utf8,
    read_file,
    scan_files,
    still_listed,
)
from memory_api.indexing.progress import JobCancelled, JobProgress, ProgressCallback, Tally
from memory_api.indexing.splitter import Splitter
from memory_api.indexing.stages import run_stages, to_the_end
from memory_api.observability.metrics import Metrics
from memory_api.settings import Settings
from memory_api.vectorstore.chroma import VectorStore

PREPARE_BATCH_FILES = 64
EMBED_BATCH_CHUNKS = 64
QUEUE_DEPTH = 4


def source_key(directory: Path, entry: FileEntry) -> str:
    """A document is the file as seen in the indexed directory: a symlink alias is its own
    document (its target may be indexed too), identified by the link's path."""
    return (directory / entry.rel_path).as_posix()


def chunk_id(collection: str, source_path: str, position: int) -> str:
    """Deterministic, so re-running an interrupted job overwrites instead of duplicating."""
    digest = hashlib.sha256(f"{collection}\0{source_path}".encode()).hexdigest()[:32]
    return f"{digest}-{position}"


@dataclass
class FileWork:
    entry: FileEntry
    document: NewDocument
    stored: StoredDocument | None
    vectors: np.ndarray | None = None


class IndexingPipeline:
    """Runs one directory-indexing job; stateless between runs."""

    def __init__(
        self,
        database: Database,
        embedder: Embedder,
        store: VectorStore,
        settings: Settings,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics
        self.database = database
        self.embedder = embedder
        self.store = store
        self.settings = settings
        self.read_rules = ReadRules(settings.max_file_bytes, settings.index_allow_hardlinks)

    async def run(
        self,
        collection: CollectionRecord,
        directory: Path,
        extensions: Sequence[str],
        force: bool,
        report: ProgressCallback,
    ) -> dict[str, Any]:
        started = time.monotonic()
        await self.embedder.ready()
        check_model(collection, self.embedder)
        vectors = collection.vector_collection
        await self.store.ensure_collection(
            vectors, model=self.embedder.name, dimension=self.embedder.dimension
        )
        splitter = self._splitter(collection)
        roots = self.settings.resolved_index_roots
        progress = JobProgress(report)

        def scan() -> list[FileEntry]:
            found: list[FileEntry] = []
            progress.scanning(directory, 0)
            for entry in scan_files(directory, set(extensions), roots):
                found.append(entry)
                progress.scanning(directory, len(found))
            return found

        entries = await asyncio.to_thread(scan)
        async with self.database.unit_of_work() as session:
            stored = await DocumentRepository(session).under_directory(
                collection.id, str(directory)
            )
        keys = {entry: source_key(directory, entry) for entry in entries}
        tally = Tally(files_seen=len(entries))
        progress.start(len(entries))

        prepared: asyncio.Queue[list[FileWork] | None] = asyncio.Queue(QUEUE_DEPTH)
        embedded: asyncio.Queue[list[FileWork] | None] = asyncio.Queue(QUEUE_DEPTH)
        stale: list[StoredDocument] = []

        async def prepare() -> None:
            for start in range(0, len(entries), PREPARE_BATCH_FILES):
                batch = entries[start : start + PREPARE_BATCH_FILES]
                works, unchanged, failures = await asyncio.to_thread(
                    self._prepare, vectors, splitter, batch, keys, stored, force, progress
                )
                tally.skipped += unchanged
                for entry, reason in failures:
                    tally.fail(entry.rel_path, reason)
                    if keys[entry] in stored:
                        stale.append(stored[keys[entry]])
                if works:
                    await prepared.put(works)
            await prepared.put(None)

        async def embed() -> None:
            pending: list[FileWork] = []
            chunks = 0
            while (works := await prepared.get()) is not None:
                for work in works:  # batches of about EMBED_BATCH_CHUNKS, across files
                    pending.append(work)
                    chunks += len(work.document.chunks)
                    if chunks >= EMBED_BATCH_CHUNKS:
                        await embedded.put(await self._embed(pending, progress))
                        pending, chunks = [], 0
            if pending:
                await embedded.put(await self._embed(pending, progress))
            await embedded.put(None)

        async def write() -> None:
            while (works := await embedded.get()) is not None:
                await to_the_end(self._write(collection, works, tally))
                progress.files_indexed(len(works))  # may stop the job: this batch is written

        def summary() -> dict[str, Any]:
            return {
                **{k: v for k, v in tally.__dict__.items() if k != "failed_files"},
                "failed_files": tally.failed_files,
                "directory": str(directory),
                "collection": collection.name,
                "duration_seconds": round(time.monotonic() - started, 3),
            }

        try:
            await run_stages(prepare(), embed(), write())
            seen = set(keys.values())
            await self._remove(collection, stored, seen, set(extensions), stale, tally, progress)
        except JobCancelled as cancelled:
            # Every batch written is complete; the rest waits for the next run.
            cancelled.result = {**summary(), "cancelled": True}
            raise
        return summary()

    def _splitter(self, collection: CollectionRecord) -> Splitter:
        """The collection's chunking; NULL in the registry means the service's settings."""
        size = collection.chunk_size or self.settings.chunk_size
        overlap = self.settings.chunk_overlap
        if collection.chunk_overlap is not None:
            overlap = collection.chunk_overlap
        return Splitter(size, min(overlap, size - 1))

    async def _remove(
        self,
        collection: CollectionRecord,
        stored: dict[str, StoredDocument],
        seen: set[str],
        extensions: set[str],
        stale: list[StoredDocument],
        tally: Tally,
        progress: JobProgress,
    ) -> None:
        """Remove documents that failed this run (``stale``) and those that are gone."""
        roots = self.settings.resolved_index_roots

        def is_gone(path: str) -> bool:
            # Not seen, and either the scan looked for it (its extension) or it is no longer a
            # file the scan would list: deleted, or now a link leading out of the roots.
            return Path(path).suffix.lower() in extensions or not still_listed(Path(path), roots)

        gone = await asyncio.to_thread(
            lambda: [doc for path, doc in stored.items() if path not in seen and is_gone(path)]
        )
        if stale or gone:
            progress.removing(len(stale) + len(gone))
            tally.chunks_deleted += await self._delete(collection, [*stale, *gone])
            tally.deleted += len(gone)

    def _prepare(
        self,
        vectors: str,
        splitter: Splitter,
        entries: Sequence[FileEntry],
        keys: dict[FileEntry, str],
        stored: dict[str, StoredDocument],
        force: bool,
        progress: JobProgress,
    ) -> tuple[list[FileWork], int, list[tuple[FileEntry, str]]]:
        """Blocking: hash every file, and read + split the changed ones."""
        works: list[FileWork] = []
        unchanged = 0
        failures: list[tuple[FileEntry, str]] = []
        for entry in entries:
            key = keys[entry]
            if not is_utf8(key):
                failures.append((entry, "file name is not valid UTF-8"))
                progress.file_checked(0)
                continue
            previous = stored.get(key)
            try:
                if (
                    previous is not None
                    and not force
                    and entry.size <= self.settings.max_file_bytes
                    and hash_file(entry, self.read_rules) == previous.content_hash
                ):
                    unchanged += 1
                    progress.file_checked(0)
                    continue
                loaded = read_file(entry, self.read_rules)
            except SkippedFile as skipped:
                failures.append((entry, skipped.reason))
                progress.file_checked(0)
                continue
            texts = splitter.split(loaded.text, entry.extension)
            chunks = [
                NewChunk(
                    id=chunk_id(vectors, key, position),
                    position=position,
                    text=text,
                    text_hash=hashlib.sha256(text.encode()).hexdigest(),
                )
                for position, text in enumerate(texts)
            ]
            document = NewDocument(
                source_path=key,
                extension=entry.extension,
                content_hash=loaded.content_hash,
                size_bytes=entry.size,
                metadata={"relative_path": entry.rel_path},
                chunks=chunks,
            )
            works.append(FileWork(entry=entry, document=document, stored=previous))
            progress.file_checked(len(chunks))
        return works, unchanged, failures

    async def _embed(self, works: list[FileWork], progress: JobProgress) -> list[FileWork]:
        texts = [chunk.text for work in works for chunk in work.document.chunks]
        started = time.perf_counter()
        vectors = await self.embedder.embed_documents(texts, progress.chunks_embedded)
        if self.metrics is not None:
            self.metrics.observe_embedding("documents", time.perf_counter() - started)
        offset = 0
        for work in works:
            count = len(work.document.chunks)
            work.vectors = vectors[offset : offset + count]
            offset += count
        return works

    async def _write(
        self, collection: CollectionRecord, works: list[FileWork], tally: Tally
    ) -> None:
        new_ids = {chunk.id for work in works for chunk in work.document.chunks}
        previous_ids = await self._chunk_ids([w.stored for w in works if w.stored is not None])
        obsolete = [chunk for chunk in previous_ids if chunk not in new_ids]
        await self.store.delete(collection.vector_collection, obsolete)
        with_chunks = [work for work in works if work.document.chunks]
        if with_chunks:
            await self.store.upsert(
                collection.vector_collection,
                ids=[chunk.id for work in with_chunks for chunk in work.document.chunks],
                embeddings=np.concatenate(
                    [work.vectors for work in with_chunks if work.vectors is not None]
                ),
                documents=[chunk.text for work in with_chunks for chunk in work.document.chunks],
                metadatas=[
                    chunk_metadata(
                        source=work.document.source_path,
                        relative_path=work.entry.rel_path,
                        extension=work.entry.extension,
                        chunk_index=chunk.position,
                        collection=collection.name,
                    )
                    for work in with_chunks
                    for chunk in work.document.chunks
                ],
            )
        async with self.database.unit_of_work() as session:
            await DocumentRepository(session).replace(
                collection.id, [work.document for work in works], self.embedder.name, utcnow()
            )
        tally.indexed += len(works)
        tally.chunks_written += len(new_ids)
        if self.metrics is not None:
            self.metrics.add_chunks(len(new_ids))
        tally.chunks_deleted += len(obsolete)

    async def _chunk_ids(self, documents: Sequence[StoredDocument]) -> list[str]:
        if not documents:
            return []
        async with self.database.unit_of_work() as session:
            return await DocumentRepository(session).chunk_ids([doc.id for doc in documents])

    async def _delete(
        self, collection: CollectionRecord, documents: Sequence[StoredDocument]
    ) -> int:
        ids = await self._chunk_ids(documents)
        await self.store.delete(collection.vector_collection, ids)
        async with self.database.unit_of_work() as session:
            await DocumentRepository(session).delete([doc.id for doc in documents])
        return len(ids)
