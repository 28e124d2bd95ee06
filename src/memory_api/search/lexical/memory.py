"""Posting lists of common terms held in process memory, and BM25 over lists in numpy.

A term held by many chunks (a speaker's name in a chat log, a year) has tens of thousands of
postings in a large collection; reading and summing them in SQL made the lexical query grow
with the collection. Each process keeps the lists of such terms (loaded at start, most common
first, and as searches need them), least recently used first out within a byte budget, and
scores a query over them exactly. A list is used as is while the term's version in the
database (``lexical_terms.version``, the generation of the last write that changed its
postings, read with its frequency by every search) is the one it was loaded at, so a write by
any process is seen at the next search here. A list held at an older version is brought up to
date rather than read again: the postings added since (each carries its write's generation) go
in, the chunks removed since (the removal log, kept for the last generations) go out, and the
result must hold as many postings as the term's frequency says, or it is read again. The
database stays the system of record; what is held here is only ever a copy of it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

POSTING_BYTES = 16  # a key (8 bytes), its tf and length (4 each)


@dataclass(frozen=True)
class PostingList:
    """A term's postings at a version: chunk keys ascending, with their tf and length."""

    version: int
    keys: NDArray[np.int64]
    tf: NDArray[np.int32]
    length: NDArray[np.int32]

    @classmethod
    def of(
        cls, version: int, rows: NDArray[np.int64] | Sequence[tuple[int, int, int]]
    ) -> PostingList:
        """From ``(chunk key, tf, length)`` rows in any order (of rows of one key, the last)."""
        table = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
        table = table[np.argsort(table[:, 0], kind="stable")]
        if len(table) > 1:
            last = np.append(table[1:, 0] != table[:-1, 0], True)
            table = table[last]
        return cls(
            version,
            np.ascontiguousarray(table[:, 0]),
            table[:, 1].astype(np.int32),
            table[:, 2].astype(np.int32),
        )

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + self.tf.nbytes + self.length.nbytes

    def patched(
        self, version: int, removed: NDArray[np.int64], added: NDArray[np.int64]
    ) -> PostingList:
        """This list at a later version: without the ``removed`` keys, with the ``added`` rows
        (which win over a row of the same key already here)."""
        kept = ~np.isin(self.keys, removed)
        table = np.column_stack((self.keys[kept], self.tf[kept], self.length[kept]))
        return PostingList.of(version, np.concatenate([table, added]))

    def holds(self, keys: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Which of ``keys`` this list holds."""
        if not len(self.keys):
            return np.zeros(len(keys), dtype=bool)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        found: NDArray[np.bool_] = self.keys[at] == keys
        return found


class PostingMemory:
    """The lists of terms held by more than ``min_df`` chunks, within ``budget`` bytes;
    ``loads`` and ``patches`` count the lists read whole and brought up to date."""

    def __init__(self, budget: int, min_df: int) -> None:
        self.budget = budget
        self.min_df = min_df
        self.held = 0  # bytes
        self.loads = self.patches = 0
        self._lists: OrderedDict[tuple[int, str], PostingList] = OrderedDict()

    def __len__(self) -> int:
        return len(self._lists)

    def get(self, collection_id: int, term: str) -> PostingList | None:
        """The list held for this term, at whatever version."""
        key = (collection_id, term)
        found = self._lists.get(key)
        if found is not None:
            self._lists.move_to_end(key)
        return found

    def put(self, collection_id: int, term: str, postings: PostingList) -> None:
        """Hold the list (in place of the term's earlier one), making room by dropping the
        least recently used (a list larger than the whole budget is not held)."""
        key = (collection_id, term)
        if key in self._lists:
            self._drop(key)
        if postings.nbytes > self.budget:
            return
        while self.held + postings.nbytes > self.budget:
            self._drop(next(iter(self._lists)))
        self._lists[key] = postings
        self.held += postings.nbytes

    def _drop(self, key: tuple[int, str]) -> None:
        self.held -= self._lists.pop(key).nbytes


def best(
    lists: Mapping[str, PostingList],
    weights: Mapping[str, float],
    saturation: tuple[float, float, float],
    limit: int,
) -> list[tuple[int, float, set[str]]]:
    """The ``limit`` best chunks by ``sum(w(t) * tf * s0 / (tf + s1 + s2 * length))`` over the
    lists of the terms of ``weights`` (what ``LexicalRepository.score`` sums in SQL), ties by
    key, with the terms each holds."""
    s0, s1, s2 = saturation
    used = [term for term in weights if len(lists[term].keys)]
    if not used:
        return []
    parts = []
    for term in used:
        tf = lists[term].tf.astype(np.float64)
        parts.append(weights[term] * tf * s0 / (tf + s1 + s2 * lists[term].length))
    keys, scores = _sum_by_key([lists[term].keys for term in used], parts)
    chosen = np.arange(len(keys))
    if len(keys) > limit:  # every chunk scoring at least the limit-th best, ties included
        cut = np.partition(scores, len(keys) - limit)[len(keys) - limit]
        chosen = np.flatnonzero(scores >= cut)
    chosen = chosen[np.lexsort((keys[chosen], -scores[chosen]))][:limit]
    top = keys[chosen]
    held: list[set[str]] = [set() for _ in chosen]
    for term in used:
        for i in np.flatnonzero(lists[term].holds(top)):
            held[i].add(term)
    return [
        (int(key), float(score), terms)
        for key, score, terms in zip(top, scores[chosen], held, strict=True)
    ]


DENSE = 4  # sum over the keys' range when it spans at most this many times the postings


def _sum_by_key(
    keys: list[NDArray[np.int64]], parts: list[NDArray[np.float64]]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The distinct keys, ascending, and the sum of the parts of each. A collection's chunk
    keys are mostly close together: then one pass over an array spanning their range (no sort);
    else a sort of the keys."""
    every, values = np.concatenate(keys), np.concatenate(parts)
    low, high = int(every.min()), int(every.max())
    if high - low + 1 <= DENSE * len(every):
        sums = np.bincount(every - low, weights=values, minlength=high - low + 1)
        held = np.flatnonzero(sums)  # a held term adds more than 0: its IDF and tf are
        return (held + low).astype(np.int64), sums[held].astype(np.float64)
    distinct, inverse = np.unique(every, return_inverse=True)
    sums = np.bincount(inverse, weights=values, minlength=len(distinct))
    return distinct, sums.astype(np.float64)
