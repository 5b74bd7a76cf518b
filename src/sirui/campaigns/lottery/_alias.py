"""Vose's alias method in exact integer arithmetic.

With integer weights ``w`` (total ``W``) over ``n`` outcomes, each column
``i`` of the table holds a threshold ``cut[i]`` in ``[0, W]`` and an alias.
One uniform integer ``r`` in ``[0, n*W)`` picks column ``r // W`` and keeps
it when ``r % W < cut[i]``, else takes its alias. Every outcome then has
probability exactly ``w[i] / W``: no floats, no rounding, so the fairness
tests compare against exact rates. Building is O(n); sampling is O(1) (one
``randrange`` call).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import attrs

__all__ = ["AliasTable", "sample_weighted"]


@attrs.frozen(slots=True)
class AliasTable:
    """A prebuilt alias table over integer weights (zero weights are never drawn)."""

    weights: tuple[int, ...]
    total: int
    cut: tuple[int, ...]
    alias: tuple[int, ...]
    span: int
    """``len(weights) * total``: the range of the one random integer a draw needs."""

    @classmethod
    def build(cls, weights: Sequence[int]) -> AliasTable:
        n = len(weights)
        total = sum(weights)
        if n == 0 or total <= 0 or any(w < 0 for w in weights):
            raise ValueError(f"weights={list(weights)!r}: need non-negative ints, one positive")
        scaled = [w * n for w in weights]
        cut = [0] * n
        alias = list(range(n))
        small = [i for i, s in enumerate(scaled) if s < total]
        large = [i for i, s in enumerate(scaled) if s >= total]
        while small and large:
            lo, hi = small.pop(), large.pop()
            cut[lo] = scaled[lo]
            alias[lo] = hi
            scaled[hi] -= total - scaled[lo]
            (small if scaled[hi] < total else large).append(hi)
        # What is left holds exactly `total` each (integer arithmetic: no drift).
        for i in small + large:
            cut[i] = total
        return cls(tuple(weights), total, tuple(cut), tuple(alias), n * total)

    def sample(self, rng: random.Random) -> int:
        """One outcome index, with probability exactly ``weights[i] / total``."""
        col, u = divmod(rng.randrange(self.span), self.total)
        return col if u < self.cut[col] else self.alias[col]


def sample_weighted(weights: Sequence[int], rng: random.Random) -> int:
    """An index with probability ``weights[i] / sum(weights)`` by a linear scan (O(n))."""
    r = rng.randrange(sum(weights))
    for i, w in enumerate(weights):
        if r < w:
            return i
        r -= w
    raise AssertionError("unreachable: r < sum(weights)")  # pragma: no cover
