"""The draw: exact alias sampling, scarcity rules, limits and the guarantee."""

from __future__ import annotations

import random
from decimal import Decimal

import attrs
import pendulum
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sirui.campaigns.lottery import (
    AliasTable,
    CouponReward,
    Drawn,
    Guarantee,
    ItemReward,
    MemberDraws,
    OrderFreeReward,
    PointsReward,
    PoolState,
    Prize,
    PrizePool,
    RunOut,
    ThanksReward,
    draw,
)
from sirui.campaigns.lottery._pool import _effective
from sirui.core.errors import InvalidCommandError
from sirui.core.money import Money
from sirui.rules import Reason

from ._strategies import pools

NOW = pendulum.datetime(2026, 11, 26, 10, tz="Asia/Shanghai")
THANKS = Prize("thanks", ThanksReward(), weight=90)


class _Counter(random.Random):
    """A fake rng whose randrange walks 0, 1, 2, ...: enumerates every outcome once."""

    def __init__(self) -> None:
        super().__init__(0)
        self.next = 0

    def randrange(self, n: int, *_: object) -> int:  # type: ignore[override]
        value = self.next % n
        self.next += 1
        return value


@given(st.lists(st.integers(0, 40), min_size=1, max_size=9).filter(any))
def test_alias_table_is_exact(weights: list[int]) -> None:
    # Every one of the n*W equally likely random integers maps to one outcome; outcome i
    # gets exactly n*w_i of them, i.e. probability w_i / W with no rounding at all.
    table = AliasTable.build(weights)
    rng = _Counter()
    counts = [0] * len(weights)
    for _ in range(table.span):
        counts[table.sample(rng)] += 1
    assert counts == [len(weights) * w for w in weights]


def _pool(*prizes: Prize, mode: RunOut = RunOut.REDISTRIBUTE, g: Guarantee | None = None,
          ) -> PrizePool:
    return PrizePool("p", (*prizes, THANKS), on_run_out=mode, consolation_id="thanks",
                     guarantee=g)


def _run(pool: PrizePool, member: str, n: int, seed: int = 1) -> tuple[PoolState, MemberDraws,
                                                                         list[str]]:
    state, m = PoolState.open(pool, NOW), MemberDraws.new(member, pool)
    rng, won = random.Random(seed), []
    for _ in range(n):
        got = draw(state, m, rng, NOW)
        assert isinstance(got, Drawn)
        state, m = got.pool, got.member
        won.append(got.prize.id)
    return state, m, won


def test_sold_out_prize_falls_to_thanks_under_consolation() -> None:
    # 2 bottles at weight 10 of 100; once both are gone their 10% becomes 谢谢参与.
    bottle = Prize("bottle", ItemReward("sku-bottle"), weight=10, inventory=2)
    state, _, won = _run(_pool(bottle, mode=RunOut.CONSOLATION), "m1", 300)
    assert won.count("bottle") == 2
    assert state.remaining == (0, None)
    assert state.table is not None
    assert state.table.weights == (0, 100)


def test_sold_out_prize_is_redistributed_by_default() -> None:
    a = Prize("a", PointsReward(10), weight=10, inventory=1)
    b = Prize("b", PointsReward(5), weight=30)
    state, _, won = _run(_pool(a, b), "m1", 200)
    assert won.count("a") == 1
    assert state.table is not None
    assert state.table.weights == (0, 30, 90)  # a's share spread over b and thanks 1:3


def test_member_limit_one_coupon_per_member() -> None:
    coupon = Prize("c", CouponReward("c10"), weight=50, per_member_limit=1)
    state, m, won = _run(_pool(coupon), "m1", 100)
    assert won.count("c") == 1
    assert m.wins == (1, 99)
    # Another member can still win it: the limit is per member, not per pool.
    other = MemberDraws.new("m2", state.pool)
    rng = random.Random(5)
    wins = 0
    for _ in range(50):
        got = draw(state, other, rng, NOW)
        assert isinstance(got, Drawn)
        state, other = got.pool, got.member
        wins += got.prize.id == "c"
    assert wins == 1


def test_daily_cap_resets_at_local_midnight() -> None:
    cash = Prize("cash", ItemReward("sku-wipes"), weight=500, daily_cap=3)
    pool = _pool(cash)
    state, rng = PoolState.open(pool, NOW), random.Random(2)
    won: dict[int, int] = {}
    for day in range(3):
        at = NOW.add(days=day)
        for k in range(40):
            got = draw(state, MemberDraws.new(f"m{day}-{k}", pool), rng, at)
            assert isinstance(got, Drawn)
            state = got.pool
            won[day] = won.get(day, 0) + (got.prize.id == "cash")
    assert won == {0: 3, 1: 3, 2: 3}


def test_draws_must_come_in_time_order() -> None:
    pool = _pool(Prize("a", PointsReward(1), weight=1, daily_cap=1))
    state = PoolState.open(pool, NOW)
    with pytest.raises(InvalidCommandError):
        draw(state, MemberDraws.new("m", pool), random.Random(1), NOW.subtract(days=1))


def test_guarantee_tenth_draw_wins() -> None:
    # 保底: 10 draws in a row never all lose; the guaranteed draw picks the coupon.
    coupon = Prize("c", CouponReward("c5"), weight=1)
    _, m, won = _run(_pool(coupon, g=Guarantee(10, frozenset({"c"}))), "m1", 200, seed=9)
    streak = longest = 0
    for p in won:
        streak = streak + 1 if p == "thanks" else 0
        longest = max(longest, streak)
    assert longest == 9
    assert m.losses_in_a_row < 10


def test_order_free_needs_an_order_entry() -> None:
    free = Prize("free", OrderFreeReward(Money.of("200")), weight=1000)
    pool = _pool(free)
    state, m = PoolState.open(pool, NOW), MemberDraws.new("m1", pool)
    got = draw(state, m, random.Random(1), NOW, order_free_ok=False)
    assert isinstance(got, Drawn)
    assert got.prize.id == "thanks"


def test_exhausted_pool_and_limit_reached_are_reasons() -> None:
    only = PrizePool("p", (Prize("a", PointsReward(1), weight=1, inventory=1),
                           Prize("b", PointsReward(2), weight=1, per_member_limit=1)))
    state, m = PoolState.open(only, NOW), MemberDraws.new("m1", only)
    rng = random.Random(1)
    for _ in range(2):
        got = draw(state, m, rng, NOW)
        assert isinstance(got, Drawn)
        state, m = got.pool, got.member
    again = draw(state, MemberDraws.new("m2", only), rng, NOW)
    assert isinstance(again, Drawn)
    assert again.prize.id == "b"
    limited = draw(state, m, rng, NOW)
    assert isinstance(limited, Reason)
    assert limited.code == "lottery.limit_reached"
    empty = draw(again.pool, again.member, rng, NOW)
    assert isinstance(empty, Reason)
    assert empty.code == "lottery.limit_reached"
    sold = PrizePool("q", (Prize("a", PointsReward(1), weight=1, inventory=0),))
    out = draw(PoolState.open(sold, NOW), MemberDraws.new("m", sold), rng, NOW)
    assert isinstance(out, Reason)
    assert out.code == "lottery.pool_exhausted"


@given(pools(), st.lists(st.tuples(st.integers(0, 3), st.integers(0, 30)), max_size=60),
       st.randoms(use_true_random=False))
def test_never_beyond_inventory_caps_or_member_limits(
    pool: PrizePool, plan: list[tuple[int, int]], rng: random.Random
) -> None:
    state = PoolState.open(pool, NOW)
    members = {k: MemberDraws.new(f"m{k}", pool) for k in range(4)}
    hours = 0
    for who, wait in plan:
        hours += wait
        got = draw(state, members[who], rng, NOW.add(hours=hours))
        if isinstance(got, Reason):
            assert got.code in {"lottery.limit_reached", "lottery.pool_exhausted"}
            continue
        state, members[who] = got.pool, got.member
        # The cached table always matches the effective weights of the blocked set.
        assert state.table is not None
        assert state.table.weights == tuple(_effective(pool, state.facts, state.blocked))
        for i, p in enumerate(pool.prizes):
            if p.inventory is not None:
                assert state.awarded[i] <= p.inventory
                assert state.remaining[i] == p.inventory - state.awarded[i]
            if p.daily_cap is not None:
                assert state.won_today[i] <= p.daily_cap
            if p.per_member_limit is not None:
                assert all(m.wins[i] <= p.per_member_limit for m in members.values())


@given(pools(guarantee=True), st.integers(1, 80), st.randoms(use_true_random=False))
def test_guaranteed_prize_arrives_by_the_nth_draw(
    pool: PrizePool, n: int, rng: random.Random
) -> None:
    g = pool.guarantee
    assume(g is not None)
    assert g is not None
    # Make the guaranteed prizes plentiful so the guarantee can always be honoured.
    prizes = tuple(
        attrs.evolve(p, reward=PointsReward(1), inventory=None, per_member_limit=None,
                     daily_cap=None) if p.id in g.prize_ids
        else p for p in pool.prizes
    )
    pool = PrizePool(pool.id, prizes, on_run_out=pool.on_run_out,
                     consolation_id=pool.consolation_id, guarantee=g)
    state, m = PoolState.open(pool, NOW), MemberDraws.new("m1", pool)
    streak = 0
    for _ in range(n):
        got = draw(state, m, rng, NOW)
        assert isinstance(got, Drawn)
        state, m = got.pool, got.member
        streak = streak + 1 if got.prize.reward.is_loss else 0
        assert streak < g.within_draws
        if got.guaranteed:
            assert got.prize.id in g.prize_ids


def test_probability_pool_uses_exact_integer_weights() -> None:
    pool = _pool(Prize("a", PointsReward(1), weight=1))
    assert pool.probabilities()[0] == Decimal(1) / Decimal(91)
