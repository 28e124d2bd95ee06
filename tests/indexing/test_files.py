"""Where indexing may read, what it reads, and how: roots, symlinks, binary, size, encoding."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from memory_api.errors import Forbidden, InvalidInput
from memory_api.indexing.files import (
    SkippedFile,
    hash_file,
    read_file,
    resolve_directory,
    scan_files,
)
from memory_api.indexing.splitter import Splitter


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    (base / "sub").mkdir(parents=True)
    (base / "a.md").write_text("alpha")
    (base / "sub" / "b.PY").write_text("print('b')")
    (base / "sub" / "c.txt").write_text("gamma")
    (base / "skip.bin").write_bytes(b"\x00")
    (base / ".git").mkdir()
    (base / ".git" / "config.md").write_text("hidden")
    return base


def test_resolve_inside_and_outside(root: Path, tmp_path: Path) -> None:
    assert resolve_directory(str(root / "sub"), [root]) == root / "sub"
    for outside in ("/etc", str(root / ".." / "elsewhere"), str(tmp_path)):
        with pytest.raises(Forbidden, match="MEMORY_API_INDEX_ROOTS"):
            resolve_directory(outside, [root])
    with pytest.raises(InvalidInput, match="does not exist"):
        resolve_directory(str(root / "missing"), [root])
    with pytest.raises(InvalidInput, match="not a directory"):
        resolve_directory(str(root / "a.md"), [root])


def test_symlinked_directory_pointing_outside(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("secret")
    os.symlink(outside, root / "link")
    with pytest.raises(Forbidden):
        resolve_directory(str(root / "link"), [root])
    paths = {entry.rel_path for entry in scan_files(root, {".md"}, [root])}
    assert paths == {"a.md"}


def test_symlinked_file_pointing_outside_is_not_listed(root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("secret")
    os.symlink(secret, root / "innocent.md")
    os.symlink(root / "a.md", root / "alias.md")  # inside: fine
    entries = {e.rel_path: e for e in scan_files(root, {".md"}, [root])}
    assert set(entries) == {"a.md", "alias.md"}
    assert entries["alias.md"].path == root / "a.md"


def test_scan_filters_sorts_and_survives_loops(root: Path) -> None:
    os.symlink(root, root / "sub" / "loop")
    entries = list(scan_files(root, {".md", ".py", ".txt"}, [root]))
    assert [e.rel_path for e in entries] == ["a.md", "sub/b.PY", "sub/c.txt"]
    assert entries[1].extension == ".py"
    assert entries[0].size == 5


def test_read_file_rules(tmp_path: Path) -> None:
    def entry_for(name: str, data: bytes) -> object:
        path = tmp_path / name
        path.write_bytes(data)
        return next(scan_files(tmp_path, {path.suffix}, [tmp_path]))

    loaded = read_file(entry_for("bom.txt", b"\xef\xbb\xbfhello"), 1000)  # type: ignore[arg-type]
    assert loaded.text == "hello"
    assert loaded.content_hash == hashlib.sha256(b"\xef\xbb\xbfhello").hexdigest()
    latin = read_file(entry_for("latin.md", "café".encode("latin-1")), 1000)  # type: ignore[arg-type]
    assert latin.text == "caf\ufffd"
    with pytest.raises(SkippedFile, match="binary"):
        read_file(entry_for("bin.py", b"abc\x00def"), 1000)  # type: ignore[arg-type]
    with pytest.raises(SkippedFile, match="too large"):
        read_file(entry_for("big.rst", b"x" * 2000), 1000)  # type: ignore[arg-type]
    assert hash_file(tmp_path / "big.rst") == hashlib.sha256(b"x" * 2000).hexdigest()
    with pytest.raises(SkippedFile, match="unreadable"):
        hash_file(tmp_path / "vanished.md")


def test_splitter_sizes_overlap_and_languages() -> None:
    splitter = Splitter(chunk_size=200, chunk_overlap=50)
    text = " ".join(f"word{i}" for i in range(300))
    chunks = splitter.split(text, ".txt")
    assert len(chunks) > 5 and all(len(c) <= 200 for c in chunks)
    assert chunks[0].split()[-1] in chunks[1]  # consecutive chunks overlap

    code = "\n\n".join(f"def f{i}(x):\n    return x * {i}\n" + "# pad\n" * 20 for i in range(5))
    assert all(c.startswith("def ") for c in splitter.split(code, ".py"))

    markdown = "\n\n".join(f"# Title {i}\n\n" + "text " * 30 for i in range(4))
    assert all(c.startswith("# Title") for c in splitter.split(markdown, ".md"))
    assert splitter.split("   \n\n  ", ".txt") == []


def test_directory_whose_real_path_is_not_utf8_is_refused(root: Path) -> None:
    """A link with a UTF-8 name to a directory whose name is not: the job's parameters (and
    every source path below it) could not be stored as text."""
    os.mkdir(os.fsencode(root) + b"/d\xff")
    os.symlink(os.fsencode(root) + b"/d\xff", root / "link")
    with pytest.raises(InvalidInput, match="not valid UTF-8"):
        resolve_directory(str(root / "link"), [root])
