"""The tree back to Chroma's "where" dict."""

from __future__ import annotations

from typing import Any

from memory_api.search.filters.tree import And, Compare, Filter


def to_chroma_where(tree: Filter) -> dict[str, Any]:
    """Chroma's ``where`` for the tree; equality is spelt ``{"field": {"$eq": value}}``."""
    if isinstance(tree, Compare):
        value = list(tree.value) if isinstance(tree.value, tuple) else tree.value
        return {tree.field: {tree.op.value: value}}
    key = "$and" if isinstance(tree, And) else "$or"
    return {key: [to_chroma_where(child) for child in tree.children]}
