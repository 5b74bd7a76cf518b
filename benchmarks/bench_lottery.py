"""Lottery and red packet benchmarks: one draw, a million simulated draws, a 100-way split."""

from __future__ import annotations

import random
from decimal import Decimal

import pendulum

from _harness import Case
from sirui.campaigns.lottery import (
    CouponReward,
    MemberDraws,
    PoolState,
    Prize,
    PrizePool,
    RunOut,
    ThanksReward,
    draw,
    simulate_draws,
)
from sirui.campaigns.red_packet import split_amount
from sirui.core.money import Money

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
ODDS = ("0.005", "0.01", "0.02", "0.05", "0.08", "0.12", "0.2")


def _pool() -> PrizePool:
    """8 prizes: 7 coupons with odds, large inventories and caps, plus 谢谢参与."""
    prizes = tuple(
        Prize(f"p{i}", CouponReward(f"c{i}"), probability=Decimal(p), inventory=10**9,
              per_member_limit=10**6, daily_cap=10**8)
        for i, p in enumerate(ODDS)
    )
    return PrizePool("bench", (*prizes, Prize("thanks", ThanksReward())),
                     on_run_out=RunOut.CONSOLATION, consolation_id="thanks")


def _draw_case() -> object:
    pool = _pool()
    state, member, rng = PoolState.open(pool, NOW), MemberDraws.new("m1", pool), random.Random(1)
    return lambda: draw(state, member, rng, NOW)


def _draw_1m_case() -> object:
    pool = _pool()
    return lambda: simulate_draws(pool, 1_000_000, seed=1)


def _red_packet_case() -> object:
    total, rng = Money.of("200"), random.Random(1)
    return lambda: split_amount(total, 100, rng)


def cases(quick: bool) -> list[Case]:
    return [
        Case("lottery_draw", setup=_draw_case),  # type: ignore[arg-type]
        Case("lottery_draw_1m", setup=_draw_1m_case, number=1, repeats=3,  # type: ignore[arg-type]
             heavy=True),
        Case("red_packet_split_100", setup=_red_packet_case),  # type: ignore[arg-type]
    ]
