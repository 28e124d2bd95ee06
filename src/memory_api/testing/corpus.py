"""Synthetic documents for tests and benchmarks."""

from __future__ import annotations

from pathlib import Path


def write_corpus(directory: Path, files: int, paragraphs: int = 6) -> None:
    """``files`` Markdown files of ``paragraphs`` ~1 kB paragraphs each (one chunk apiece)."""
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        text = "\n\n".join(
            f"File {i} paragraph {p}: " + " ".join(f"w{i}x{p}y{k}" for k in range(140))
            for p in range(paragraphs)
        )
        (directory / f"doc{i:04d}.md").write_text(text)
