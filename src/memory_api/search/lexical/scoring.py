"""BM25 (Robertson and Zaragoza's form, Lucene's IDF), its constants folded for the SQL sum."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class BM25:
    """``idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg_length))``."""

    k1: float = 1.2
    b: float = 0.75

    @staticmethod
    def idf(chunks: int, df: int) -> float:
        """``ln(1 + (N - df + 0.5) / (df + 0.5))``: positive even for a term in every chunk."""
        return math.log(1 + (chunks - df + 0.5) / (df + 0.5))

    def saturation(self, chunks: int, total_length: int) -> tuple[float, float, float]:
        """``(s0, s1, s2)`` with ``tf * (k1 + 1) / (...) = tf * s0 / (tf + s1 + s2 * length)``."""
        average = total_length / chunks if chunks and total_length else 1.0
        return self.k1 + 1, self.k1 * (1 - self.b), self.k1 * self.b / average

    def score(self, tf: int, length: int, chunks: int, total_length: int, df: int) -> float:
        """One term's score in Python: what the SQL sum adds up, for tests and explanations."""
        s0, s1, s2 = self.saturation(chunks, total_length)
        return self.idf(chunks, df) * tf * s0 / (tf + s1 + s2 * length)
