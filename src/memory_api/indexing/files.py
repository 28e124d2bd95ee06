"""The file side of indexing: where we may read, what we read, and how.

Everything here is blocking and is called from a worker thread.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from memory_api.errors import Forbidden, InvalidInput

SKIPPED_DIRECTORIES = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules"})
BINARY_SNIFF_BYTES = 8192
MiB = 1024 * 1024


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


class DirectoryNotFound(InvalidInput):
    """The directory does not exist (any more); ``path`` is where it would be, resolved."""

    def __init__(self, detail: str, path: Path) -> None:
        super().__init__(detail)
        self.path = path


def resolve_directory(directory: str, roots: Sequence[Path], *, tenant: str = "") -> Path:
    """The real path of ``directory`` (symlinks and ``..`` resolved), if it lies inside a root
    (``roots``: those granted to ``tenant``; the 403 names only them, never another's).

    Containment is checked before anything under the directory is touched; a relative path is
    taken from the server's working directory. A missing directory is a DirectoryNotFound.
    """
    resolved = Path(directory).expanduser().resolve(strict=False)
    if not _inside(resolved, roots):
        allowed = ", ".join(str(root) for root in roots)
        whose = f" of tenant {tenant!r}" if tenant else ""
        raise Forbidden(
            f"directory {directory!r} is outside the allowed index roots{whose} "
            f"(MEMORY_API_INDEX_ROOTS): {allowed}"
        )
    if not is_utf8(str(resolved)):
        raise InvalidInput(f"the real path of {directory!r} is not valid UTF-8")
    if not resolved.exists():
        raise DirectoryNotFound(f"directory {directory!r} does not exist", resolved)
    if not resolved.is_dir():
        raise InvalidInput(f"{directory!r} is not a directory")
    return resolved


@dataclass(frozen=True)
class FileEntry:
    path: Path  # absolute, symlinks resolved
    rel_path: str  # posix path relative to the indexed directory: the stable document key
    size: int
    extension: str  # lower-case, with the dot
    device: int  # identity of the file the scan checked: what is read later must be it
    inode: int


def scan_files(
    directory: Path, extensions: Collection[str], roots: Sequence[Path]
) -> Iterator[FileEntry]:
    """Files below ``directory`` with one of ``extensions``, in a stable order.

    Symlinks are followed only when their target stays inside ``roots``; each real directory is
    visited once, so symlink loops end.
    """
    visited: set[Path] = set()
    pending = [directory]
    while pending:
        current = pending.pop()
        real = current.resolve()
        if real in visited or not _inside(real, roots):
            continue
        visited.add(real)
        try:
            children = sorted(os.scandir(current), key=lambda item: item.name)
        except OSError:
            continue
        subdirectories = []
        for child in children:
            if child.name in SKIPPED_DIRECTORIES:
                continue
            path = Path(child.path)
            try:
                if child.is_dir(follow_symlinks=True):
                    subdirectories.append(path)
                    continue
                if not child.is_file(follow_symlinks=True):
                    continue
                extension = path.suffix.lower()
                if extension not in extensions:
                    continue
                target = path.resolve() if child.is_symlink() else path
                if not _inside(target, roots):
                    continue
                info = target.stat()
            except OSError:
                continue
            rel = path.relative_to(directory).as_posix()
            yield FileEntry(
                path=target,
                rel_path=rel,
                size=info.st_size,
                extension=extension,
                device=info.st_dev,
                inode=info.st_ino,
            )
        pending.extend(reversed(subdirectories))


def still_listed(path: Path, roots: Sequence[Path]) -> bool:
    """Whether a scan would still list ``path`` (extensions aside): a regular file, reached
    through links that stay inside ``roots``. Decides if a document not seen by a scan for
    other extensions keeps its place in the index."""
    try:
        target = path.resolve(strict=True)
        return _inside(target, roots) and stat.S_ISREG(target.stat().st_mode)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop on older Pythons
        return False


@dataclass(frozen=True)
class ReadRules:
    """What may be read: the size limit, and whether files with several hard links may."""

    max_bytes: int
    allow_hardlinks: bool = False


@dataclass(frozen=True)
class LoadedFile:
    entry: FileEntry
    text: str
    content_hash: str  # sha256 of the raw bytes


class SkippedFile(Exception):
    """A file that is not indexed, with the reason reported to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_utf8(name: str) -> bool:
    """False for a name holding bytes that are not UTF-8 (``os`` keeps them as surrogates): it
    could be neither stored in the database nor hashed into a chunk id."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(name: str) -> str:
    """``name`` as valid text, bytes that are not UTF-8 written as ``\\xNN``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _mib(size: int) -> str:
    return f"{size / MiB:.1f} MiB"


# No link is followed at the last step (a file swapped for a symlink fails with ELOOP), a FIFO
# or device swapped in cannot block the open, and the descriptor does not leak into children.
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY


@contextlib.contextmanager
def _open_scanned(entry: FileEntry, rules: ReadRules) -> Iterator[BinaryIO]:
    """The file the scan checked, opened; anything else is a SkippedFile.

    Between the scan and this open, the file (or a directory above it) may have been replaced,
    by a symlink to a secret say. The opened file must be the very one that was scanned (same
    device and inode), so what is read is exactly what was checked.
    """
    try:
        descriptor = os.open(entry.path, _OPEN_FLAGS)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise SkippedFile("replaced by a symbolic link after the scan; not read") from None
        raise SkippedFile(f"unreadable: {error.strerror or error}") from None
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (
            entry.device,
            entry.inode,
        ):
            raise SkippedFile("replaced by another file after the scan; not read")
        if info.st_nlink > 1 and not rules.allow_hardlinks:
            raise SkippedFile(
                f"hard link ({info.st_nlink} names for one file, which may lie outside the "
                "index roots); set MEMORY_API_INDEX_ALLOW_HARDLINKS=true to index hard links"
            )
        if info.st_size > rules.max_bytes:
            raise SkippedFile(too_large(info.st_size, rules.max_bytes))
        yield stream


def too_large(size: int, max_bytes: int) -> str:
    return f"file too large ({_mib(size)} > {_mib(max_bytes)} limit)"


def read_file(entry: FileEntry, rules: ReadRules) -> LoadedFile:
    if entry.size > rules.max_bytes:
        raise SkippedFile(too_large(entry.size, rules.max_bytes))
    try:
        with _open_scanned(entry, rules) as stream:
            data = stream.read(rules.max_bytes + 1)  # the file may grow while it is read
    except OSError as error:
        raise SkippedFile(f"unreadable: {error.strerror or error}") from None
    if len(data) > rules.max_bytes:
        raise SkippedFile(f"file too large (more than {_mib(rules.max_bytes)} limit)")
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise SkippedFile("binary file")
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return LoadedFile(entry=entry, text=text, content_hash=hashlib.sha256(data).hexdigest())


def hash_file(entry: FileEntry, rules: ReadRules) -> str:
    """sha256 of the scanned file's bytes; a file that vanished, was replaced or cannot be read
    is a SkippedFile."""
    digest = hashlib.sha256()
    try:
        with _open_scanned(entry, rules) as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
    except OSError as error:
        raise SkippedFile(f"unreadable: {error.strerror or error}") from None
    return digest.hexdigest()
