"""Where indexing may read, what it reads, and how: roots, symlinks, binary, size, encoding."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from memory_api.errors import Forbidden, InvalidInput
from memory_api.indexing.files import (
    FileEntry,
    ReadRules,
    SkippedFile,
    hash_file,
    read_file,
    resolve_directory,
    scan_files,
)
from memory_api.ingestion.splitter import Splitter


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


def _entry_for(directory: Path, name: str, data: bytes) -> FileEntry:
    path = directory / name
    path.write_bytes(data)
    return next(e for e in scan_files(directory, {path.suffix}, [directory]) if e.rel_path == name)


def test_read_file_rules(tmp_path: Path) -> None:
    rules = ReadRules(max_bytes=1000)
    loaded = read_file(_entry_for(tmp_path, "bom.txt", b"\xef\xbb\xbfhello"), rules)
    assert loaded.text == "hello"
    assert loaded.content_hash == hashlib.sha256(b"\xef\xbb\xbfhello").hexdigest()
    latin = read_file(_entry_for(tmp_path, "latin.md", "café".encode("latin-1")), rules)
    assert latin.text == "caf\ufffd"
    with pytest.raises(SkippedFile, match="binary"):
        read_file(_entry_for(tmp_path, "bin.py", b"abc\x00def"), rules)
    big = _entry_for(tmp_path, "big.rst", b"x" * 2000)
    with pytest.raises(SkippedFile, match="too large"):
        read_file(big, rules)
    assert hash_file(big, ReadRules(max_bytes=2000)) == hashlib.sha256(b"x" * 2000).hexdigest()
    vanished = _entry_for(tmp_path, "vanished.md", b"soon gone")
    (tmp_path / "vanished.md").unlink()
    with pytest.raises(SkippedFile, match="unreadable"):
        hash_file(vanished, rules)


def test_what_is_read_is_exactly_what_was_scanned(tmp_path: Path) -> None:
    """A scanned file replaced before it is read, by a symlink, another file, or a FIFO (which
    would block a plain open): none is read, none blocks."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("secret")
    root = tmp_path / "root"
    root.mkdir()
    rules = ReadRules(max_bytes=1000)
    linked, renamed, piped = (_entry_for(root, f"{n}.md", b"fine") for n in ("a", "b", "c"))
    (root / "a.md").unlink()
    os.symlink(outside / "secret.md", root / "a.md")
    (root / "new.md").write_text("another file, renamed over the scanned one")
    os.replace(root / "new.md", root / "b.md")
    (root / "c.md").unlink()
    os.mkfifo(root / "c.md")
    for entry, reason in (
        (linked, "symbolic link"),
        (renamed, "another file"),
        (piped, "another file"),
    ):
        for read in (read_file, hash_file):
            with pytest.raises(SkippedFile, match=reason):
                read(entry, rules)  # type: ignore[operator]


def test_directory_swapped_for_a_link_is_not_read_through(tmp_path: Path) -> None:
    """O_NOFOLLOW guards the last step only; the identity check covers the directories above."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.md").write_text("secret")
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    entry = _entry_for(root / "sub", "a.md", b"fine")
    (root / "sub").rename(root / "old")
    os.symlink(outside, root / "sub")
    with pytest.raises(SkippedFile, match="another file"):
        read_file(entry, ReadRules(max_bytes=1000))


def test_hard_links_are_refused_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.txt").write_text("api key")
    entry = _entry_for(tmp_path, "one.md", b"single")
    assert read_file(entry, ReadRules(max_bytes=100)).text == "single"
    os.link(tmp_path / "elsewhere.txt", tmp_path / "linked.md")
    linked = next(e for e in scan_files(tmp_path, {".md"}, [tmp_path]) if e.rel_path == "linked.md")
    for read in (read_file, hash_file):
        with pytest.raises(SkippedFile, match=r"hard link \(2 names.*ALLOW_HARDLINKS"):
            read(linked, ReadRules(max_bytes=100))  # type: ignore[operator]
    assert read_file(linked, ReadRules(max_bytes=100, allow_hardlinks=True)).text == "api key"


def test_splitter_sizes_overlap_and_languages() -> None:
    splitter = Splitter(chunk_size=200, chunk_overlap=50)
    text = " ".join(f"word{i}" for i in range(300))
    chunks = [piece.text for piece in splitter.split(text, ".txt")]
    assert len(chunks) > 5 and all(len(c) <= 200 for c in chunks)
    assert chunks[0].split()[-1] in chunks[1]  # consecutive chunks overlap

    code = "\n\n".join(f"def f{i}(x):\n    return x * {i}\n" + "# pad\n" * 20 for i in range(5))
    assert all(p.text.startswith("def ") for p in splitter.split(code, ".py"))

    markdown = "\n\n".join(f"# Title {i}\n\n" + "text " * 30 for i in range(4))
    assert all(p.text.startswith("# Title") for p in splitter.split(markdown, ".md"))
    assert splitter.split("   \n\n  ", ".txt") == []


def test_directory_whose_real_path_is_not_utf8_is_refused(root: Path) -> None:
    """A link with a UTF-8 name to a directory whose name is not: the job's parameters (and
    every source path below it) could not be stored as text."""
    os.mkdir(os.fsencode(root) + b"/d\xff")
    os.symlink(os.fsencode(root) + b"/d\xff", root / "link")
    with pytest.raises(InvalidInput, match="not valid UTF-8"):
        resolve_directory(str(root / "link"), [root])
