"""Fairness evidence: empirical win rates match the configured odds (chi-square).

Method. For a pool with configured probabilities p_1..p_k we make N seeded
draws through the production code path (`draw`) and count wins O_i. Under
the hypothesis that the sampler is fair, E_i = N * p_i and the statistic

    X^2 = sum_i (O_i - E_i)^2 / E_i

follows a chi-square distribution with k - 1 degrees of freedom. We reject
fairness at significance alpha = 0.001, i.e. when X^2 exceeds the critical
value below (standard table values, so no scipy is needed). Seeds are fixed
so the suite is deterministic; each test also checks that the same counts
*fail* against slightly wrong odds, which shows the test has the power to
catch a biased sampler. Every expected count is far above 5, the usual
validity condition.

Production code should pass ``secrets.SystemRandom()`` as ``rng``; these
tests pass ``random.Random(seed)`` so a failure reproduces exactly.
"""

from __future__ import annotations

import random
import sys
from decimal import Decimal

import pendulum
import pytest

from sirui.campaigns.lottery import (
    CouponReward,
    Drawn,
    Guarantee,
    MemberDraws,
    PointsReward,
    PoolState,
    Prize,
    PrizePool,
    RunOut,
    ThanksReward,
    draw,
    simulate_draws,
)

NOW = pendulum.datetime(2026, 11, 26, 10, tz="Asia/Shanghai")

#: Upper 0.1% points of the chi-square distribution, by degrees of freedom.
CRITICAL_001 = {1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467, 5: 20.515, 6: 22.458, 7: 24.322}

ODDS = ("0.005", "0.01", "0.02", "0.05", "0.08", "0.12", "0.2")


def chi_square(observed: list[int], probabilities: list[Decimal]) -> float:
    n = sum(observed)
    return sum(
        (o - n * float(p)) ** 2 / (n * float(p)) for o, p in zip(observed, probabilities) if p
    )


def _eight_prize_pool(inventory: int | None = None, mode: RunOut = RunOut.REDISTRIBUTE,
                      ) -> PrizePool:
    prizes = tuple(
        Prize(f"p{i}", CouponReward(f"c{i}"), probability=Decimal(p), inventory=inventory)
        for i, p in enumerate(ODDS)
    )
    return PrizePool("fair", (*prizes, Prize("thanks", ThanksReward())),
                     on_run_out=mode, consolation_id="thanks")


def _counts(pool: PrizePool, n: int, seed: int, member: MemberDraws | None = None,
            advance_member: bool = False) -> tuple[list[int], PoolState]:
    state, rng = PoolState.open(pool, NOW), random.Random(seed)
    counts = [0] * len(pool.prizes)
    for k in range(n):
        m = member if member is not None else MemberDraws.new(f"m{k}", pool)
        got = draw(state, m, rng, NOW)
        assert isinstance(got, Drawn)
        state = got.pool
        if advance_member:
            member = got.member
        counts[got.index] += 1
    return counts, state


def test_eight_prize_pool_rates_match_configured_probabilities() -> None:
    pool = _eight_prize_pool()
    counts, _ = _counts(pool, 200_000, seed=20261126)
    probs = list(pool.probabilities())
    assert probs[-1] == Decimal("0.515")
    stat = chi_square(counts, probs)
    assert stat < CRITICAL_001[7], (stat, counts)
    # Power: the same counts reject odds that differ by 10% on one prize.
    skewed = [*probs]
    skewed[6], skewed[7] = Decimal("0.22"), Decimal("0.495")
    assert chi_square(counts, skewed) > CRITICAL_001[7]


def test_inventories_are_never_exceeded_and_rates_hold_until_sell_out() -> None:
    pool = _eight_prize_pool(inventory=300, mode=RunOut.CONSOLATION)
    state, rng = PoolState.open(pool, NOW), random.Random(7)
    before_first_sell_out = [0] * len(pool.prizes)
    for k in range(40_000):
        got = draw(state, MemberDraws.new(f"m{k}", pool), rng, NOW)
        assert isinstance(got, Drawn)
        if state.blocked == 0:
            before_first_sell_out[got.index] += 1
        state = got.pool
    assert all(a <= 300 for a in state.awarded[:-1])
    assert state.awarded[6] == state.awarded[5] == 300  # the common prizes sold out
    assert sum(state.awarded) == 40_000
    stat = chi_square(before_first_sell_out, list(pool.probabilities()))
    assert stat < CRITICAL_001[7]


def test_member_limit_redistributes_exactly() -> None:
    # A member who already won their one p6 draws from the other prizes, renormalised.
    base = _eight_prize_pool()
    prizes = tuple(
        Prize(p.id, p.reward, probability=p.probability, per_member_limit=1)
        if p.id == "p6" else p for p in base.prizes
    )
    pool = PrizePool("fair", prizes, consolation_id="thanks")
    member = MemberDraws("m1", (0, 0, 0, 0, 0, 0, 1, 0))
    counts, _ = _counts(pool, 60_000, seed=3, member=member)
    assert counts[6] == 0
    rest = [w if i != 6 else 0 for i, w in enumerate(pool.weights)]
    probs = [Decimal(w) / sum(rest) for w in rest]
    del counts[6], probs[6]
    assert chi_square(counts, probs) < CRITICAL_001[6]


def test_guaranteed_draws_follow_the_guaranteed_prizes_weights() -> None:
    # 保底 after every 2nd loss; on guaranteed draws p0:p1 must be 1:3.
    pool = PrizePool(
        "g",
        (Prize("p0", PointsReward(50), weight=1), Prize("p1", PointsReward(10), weight=3),
         Prize("thanks", ThanksReward(), weight=96)),
        consolation_id="thanks",
        guarantee=Guarantee(2, frozenset({"p0", "p1"})),
    )
    state, m, rng = PoolState.open(pool, NOW), MemberDraws.new("m", pool), random.Random(11)
    guaranteed = [0, 0]
    for _ in range(40_000):
        got = draw(state, m, rng, NOW)
        assert isinstance(got, Drawn)
        state, m = got.pool, got.member
        if got.guaranteed:
            guaranteed[got.index] += 1
    assert sum(guaranteed) > 15_000
    assert chi_square(guaranteed, [Decimal("0.25"), Decimal("0.75")]) < CRITICAL_001[1]


def test_vectorised_simulation_matches_the_odds() -> None:
    pool = _eight_prize_pool()
    result = simulate_draws(pool, 400_000, seed=1)
    assert result.draws == 400_000
    assert chi_square(list(result.counts), list(pool.probabilities())) < CRITICAL_001[7]


@pytest.mark.parametrize("numpy", [True, False])
def test_simulation_never_exceeds_inventory_or_daily_caps(
    numpy: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not numpy:
        monkeypatch.setitem(sys.modules, "numpy", None)  # the pure-Python path
    pool = _eight_prize_pool(inventory=1000, mode=RunOut.REDISTRIBUTE)
    result = simulate_draws(pool, 300_000 if numpy else 30_000, seed=2)
    assert all(c <= 1000 for c in result.counts[:-1])
    if numpy:
        assert result.counts[:-1] == (1000,) * 7  # every prize sold out, none oversold
    capped = PrizePool("cap", (Prize("a", PointsReward(1), weight=30, daily_cap=10),
                               Prize("t", ThanksReward(), weight=70)))
    # 10 days of 1,000 draws: 10 a day at most, and 30% odds always reach the cap.
    daily = simulate_draws(capped, 10_000, seed=3, draws_per_day=1000)
    assert daily.as_dict() == {"a": 100, "t": 9_900}
