"""Many draws at once for analysts: pool-level simulation, vectorised with numpy.

`simulate_draws` runs ``draws`` draws by anonymous members (every draw from
a different member, so per-member limits and the guarantee do not bind)
honouring inventories, daily caps and the run-out rule. With numpy it
samples the alias table in vectorised chunks and cuts a chunk at the first
draw that sells out or caps a prize, rebuilding the table there (the same
rebuild rule as `draw`); without numpy it loops in Python. Results are
reproducible from ``seed`` (numpy's and Python's streams differ, so the two
paths give different but equally distributed counts).
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import attrs

from sirui.campaigns.lottery._alias import AliasTable
from sirui.campaigns.lottery._policy import PrizePool
from sirui.campaigns.lottery._pool import _blocked, _PoolFacts, _table
from sirui.core.errors import invalid

__all__ = ["LotterySimulation", "simulate_draws"]

_CHUNK = 1 << 16


@attrs.frozen(slots=True)
class LotterySimulation:
    """Counts per prize after a simulated run."""

    prize_ids: tuple[str, ...]
    counts: tuple[int, ...]
    draws: int
    """Draws made (fewer than asked if every prize ran out)."""

    def rates(self) -> dict[str, Decimal]:
        """Empirical win rate per prize id."""
        d = Decimal(max(self.draws, 1))
        return {p: Decimal(c) / d for p, c in zip(self.prize_ids, self.counts)}

    def as_dict(self) -> dict[str, int]:
        return dict(zip(self.prize_ids, self.counts))


def simulate_draws(
    pool: PrizePool, draws: int, seed: int = 0, *, draws_per_day: int | None = None
) -> LotterySimulation:
    """Simulate ``draws`` anonymous draws on a fresh ``pool``.

    Args:
        pool: the prize pool.
        draws: how many draws to make.
        seed: the seed of the random stream.
        draws_per_day: if given, daily caps reset after this many draws.
    """
    if type(draws) is not int or draws < 0:
        raise invalid("draws", draws, "must be an int >= 0")
    if draws_per_day is not None and (type(draws_per_day) is not int or draws_per_day < 1):
        raise invalid("draws_per_day", draws_per_day, "must be None or an int >= 1")
    np: Any
    try:
        import numpy as np
    except ModuleNotFoundError:
        np = None
    facts = _PoolFacts.of(pool)
    n = facts.n
    remaining = [p.inventory for p in pool.prizes]
    won_today = [0] * n
    counts = [0] * n
    limited = [i for i in range(n) if remaining[i] is not None or facts.caps[i] is not None]
    gen = np.random.default_rng(seed) if np is not None else None
    pyrng = random.Random(seed)
    done = 0
    blocked = _blocked(facts, tuple(remaining), tuple(won_today))
    table = _table(pool, facts, blocked)
    while done < draws and table is not None:
        chunk = min(draws - done, _CHUNK)
        if draws_per_day is not None:
            chunk = min(chunk, draws_per_day - done % draws_per_day)
        room = {i: _room(remaining[i], facts.caps[i], won_today[i]) for i in limited}
        if gen is not None:
            picks = _numpy_picks(np, gen, table, chunk)
            cut = chunk
            for i, r in room.items():
                where = np.flatnonzero(picks[:cut] == i)
                if r and len(where) >= r:
                    cut = min(cut, int(where[r - 1]) + 1)
            taken = [int(c) for c in np.bincount(picks[:cut], minlength=n)]
        else:
            taken, cut = [0] * n, 0
            while cut < chunk:
                i = table.sample(pyrng)
                taken[i] += 1
                cut += 1
                if i in room and taken[i] >= room[i]:
                    break
        for i in range(n):
            counts[i] += taken[i]
            won_today[i] += taken[i]
            left = remaining[i]
            if left is not None:
                remaining[i] = left - taken[i]
        done += cut
        if draws_per_day is not None and done % draws_per_day == 0:
            won_today = [0] * n
        new_blocked = _blocked(facts, tuple(remaining), tuple(won_today))
        if new_blocked != blocked:
            blocked, table = new_blocked, _table(pool, facts, new_blocked)
    return LotterySimulation(tuple(p.id for p in pool.prizes), tuple(counts), done)


def _room(remaining: int | None, cap: int | None, won_today: int) -> int:
    rooms = [r for r in (remaining, None if cap is None else cap - won_today) if r is not None]
    return min(rooms) if rooms else 0


def _numpy_picks(np: Any, gen: Any, table: AliasTable, size: int) -> Any:
    cut = np.asarray(table.cut, dtype=np.int64)
    alias = np.asarray(table.alias, dtype=np.int64)
    cols = gen.integers(0, len(table.cut), size=size)
    u = gen.integers(0, table.total, size=size, dtype=np.int64)
    return np.where(u < cut[cols], cols, alias[cols])
