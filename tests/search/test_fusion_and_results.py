"""Fusion of the two lists, and merging of neighbouring hits into results."""

from __future__ import annotations

from typing import Any

import pytest

from memory_api.documents.repository import ChunkView
from memory_api.search.fusion import convex, rrf
from memory_api.search.results import merge


def test_convex_normalises_each_list_and_weights_them() -> None:
    semantic = [("a", 0.9), ("b", 0.5), ("c", 0.1)]
    lexical = [("c", 12.0), ("d", 2.0)]
    fused = dict(convex(semantic, lexical, 0.4))
    assert fused == pytest.approx({"a": 0.4, "b": 0.2, "c": 0.6, "d": 0.0})
    assert [key for key, _ in convex(semantic, lexical, 1.0)][:3] == ["a", "b", "c"]
    assert convex([], [("x", 3.0)], 0.4) == [("x", pytest.approx(0.6))]


def test_rrf_is_scaled_to_one_for_first_in_both_lists() -> None:
    fused = dict(rrf([("a", 0.9), ("b", 0.1)], [("a", 5.0)], 0.5, 60))
    assert fused["a"] == pytest.approx(1.0)
    assert fused["b"] == pytest.approx(0.5 * 61 / 62)


def view(key: int, document: int, layout: dict[str, Any] | None) -> ChunkView:
    text = "x" if layout is None else "\n".join([layout["header"], *layout["blocks"]])
    return ChunkView(key, key, text, layout, document, f"doc{document}", "api", None, ".txt", {})


def window(start: int, turns: list[str]) -> dict[str, Any]:
    return {"header": "H", "start": start, "blocks": turns, "sep": "\n"}


def test_touching_windows_of_one_document_merge_and_keep_the_best_rank() -> None:
    ranked = [
        view(1, 7, window(4, ["t4", "t5", "t6"])),
        view(2, 8, window(4, ["u4", "u5"])),  # another document: its own result
        view(3, 7, window(6, ["t6", "t7"])),  # overlaps the first
        view(4, 7, window(8, ["t8"])),  # touches the merged one
        view(5, 7, window(20, ["t20"])),  # far away: its own result
        view(6, 9, None),  # no structure: never merged
    ]
    results = merge(ranked)
    assert [r.best.id for r in results] == [1, 2, 5, 6]
    assert results[0].content == "H\nt4\nt5\nt6\nt7\nt8"
    assert results[0].chunk_ids == [1, 3, 4]
    assert results[3].content == "x"


def test_a_hit_that_bridges_two_results_joins_them() -> None:
    ranked = [
        view(1, 7, window(0, ["a0", "a1"])),
        view(2, 7, window(5, ["a5", "a6"])),
        view(3, 7, window(2, ["a2", "a3", "a4"])),
    ]
    [only] = merge(ranked)
    assert only.content == "H\na0\na1\na2\na3\na4\na5\na6"
    assert only.best.id == 1 and sorted(only.chunk_ids) == [1, 2, 3]
