"""From ranked chunks to results: neighbouring hits of one document become one result.

A chat piece or a Markdown section records which blocks (turns, paragraphs) of its document it
covers. A hit whose blocks overlap or touch those of a better-ranked result of the same
document extends that result (which keeps its rank) instead of repeating the shared turns, so a
client's context budget is not spent twice on the same text (bench.retrieval_quality).
Pieces without that structure are never merged. A request for ``top_k`` results merges the
first ``top_k`` hits, so it returns ``top_k`` results or fewer; with a character budget, hits
are taken until the content reaches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from memory_api.documents.repository import ChunkView


@dataclass
class Merged:
    best: ChunkView  # the best-ranked hit: its scores and metadata speak for the result
    chunk_ids: list[int]
    header: str = ""
    sep: str = "\n"
    blocks: dict[int, str] = field(default_factory=dict)  # block index -> text

    @property
    def start(self) -> int:
        return min(self.blocks)

    @property
    def end(self) -> int:
        return max(self.blocks) + 1

    @property
    def content(self) -> str:
        if not self.blocks:
            return self.best.text
        body = self.sep.join(self.blocks[index] for index in sorted(self.blocks))
        return f"{self.header}\n{body}" if self.header else body

    def touches(self, view: ChunkView) -> bool:
        layout = view.layout
        if layout is None or not self.blocks or view.document_id != self.best.document_id:
            return False
        start: int = layout["start"]
        return start <= self.end and self.start <= start + len(layout["blocks"])

    def extend(self, view: ChunkView) -> None:
        layout = view.layout
        assert layout is not None
        self.blocks.update({layout["start"] + i: text for i, text in enumerate(layout["blocks"])})
        self.chunk_ids.append(view.id)


def _new(view: ChunkView) -> Merged:
    merged = Merged(best=view, chunk_ids=[view.id])
    if view.layout is not None:
        merged.header, merged.sep = view.layout["header"], view.layout["sep"]
        merged.extend(view)
        merged.chunk_ids.pop()  # extend() appended it again
    return merged


def merge(ranked: Sequence[ChunkView], max_chars: int | None = None) -> list[Merged]:
    """Results from chunks in rank order (at most one per chunk, fewer when hits merge); with
    ``max_chars``, hits stop once the results' content reaches it (the last hit included)."""
    results: list[Merged] = []
    for view in ranked:
        if max_chars is not None and sum(len(r.content) for r in results) >= max_chars:
            break
        touching = [result for result in results if result.touches(view)]
        if not touching:
            results.append(_new(view))
            continue
        first = touching[0]
        for other in touching[1:]:  # the hit bridges two results: they become one
            first.blocks.update(other.blocks)
            first.chunk_ids += other.chunk_ids
            results.remove(other)
        first.extend(view)
    return results
