"""Structural splitting: chat turns, Markdown sections, code; character windows otherwise.

Measured on the LoCoMo development split (bench.retrieval_quality, BENCHMARKS.md): small
pieces that follow the structure of a chat log, each with its neighbouring turns and the log's
header (a session's date), find the evidence of a question far more often than blind
1,000-character windows. Each piece records the blocks (turns, paragraphs) it covers, so that
neighbouring hits of one document can be merged into one result (search/results.py).

* chat (at least max(3, 60%) of the non-empty lines look like ``[id] Speaker: text`` or
  ``Speaker: text``): the lines before the first turn are the header; turns are grouped into
  cores of about ``CHAT_TARGET`` characters without splitting a turn, and each piece is its core
  plus one whole turn on each side. The indexed text drops the ``[id]`` of each turn.
* Markdown (``.md`` / ``.markdown``, or a ``.txt`` with two headings or more): paragraphs of a
  section grouped up to ``chunk_size``, the nearest heading as header.
* code (``.py`` and other known languages): langchain's language-aware recursive splitter.
* anything else: langchain's ``RecursiveCharacterTextSplitter(chunk_size, chunk_overlap)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

CHAT_TARGET = 300  # characters of turns per piece, before its neighbouring turns
CHAT_CONTEXT = 1  # whole turns added on each side
CHAT_SHARE = 0.6
CHAT_MIN_TURNS = 3
MAX_HEADER = 300

TURN = re.compile(
    r"^\s*(?:\[(?P<id>[^\]\n]{1,40})\]\s*)?"
    r"(?P<speaker>[^\s:\[\]#>*|\-][^:\[\]\n]{0,40}?):\s+(?P<text>\S.*)$"
)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE = {
    ".py": Language.PYTHON,
    ".js": Language.JS,
    ".ts": Language.TS,
    ".go": Language.GO,
    ".rs": Language.RUST,
    ".java": Language.JAVA,
    ".rb": Language.RUBY,
    ".c": Language.C,
    ".h": Language.C,
    ".cpp": Language.CPP,
}


@dataclass(frozen=True)
class Layout:
    """The blocks of its document a piece covers: ``blocks`` from block ``start`` on."""

    header: str
    start: int
    blocks: tuple[str, ...]
    sep: str

    def as_json(self) -> dict[str, Any]:
        return {"header": self.header, "start": self.start, "blocks": list(self.blocks),
                "sep": self.sep}  # fmt: skip

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Layout:
        return cls(value["header"], value["start"], tuple(value["blocks"]), value["sep"])


@dataclass(frozen=True)
class Piece:
    text: str  # what a search returns
    index_text: str  # what is embedded and lexically indexed
    layout: Layout | None = None


def _join(header: str, blocks: tuple[str, ...] | list[str], sep: str) -> str:
    body = sep.join(blocks)
    return f"{header}\n{body}" if header else body


def group(blocks: list[str], target: int) -> list[tuple[int, int]]:
    """Consecutive ranges of blocks of at most ``target`` characters (one block at least)."""
    ranges = []
    start = 0
    while start < len(blocks):
        end, size = start, 0
        while end < len(blocks) and (end == start or size + len(blocks[end]) + 1 <= target):
            size += len(blocks[end]) + 1
            end += 1
        ranges.append((start, end))
        start = end
    return ranges


def _strip_id(turn: str) -> str:
    """``[D3:5] Caroline: text`` -> ``Caroline: text``: the id is metadata, not content."""
    match = TURN.match(turn.split("\n", 1)[0])
    if match is None or match["id"] is None:
        return turn
    return turn[match.start("speaker") :]


class Splitter:
    def __init__(self, chunk_size: int = 1000, chunk_overlap: int = 200) -> None:
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self._text = RecursiveCharacterTextSplitter(
            chunk_size=chunk_size, chunk_overlap=chunk_overlap
        )
        self._code: dict[Language, RecursiveCharacterTextSplitter] = {}

    def split(self, text: str, extension: str) -> list[Piece]:
        extension = extension.lower()
        chat = self._chat(text)
        if chat is not None:
            return chat
        if extension in (".md", ".markdown") or (
            extension in ("", ".txt")
            and sum(bool(_HEADING.match(line)) for line in text.split("\n")) >= 2
        ):
            return self._markdown(text)
        splitter = self._text
        if extension in _CODE:
            language = _CODE[extension]
            if language not in self._code:
                self._code[language] = RecursiveCharacterTextSplitter.from_language(
                    language, chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap
                )
            splitter = self._code[language]
        return [Piece(piece, piece) for piece in splitter.split_text(text) if piece.strip()]

    # --- chat ----------------------------------------------------------------------------
    def parse_chat(self, text: str) -> tuple[str, list[str]] | None:
        """(header, turns) when the text looks like a chat log, else None."""
        lines = [line for line in text.split("\n") if line.strip()]
        matched = [bool(TURN.match(line)) for line in lines]
        if not lines or sum(matched) < max(CHAT_MIN_TURNS, CHAT_SHARE * len(lines)):
            return None
        header: list[str] = []
        turns: list[str] = []
        for line, is_turn in zip(lines, matched, strict=True):
            if is_turn:
                turns.append(line.rstrip())
            elif not turns:
                header.append(line.strip())
            else:  # a line that continues the previous turn
                turns[-1] += "\n" + line.rstrip()
        return " ".join(header)[:MAX_HEADER], turns

    def _chat(self, text: str) -> list[Piece] | None:
        parsed = self.parse_chat(text)
        if parsed is None:
            return None
        header, turns = parsed
        pieces = []
        for start, end in group(turns, CHAT_TARGET):
            first, last = max(0, start - CHAT_CONTEXT), min(len(turns), end + CHAT_CONTEXT)
            window = tuple(turns[first:last])
            pieces.append(
                Piece(
                    _join(header, window, "\n"),
                    _join(header, [_strip_id(turn) for turn in window], "\n"),
                    Layout(header, first, window, "\n"),
                )
            )
        return pieces

    # --- Markdown ------------------------------------------------------------------------
    def _sections(self, text: str) -> list[tuple[str, list[str]]]:
        """(nearest heading, paragraphs) of each section; fenced code stays in one paragraph."""
        sections: list[tuple[str, list[str]]] = [("", [])]
        paragraph: list[str] = []
        in_fence = False

        def flush() -> None:
            if "\n".join(paragraph).strip():
                sections[-1][1].append("\n".join(paragraph).strip("\n"))
            paragraph.clear()

        for line in text.split("\n"):
            if _FENCE.match(line):
                in_fence = not in_fence
                paragraph.append(line)
            elif not in_fence and _HEADING.match(line):
                flush()
                sections.append((line.strip(), []))
            elif not in_fence and not line.strip():
                flush()
            else:
                paragraph.append(line)
        flush()
        return sections

    def _markdown(self, text: str) -> list[Piece]:
        pieces: list[Piece] = []
        offset = 0
        for header, paragraphs in self._sections(text):
            blocks: list[str] = []
            for paragraph in paragraphs:  # an over-long paragraph is cut into windows
                too_long = len(paragraph) > self.chunk_size
                blocks += self._text.split_text(paragraph) if too_long else [paragraph]
            budget = max(self.chunk_size - len(header) - 1, self.chunk_size // 2)
            for start, end in group(blocks, budget):
                window = tuple(blocks[start:end])
                joined = _join(header, window, "\n\n")
                pieces.append(Piece(joined, joined, Layout(header, offset + start, window, "\n\n")))
            offset += len(blocks) + 1  # +1: pieces of two sections never touch, never merge
        return pieces
