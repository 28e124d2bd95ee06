"""What a running job tells: live progress (a percentage and a sentence) and its final tally."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from memory_api.indexing.files import printable
from memory_api.ingestion.writer import WriteResult
from memory_api.jobs.handlers import Report

#: How the pipeline reports; it may raise ``JobCancelled`` (see ``jobs.handlers.Report``).
ProgressCallback = Report
MAX_REPORTED_FAILURES = 1000
# Share of the percentage given to checking files (hash, read, split); the rest is embedding,
# which is where the time goes whenever files changed.
CHECK_SHARE = 0.1


class JobProgress:
    """Counts of one run, reported as (percent, details) on every change: per file checked,
    per embedding run, per batch written, so a client sees the job move while it works.

    Counters are bumped from the prepare thread (files checked, chunks found), the embedder's
    thread (chunks embedded) and the event loop (files indexed); each has one writer, and the
    lock keeps the reported percentage from going back.
    """

    def __init__(self, report: ProgressCallback) -> None:
        self._report = report
        self._lock = threading.Lock()
        self._percent = 0
        self.files = 0
        self.checked = 0
        self.chunks = 0
        self.embedded = 0
        self.indexed = 0

    def scanning(self, directory: Path, found: int) -> None:
        self._report(0, f"Scanning {printable(str(directory))}: {found} files found")

    def start(self, files: int) -> None:
        self.files = files
        self._publish()

    def file_checked(self, chunks: int) -> None:
        """A file was hashed (unchanged), failed, or read and split into ``chunks`` to embed."""
        self.checked += 1
        self.chunks += chunks
        self._publish()

    def chunks_embedded(self, count: int) -> None:
        self.embedded += count
        self._publish()

    def files_indexed(self, count: int) -> None:
        self.indexed += count
        self._publish()

    def removing(self, documents: int) -> None:
        self._report(self._percent, f"Removing {documents} documents no longer found")

    def _publish(self) -> None:
        with self._lock:
            checked = self.checked / self.files if self.files else 1.0
            # Chunks of the files not checked yet are unknown: extrapolate from those checked.
            embedded = checked * self.embedded / self.chunks if self.chunks else checked
            percent = int(100 * (CHECK_SHARE * checked + (1 - CHECK_SHARE) * embedded))
            self._percent = max(self._percent, min(99, percent))
            self._report(
                self._percent,
                f"{self.checked}/{self.files} files checked, {self.embedded}/{self.chunks} "
                f"chunks embedded, {self.indexed} files indexed",
            )


@dataclass
class Tally:
    """The result of a run, as reported in the job's ``result``."""

    files_seen: int = 0
    indexed: int = 0
    skipped: int = 0
    deleted: int = 0
    failed: int = 0
    chunks_written: int = 0
    chunks_deleted: int = 0
    # One vector per distinct chunk text: fewer than the chunks when texts repeat.
    vectors_written: int = 0
    vectors_deleted: int = 0
    failed_files: list[dict[str, str]] = field(default_factory=list)

    def add(self, written: WriteResult) -> None:
        self.chunks_written += written.chunks_written
        self.chunks_deleted += written.chunks_deleted
        self.vectors_written += written.vectors_written
        self.vectors_deleted += written.vectors_deleted

    def fail(self, path: str, reason: str) -> None:
        self.failed += 1
        if len(self.failed_files) < MAX_REPORTED_FAILURES:
            self.failed_files.append({"path": printable(path), "reason": reason})
