"""Fusing the semantic and the lexical result lists into one ranking.

Measured on the LoCoMo development split (bench.retrieval_quality): a convex combination of the
two lists' min-max normalised scores with weight 0.4 on the semantic side beat reciprocal rank
fusion (weighted or not), z-score and distribution-based fusion; the weight was the same in
every leave-one-conversation-out fold. Both methods are kept, selectable per request.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
Ranked = Sequence[tuple[K, float]]  # (id, score), best first


def _minmax(items: Ranked[K]) -> dict[K, float]:
    if not items:
        return {}
    scores = [score for _, score in items]
    low, high = min(scores), max(scores)
    if high <= low:
        return {key: 1.0 for key, _ in items}
    return {key: (score - low) / (high - low) for key, score in items}


def convex(
    semantic: Ranked[K], lexical: Ranked[K], semantic_weight: float
) -> list[tuple[K, float]]:
    """``w * minmax(semantic) + (1 - w) * minmax(lexical)``, in [0, 1]; an item missing from a
    list gets 0 from it. Ties keep the semantic list's order first."""
    dense, sparse = _minmax(semantic), _minmax(lexical)
    keys = list(dict.fromkeys([key for key, _ in semantic] + [key for key, _ in lexical]))
    fused = [
        (key, semantic_weight * dense.get(key, 0.0) + (1 - semantic_weight) * sparse.get(key, 0.0))
        for key in keys
    ]
    fused.sort(key=lambda item: -item[1])
    return fused


def rrf(
    semantic: Ranked[K], lexical: Ranked[K], semantic_weight: float, k: float
) -> list[tuple[K, float]]:
    """Weighted reciprocal rank fusion ``sum(weight / (k + rank))``, scaled to [0, 1] (1: first
    in both lists)."""
    weights = (semantic_weight, 1 - semantic_weight)
    fused: dict[K, float] = {}
    for weight, items in zip(weights, (semantic, lexical), strict=True):
        for rank, (key, _) in enumerate(items, 1):
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
    best = 1 / (k + 1)
    return sorted(((key, score / best) for key, score in fused.items()), key=lambda i: -i[1])
