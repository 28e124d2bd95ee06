"""Index a directory into a collection: exact, incremental, and overlapped.

Three stages run at once so the embedder is the only bottleneck:
  prepare (worker thread: hash, read, split)  ->  embed (embedder's thread)  ->  write

The write stage is ingestion.writer.DocumentWriter: one transaction per batch of files, under
the collection's row lock (vectors, chunk rows and lexical entries agree once it commits; a
crash before leaves the old rows, so the next run redoes the file). A job that is stopped
(cancelled, shut down) finishes the batch it is writing first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from memory_api.collections.repository import CollectionRecord
from memory_api.collections.service import check_model, chunking_of
from memory_api.db.session import Database
from memory_api.documents.identity import PATH, path_doc_id, text_hash
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
from memory_api.indexing.progress import JobProgress, ProgressCallback, Tally
from memory_api.indexing.stages import run_stages, to_the_end
from memory_api.ingestion.splitter import Splitter
from memory_api.ingestion.writer import DocumentWriter
from memory_api.jobs.handlers import JobCancelled
from memory_api.observability.metrics import Metrics
from memory_api.search.protocols import LexicalIndexAPI
from memory_api.settings import Settings
from memory_api.vectorstore.chroma import VectorStore

PREPARE_BATCH_FILES = 64
EMBED_BATCH_CHUNKS = 64
QUEUE_DEPTH = 4


def source_key(directory: Path, entry: FileEntry) -> str:
    """A document is the file as seen in the indexed directory: a symlink alias is its own
    document (its target may be indexed too), identified by the link's path."""
    return (directory / entry.rel_path).as_posix()


@dataclass
class FileWork:
    entry: FileEntry
    document: NewDocument
    stored: StoredDocument | None


@dataclass
class Batch:
    works: list[FileWork]
    vectors: dict[str, np.ndarray] = field(default_factory=dict)


class IndexingPipeline:
    """Runs one directory-indexing job; stateless between runs."""

    def __init__(
        self,
        database: Database,
        embedder: Embedder,
        store: VectorStore,
        settings: Settings,
        metrics: Metrics | None = None,
        lexical: LexicalIndexAPI | None = None,
    ) -> None:
        self.database = database
        self.embedder = embedder
        self.settings = settings
        self.writer = DocumentWriter(database, embedder, store, lexical, metrics)
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
        splitter = splitter_for(collection, self.settings)
        roots = self.settings.index_roots_for(collection.tenant)
        progress = JobProgress(report)

        def scan() -> list[FileEntry]:
            found: list[FileEntry] = []
            progress.scanning(directory, 0)
            for entry in scan_files(directory, set(extensions), roots):
                found.append(entry)
                progress.scanning(directory, len(found))
            return found

        entries = await asyncio.to_thread(scan)
        async with self.database.reading() as session:
            stored = await DocumentRepository(session).under_directory(
                collection.id, str(directory)
            )
        keys = {entry: source_key(directory, entry) for entry in entries}
        tally = Tally(files_seen=len(entries))
        progress.start(len(entries))

        prepared: asyncio.Queue[list[FileWork] | None] = asyncio.Queue(QUEUE_DEPTH)
        embedded: asyncio.Queue[Batch | None] = asyncio.Queue(QUEUE_DEPTH)
        stale: list[StoredDocument] = []

        async def prepare() -> None:
            for start in range(0, len(entries), PREPARE_BATCH_FILES):
                batch = entries[start : start + PREPARE_BATCH_FILES]
                works, unchanged, failures = await asyncio.to_thread(
                    self._prepare, splitter, batch, keys, stored, force, progress
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
                        await embedded.put(await self._embed(collection, pending, force, progress))
                        pending, chunks = [], 0
            if pending:
                await embedded.put(await self._embed(collection, pending, force, progress))
            await embedded.put(None)

        async def write() -> None:
            while (batch := await embedded.get()) is not None:
                await to_the_end(self._write(collection, batch, tally))
                progress.files_indexed(len(batch.works))  # may stop the job: batch written

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
        roots = self.settings.index_roots_for(collection.tenant)

        def is_gone(path: str) -> bool:
            # Not seen, and either the scan looked for it (its extension) or it is no longer a
            # file the scan would list: deleted, or now a link leading out of the roots.
            return Path(path).suffix.lower() in extensions or not still_listed(Path(path), roots)

        gone = await asyncio.to_thread(
            lambda: [doc for path, doc in stored.items() if path not in seen and is_gone(path)]
        )
        if stale or gone:
            progress.removing(len(stale) + len(gone))
            written = await self.writer.write(
                collection, [], {}, deleted=[doc.id for doc in (*stale, *gone)]
            )
            tally.add(written)
            tally.deleted += len(gone)

    def _prepare(
        self,
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
            chunks = [
                NewChunk(
                    position=position,
                    text=piece.text,
                    index_text=piece.index_text,
                    text_hash=text_hash(piece.index_text),
                    layout=piece.layout.as_json() if piece.layout else None,
                )
                for position, piece in enumerate(splitter.split(loaded.text, entry.extension))
            ]
            document = NewDocument(
                doc_id=path_doc_id(key),
                source_kind=PATH,
                source_path=key,
                extension=entry.extension,
                content_hash=loaded.content_hash,
                size_bytes=entry.size,
                metadata={"relative_path": entry.rel_path},
                chunks=chunks,
                text=loaded.text,
            )
            works.append(FileWork(entry=entry, document=document, stored=previous))
            progress.file_checked(len(chunks))
        return works, unchanged, failures

    async def _embed(
        self,
        collection: CollectionRecord,
        works: list[FileWork],
        force: bool,
        progress: JobProgress,
    ) -> Batch:
        documents = [work.document for work in works]
        vectors = await self.writer.embed_missing(
            collection, documents, force=force, on_progress=progress.chunks_embedded
        )
        # Chunks whose vector exists already (or repeats one of this batch) cost nothing.
        chunks = sum(len(document.chunks) for document in documents)
        progress.chunks_embedded(chunks - len(vectors))
        return Batch(works, vectors)

    async def _write(self, collection: CollectionRecord, batch: Batch, tally: Tally) -> None:
        replaced = [work.stored.id for work in batch.works if work.stored is not None]
        written = await self.writer.write(
            collection, [work.document for work in batch.works], batch.vectors, replaced=replaced
        )
        tally.add(written)
        tally.indexed += len(batch.works)


def splitter_for(collection: CollectionRecord, settings: Settings) -> Splitter:
    """The collection's chunking; NULL in the registry means the service's settings."""
    return Splitter(*chunking_of(collection, settings))
