"""The draw: pool aggregate, per-member draw record, O(1) alias sampling.

Theory of operation
-------------------
A host stores one `PoolState` per pool (wins per prize today and in total;
inventory left is derived) and one `MemberDraws` per member (wins per prize, losses in a
row). A draw reads both and returns new values of both; neither holds a
collection that grows with members or draws, so a draw copies a few
per-prize tuples (one int per prize) and nothing else.

The pool keeps a cached `AliasTable` built from the *effective* weights:
the configured weights with every pool-blocked prize (sold out, or daily cap
reached) set to zero, and, under `RunOut.CONSOLATION`, its weight moved to
the consolation prize. **Rebuild rule:** the table is rebuilt only when the
set of pool-blocked prizes changes (a prize sells out, hits its daily cap, or
a new local day lifts the caps); otherwise every draw reuses it, so a draw
is O(1): one ``randrange`` plus a constant amount of bookkeeping.

What a single member cannot win (their per-member limit reached, or an
order-free prize on an entry without an order) is *not* in the shared table.
Under `RunOut.CONSOLATION` such a pick becomes the consolation prize; under
`RunOut.REDISTRIBUTE` the draw is repeated (rejection sampling, at most 8
times, then an exact O(n) draw over what the member can still win), which
yields exactly the renormalised distribution.

A guaranteed draw (保底: the member has lost ``within_draws - 1`` times in a
row) picks among the guaranteed prizes the member can still win, by their
weights, with an O(n) scan (it happens once every N draws at most). If none
of them can be won any more, the draw is an ordinary one.

Invariants: a prize is never awarded beyond its inventory, its daily cap, or
a member's limit; the chance of each prize equals its effective weight over
the effective total, exactly (integer arithmetic).
"""

from __future__ import annotations

import random

import attrs

from sirui.campaigns.lottery._alias import AliasTable, sample_weighted
from sirui.campaigns.lottery._policy import OrderFreeReward, Prize, PrizePool, RunOut
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.windows import DateTime, PeriodKind, aware, period_containing
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "LIMIT_REACHED",
    "POOL_EXHAUSTED",
    "Drawn",
    "MemberDraws",
    "PoolState",
    "draw",
]

POOL_EXHAUSTED = reason_code(
    "lottery.pool_exhausted",
    zh="奖品已全部抽完",
    en="Every prize in pool {pool} has run out",
)
LIMIT_REACHED = reason_code(
    "lottery.limit_reached",
    zh="您已达到中奖上限",
    en="You have reached the win limit of every prize left in pool {pool}",
)

_REJECTION_TRIES = 8


@attrs.frozen(slots=True)
class _PoolFacts:
    """Per-prize facts derived once per pool and shared by every state (never copied)."""

    n: int
    inventory: tuple[int | None, ...]
    limits: tuple[int | None, ...]
    caps: tuple[int | None, ...]
    is_loss: tuple[bool, ...]
    order_free: tuple[bool, ...]
    consolation: int | None
    to_consolation: bool
    guarantee_n: int | None
    guaranteed: frozenset[int]

    @classmethod
    def of(cls, pool: PrizePool) -> _PoolFacts:
        g = pool.guarantee
        return cls(
            n=len(pool.prizes),
            inventory=tuple(p.inventory for p in pool.prizes),
            limits=tuple(p.per_member_limit for p in pool.prizes),
            caps=tuple(p.daily_cap for p in pool.prizes),
            is_loss=tuple(p.reward.is_loss for p in pool.prizes),
            order_free=tuple(isinstance(p.reward, OrderFreeReward) for p in pool.prizes),
            consolation=None if pool.consolation_id is None else pool.index[pool.consolation_id],
            to_consolation=pool.on_run_out is RunOut.CONSOLATION,
            guarantee_n=None if g is None else g.within_draws,
            guaranteed=frozenset() if g is None else frozenset(pool.index[i] for i in g.prize_ids),
        )


def _effective(pool: PrizePool, facts: _PoolFacts, blocked: int) -> list[int]:
    ws = list(pool.weights)
    moved = 0
    for i in range(facts.n):
        if blocked >> i & 1:
            moved += ws[i]
            ws[i] = 0
    if moved and facts.to_consolation and facts.consolation is not None:
        ws[facts.consolation] += moved
    return ws


def _table(pool: PrizePool, facts: _PoolFacts, blocked: int) -> AliasTable | None:
    ws = _effective(pool, facts, blocked)
    return AliasTable.build(ws) if any(ws) else None


@attrs.frozen(slots=True)
class PoolState:
    """The pool aggregate (奖池状态): inventories left, today's wins, totals, cached table.

    Build it with `PoolState.open`; advance it only through `draw`.
    """

    pool: PrizePool
    won_today: tuple[int, ...]
    """Wins per prize in the local day ``[day_start, day_end)``."""
    awarded: tuple[int, ...]
    """Wins per prize since the pool opened."""
    day_start: DateTime
    day_end: DateTime
    blocked: int
    """Bit ``i`` set: prize ``i`` is sold out or capped today (the table excludes it)."""
    table: AliasTable | None = attrs.field(eq=False, repr=False)
    facts: _PoolFacts = attrs.field(eq=False, repr=False)

    @classmethod
    def open(cls, pool: PrizePool, now: DateTime) -> PoolState:
        """A fresh pool at ``now``: full inventories, nothing won."""
        if not isinstance(pool, PrizePool):
            raise invalid("pool", pool, "must be a PrizePool")
        day = period_containing(PeriodKind.DAY, aware(now), pool.tz)
        assert day.end is not None
        facts = _PoolFacts.of(pool)
        zeros = (0,) * facts.n
        blocked = _blocked(facts, facts.inventory, zeros)
        return cls(pool, zeros, zeros, day.start, day.end, blocked,
                   _table(pool, facts, blocked), facts)

    @property
    def remaining(self) -> tuple[int | None, ...]:
        """Inventory left per prize (None: unlimited)."""
        return tuple(
            None if inv is None else inv - won
            for inv, won in zip(self.facts.inventory, self.awarded)
        )

    def is_available(self, prize_id: str) -> bool:
        """True if the prize can still be won by someone today."""
        return not self.blocked >> self.pool.index[prize_id] & 1

    def _roll_day(self, now: DateTime) -> PoolState:
        if now < self.day_start:
            raise InvalidCommandError(
                f"now={now}: before the pool's current day starting {self.day_start}; "
                "draws must arrive in time order"
            )
        day = period_containing(PeriodKind.DAY, aware(now), self.pool.tz)
        assert day.end is not None
        zeros = (0,) * self.facts.n
        blocked = _blocked(self.facts, self.remaining, zeros)
        table = self.table if blocked == self.blocked else _table(self.pool, self.facts, blocked)
        return PoolState(self.pool, zeros, self.awarded, day.start, day.end,
                         blocked, table, self.facts)


def _blocked(facts: _PoolFacts, remaining: tuple[int | None, ...], won: tuple[int, ...]) -> int:
    mask = 0
    for i in range(facts.n):
        r, cap = remaining[i], facts.caps[i]
        if r == 0 or (cap is not None and won[i] >= cap):
            mask |= 1 << i
    return mask


@attrs.frozen(slots=True)
class MemberDraws:
    """One member's draw record in one pool: wins per prize and losses in a row."""

    member_id: str
    wins: tuple[int, ...]
    losses_in_a_row: int = 0

    @classmethod
    def new(cls, member_id: str, pool: PrizePool) -> MemberDraws:
        if not isinstance(member_id, str) or not member_id:
            raise invalid("member_id", member_id, "must be a non-empty string")
        return cls(member_id, (0,) * len(pool.prizes))


@attrs.frozen(slots=True)
class Drawn:
    """A completed draw: the prize, the new pool and member records."""

    index: int
    prize: Prize
    pool: PoolState
    member: MemberDraws
    guaranteed: bool
    """True if the guarantee (保底) decided this draw."""


def _member_ok(facts: _PoolFacts, i: int, member: MemberDraws, order_ok: bool) -> bool:
    lim = facts.limits[i]
    if lim is not None and member.wins[i] >= lim:
        return False
    return order_ok or not facts.order_free[i]


def _exact_among(weights: tuple[int, ...], keep: list[bool], rng: random.Random) -> int | None:
    ws = [w if k else 0 for w, k in zip(weights, keep)]
    return sample_weighted(ws, rng) if any(ws) else None


def draw(
    state: PoolState,
    member: MemberDraws,
    rng: random.Random,
    now: DateTime,
    *,
    order_free_ok: bool = True,
) -> Drawn | Reason:
    """Draw one prize for ``member``; O(1) unless a rebuild or a fallback is due.

    Args:
        state: the pool aggregate.
        member: the member's draw record in this pool.
        rng: ``secrets.SystemRandom()`` in production, a seeded
            ``random.Random`` in simulations and tests.
        now: the draw time (tz-aware); draws must arrive in time order.
        order_free_ok: False when the entry is not tied to an order, so an
            order-free prize cannot be won on it.

    Returns:
        `Drawn`, or the `Reason` nothing could be drawn
        (``lottery.pool_exhausted``, ``lottery.limit_reached``).
    """
    if not (state.day_start <= now < state.day_end):
        state = state._roll_day(now)
    facts = state.facts
    table = state.table
    if table is None:
        return POOL_EXHAUSTED(pool=state.pool.id)
    i: int | None = None
    guaranteed = False
    if facts.guarantee_n is not None and member.losses_in_a_row >= facts.guarantee_n - 1:
        keep = [
            j in facts.guaranteed and _member_ok(facts, j, member, order_free_ok)
            for j in range(facts.n)
        ]
        i = _exact_among(table.weights, keep, rng)
        guaranteed = i is not None
    if i is None:
        i = table.sample(rng)
        if not _member_ok(facts, i, member, order_free_ok):
            i = _fallback(state, member, rng, order_free_ok)
            if i is None:
                return LIMIT_REACHED(pool=state.pool.id)
    return _award(state, member, i, guaranteed)


def _fallback(
    state: PoolState, member: MemberDraws, rng: random.Random, order_ok: bool
) -> int | None:
    facts = state.facts
    if facts.to_consolation:
        return facts.consolation
    table = state.table
    assert table is not None
    for _ in range(_REJECTION_TRIES):
        i = table.sample(rng)
        if _member_ok(facts, i, member, order_ok):
            return i
    keep = [_member_ok(facts, j, member, order_ok) for j in range(facts.n)]
    return _exact_among(table.weights, keep, rng)


def _bump(t: tuple[int, ...], i: int) -> tuple[int, ...]:
    out = list(t)
    out[i] += 1
    return tuple(out)


def _award(state: PoolState, member: MemberDraws, i: int, guaranteed: bool) -> Drawn:
    facts = state.facts
    won_today = _bump(state.won_today, i)
    awarded = _bump(state.awarded, i)
    blocked, table = state.blocked, state.table
    inv, cap = facts.inventory[i], facts.caps[i]
    if (inv is not None and awarded[i] >= inv) or (cap is not None and won_today[i] >= cap):
        blocked |= 1 << i
        table = _table(state.pool, facts, blocked)
    pool = PoolState(state.pool, won_today, awarded, state.day_start, state.day_end, blocked,
                     table, facts)
    losses = member.losses_in_a_row + 1 if facts.is_loss[i] else 0
    mem = MemberDraws(member.member_id, _bump(member.wins, i), losses)
    return Drawn(i, state.pool.prizes[i], pool, mem, guaranteed)
