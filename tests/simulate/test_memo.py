"""Reusing a quote for an order the policies cannot tell apart changes no figure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

from examples_budget import scaled
from sirui.core import DailySlot, MemberDay, Money, Window
from sirui.promotions import LimitedTimePrice, PercentageDiscount, SkuPrice
from sirui.rules import HasTag, OnMemberDay, StoreIn, WithinWindow
from sirui.simulate import generate, prepare
from sirui.simulate._memo import PriceMemo, time_signature
from sirui.simulate.engine import _Run, run_prepared

Q3 = pendulum.datetime(2026, 7, 1, tz="Asia/Shanghai")


def time_rich(base: Any, start_day: int, days: int, member_day: int) -> Any:
    window = Window(Q3.add(days=start_day), Q3.add(days=start_day + days))
    promos = (
        *base.promotions,
        PercentageDiscount(
            "vip-or-s01",
            rate=Decimal("0.97"),
            condition=WithinWindow(window) & (HasTag("vip") | StoreIn({"S01"})),
        ),
        PercentageDiscount(
            "member-day",
            rate=Decimal("0.99"),
            condition=OnMemberDay(MemberDay(day_of_month=member_day)),
        ),
        LimitedTimePrice(
            "flash",
            window=Window(
                Q3.add(days=start_day + 3, hours=10), Q3.add(days=start_day + 3, hours=12)
            ),
            prices=(SkuPrice("WP-80", Money.of("9.9")),),
        ),
    )
    # No triggers: their coupons differ per member and would keep the memo from hitting.
    return attrs.evolve(base, name="time-rich", promotions=promos, coupons=(), triggers=())


@settings(max_examples=scaled(6), deadline=None)
@given(st.integers(0, 60), st.integers(1, 30), st.integers(1, 28))
def test_memo_changes_nothing(baseline: Any, start_day: int, days: int, member_day: int) -> None:
    data = generate({"stores": 2, "guides": 2, "members": 60, "orders": 600}, seed=start_day)
    prepared = prepare(*(data.frames()[k] for k in ("orders", "members")))
    scenario = time_rich(baseline, start_day, days, member_day)
    run = _Run(scenario, prepared.members, "Asia/Shanghai")
    for rec in prepared.orders:
        run.order(rec, None)
    assert run.memo.hits > 0, "the check below would be vacuous"
    with_memo, tiers_a = run_prepared(prepared, scenario)
    without, tiers_b = run_prepared(prepared, scenario, memo=False)
    assert with_memo == without
    assert tiers_a == tiers_b


def test_signature_tells_time_rules_apart() -> None:
    slot = DailySlot(dt.time(10), dt.time(10, 30))
    sign = time_signature([WithinWindow(Window(Q3, Q3.add(days=1))), slot, MemberDay(weekday=3)])
    assert sign is not None
    assert sign(Q3.add(hours=10, minutes=5)) == (True, True, True)  # 2026-07-01 is a Wednesday
    assert sign(Q3.add(days=1, hours=9)) == (False, False, False)


def test_unknown_time_values_turn_the_memo_off() -> None:
    @attrs.frozen
    class Odd:
        at: dt.datetime

    assert time_signature([Odd(Q3)]) is None
    memo = PriceMemo([Odd(Q3)])
    assert not memo.enabled
    assert memo.key(None, Q3, ()) is None


def test_key_sees_exactly_what_the_policies_read() -> None:
    from sirui.core import Cart, Line, Member, Sku

    memo = PriceMemo([HasTag("vip"), StoreIn({"S01"})])
    sku = Sku("A", Money.of("10"))

    def cart(tags: frozenset[str], store: str, channel: str) -> Cart:
        return Cart(Member("m", tags=tags), [Line("1", sku, 1)], store=store, channel=channel)

    base = memo.key(cart(frozenset({"x"}), "S01", "live"), Q3, ())
    assert base == memo.key(cart(frozenset({"y"}), "S01", "group"), Q3, ())  # unread facts
    assert base != memo.key(cart(frozenset({"vip"}), "S01", "live"), Q3, ())
    assert base != memo.key(cart(frozenset({"x"}), "S02", "live"), Q3, ())
