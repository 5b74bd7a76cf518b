"""Shared pieces of the benchmark modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """One benchmark: ``fn`` is timed per call; ``setup`` (if given) builds ``fn``.

    ``number`` fixes the calls per repeat (else auto-ranged); ``heavy`` cases
    are skipped by ``--quick``.
    """

    name: str
    fn: Callable[[], object] | None = None
    setup: Callable[[], Callable[[], object]] | None = None
    number: int = 0
    repeats: int = 0
    heavy: bool = False
    timer: Callable[[], float] | None = None
    """Self-timed case: each repeat calls it and records the seconds it returns."""


def ratio(medians: dict[str, float], num: str, den: str) -> dict[str, float]:
    """``{f"{num}_over_{den}": num/den}`` if both were measured."""
    if num in medians and den in medians and medians[den] > 0:
        return {f"{num}_over_{den}": medians[num] / medians[den]}
    return {}
