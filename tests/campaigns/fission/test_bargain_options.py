"""Bargain options (issue 20): success by helper count, cuts as policy, the success state.

Operator rules with exact figures, and the property every cut policy keeps:
the price lands exactly on the floor at the last expected helper, never below.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract import reload
from sirui.campaigns.bargain import (
    BARGAIN_TRANSITIONS,
    BargainCampaign,
    BargainPolicy,
    BargainReachedFloor,
    BargainStatus,
    BargainSucceeded,
    BargainTick,
    BuyBargain,
    CutRange,
    HelpBargain,
    StartBargain,
)
from sirui.config import dump, load
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money

from ._helpers import END, T0, member, yuan


def policy(**kw: Any) -> BargainPolicy:
    base: dict[str, Any] = {
        "id": "b1", "sku": "stroller", "original_price": yuan("100"),
        "floor_price": yuan("10"), "helpers_expected": 10, "starts_at": T0, "ends_at": END,
    }
    base.update(kw)
    return BargainPolicy(**base)


class Driver:
    def __init__(self, p: BargainPolicy, seed: int = 7) -> None:
        self.state = BargainCampaign.start(p)
        self.rng = random.Random(seed)
        self.n = 0
        self.run(StartBargain("start", "k1", member("me")))

    def run(self, cmd: Any, minute: int = 1) -> Any:
        out = self.state.handle(cmd, now=T0.add(minutes=minute), rng=self.rng)
        if out.ok:
            self.state = out.state
        return out

    def help(self, hid: str, minute: int = 2, **m: Any) -> Any:
        self.n += 1
        return self.run(HelpBargain(f"h{self.n}", "k1", member(hid, **m)), minute)


# -- success by helper count (yudao's mode) ---------------------------------------------


def test_three_helpers_make_the_bargain_succeed_above_the_floor() -> None:
    # 3人助力即成功: 100 yuan, floor 10, 10 helpers to reach it; the 3rd help succeeds.
    d = Driver(policy(success_helpers=3, buy_at_floor_only=True))
    d.help("f1")
    d.help("f2")
    early = d.run(BuyBargain("buy0", "k1"), 3)
    assert early.reason.code == "bargain.not_succeeded"
    assert early.reason.zh.startswith("还需1人帮砍或砍到底价¥10.00才能购买")
    third = d.help("f3")
    price = d.state.bargain("k1").price
    assert price > yuan("10")
    assert third.events[-1] == BargainSucceeded("k1", price, 3, T0.add(minutes=2))
    assert d.state.bargain("k1").status is BargainStatus.SUCCEEDED
    fourth = d.help("f4")
    assert fourth.reason.code == "bargain.succeeded"
    assert fourth.reason.zh == f"已砍价成功（3人帮砍），可按{price}购买"
    bought = d.run(BuyBargain("buy1", "k1"), 4)
    assert bought.ok
    assert bought.events[0].price == price
    assert d.state.bargain("k1").status is BargainStatus.PURCHASED


def test_by_default_only_the_floor_is_success() -> None:
    d = Driver(policy(helpers_expected=2, original_price=yuan("20")))
    first = d.help("f1")
    assert d.state.bargain("k1").status is BargainStatus.ACTIVE
    assert not any(isinstance(e, BargainSucceeded) for e in first.events)
    last = d.help("f2")
    assert isinstance(last.events[-1], BargainReachedFloor)
    assert d.state.bargain("k1").status is BargainStatus.SUCCEEDED
    assert d.state.bargain("k1").price == yuan("10")
    assert d.help("f3").reason.code == "bargain.at_floor"


def test_a_succeeded_bargain_still_expires_at_its_deadline() -> None:
    d = Driver(policy(success_helpers=1, time_limit_minutes=60))
    d.help("f1")
    late = d.help("f2", minute=61)
    assert late.reason.code == "bargain.expired"
    assert late.reason.zh == "砍价已过期（截止2026年11月1日 11:01）"
    assert d.run(BargainTick("t", "k1"), 61).ok
    assert d.state.bargain("k1").status is BargainStatus.EXPIRED


def test_the_table_has_an_explicit_success_state() -> None:
    t = BARGAIN_TRANSITIONS
    assert t[(BargainStatus.ACTIVE, "floor_reached")] is BargainStatus.SUCCEEDED
    assert t[(BargainStatus.ACTIVE, "helpers_reached")] is BargainStatus.SUCCEEDED
    assert t[(BargainStatus.SUCCEEDED, BuyBargain)] is BargainStatus.PURCHASED
    assert (BargainStatus.SUCCEEDED, HelpBargain) not in t


# -- cuts as policy ---------------------------------------------------------------------


def test_every_cut_is_between_0_10_and_2_00_and_the_tenth_lands_on_9_90() -> None:
    # 每刀砍0.10-2.00元: ten friends bring 19.90 down to exactly 9.90.
    p = policy(original_price=yuan("19.90"), floor_price=yuan("9.90"),
               cut_range=CutRange(10, 200))
    d = Driver(p, seed=3)
    cuts = [d.help(f"f{i}").events[0].cut.minor for i in range(10)]
    assert all(10 <= c <= 200 for c in cuts)
    assert sum(cuts) == 1000
    assert d.state.bargain("k1").price == yuan("9.90")


def test_a_new_users_first_cut_is_larger() -> None:
    # 新人首刀3-5元: a friend with no paid order cuts 3.00-5.00 on their first help.
    p = policy(original_price=yuan("19.90"), floor_price=yuan("9.90"),
               cut_range=CutRange(10, 200), new_user_first_cut=CutRange(300, 500))
    d = Driver(p, seed=11)
    new = d.help("newbie", paid_orders=0).events[0].cut.minor
    assert 300 <= new <= 500
    old = d.help("regular").events[0].cut.minor
    assert 10 <= old <= 200


def test_a_new_users_cut_yields_when_the_floor_would_be_missed() -> None:
    # 1.00 to cut by 2 friends at 0.40-0.60 each: a new user's 0.90 would leave 0.10,
    # below what the last friend must cut, so it is held to 0.60.
    p = policy(original_price=yuan("11"), helpers_expected=2, cut_range=CutRange(40, 60),
               new_user_first_cut=CutRange(90, 95))
    d = Driver(p)
    assert d.help("newbie", paid_orders=0).events[0].cut == yuan("0.60")
    assert d.help("regular").events[0].cut == yuan("0.40")
    assert d.state.bargain("k1").price == yuan("10")


def test_cut_options_are_validated_and_round_trip() -> None:
    with pytest.raises(InvalidPolicyError, match="min_fen"):
        CutRange(0, 5)
    with pytest.raises(InvalidPolicyError, match="max_fen"):
        CutRange(10, 5)
    with pytest.raises(InvalidPolicyError, match="cut_range"):
        policy(cut_range=CutRange(10, 50))            # 10 x 0.50 < 90 yuan
    with pytest.raises(InvalidPolicyError, match="cut_range"):
        policy(cut_range=CutRange(1000, 2000))        # 10 x 10 yuan > 90 yuan
    with pytest.raises(InvalidPolicyError, match="cut_range"):
        policy(cut_range=(10, 200))
    with pytest.raises(InvalidPolicyError, match="success_helpers"):
        policy(success_helpers=10)
    with pytest.raises(InvalidPolicyError, match="success_helpers"):
        policy(success_helpers=0)
    p = policy(success_helpers=3, cut_range=CutRange(100, 1500),
               new_user_first_cut=CutRange(2000, 3000))
    assert load(dump(p), BargainPolicy) == p
    assert reload(p) == p
    d = policy()
    assert (d.success_helpers, d.cut_range, d.new_user_first_cut) == (None, None, None)


# -- the property: exactly on the floor, never below ------------------------------------


@st.composite
def _cut_policies(draw: st.DrawFn) -> BargainPolicy:
    n = draw(st.integers(1, 12))
    low = draw(st.integers(1, 300))
    high = draw(st.integers(low, low + 500))
    room = draw(st.integers(n * low, n * high))
    floor = draw(st.integers(0, 10_000))
    first = draw(st.none() | st.builds(lambda a, b: CutRange(a, a + b),
                                       st.integers(1, 2000), st.integers(0, 2000)))
    return policy(original_price=Money(floor + room), floor_price=Money(floor),
                  helpers_expected=n, cut_range=draw(st.none() | st.just(CutRange(low, high))),
                  new_user_first_cut=first)


@given(_cut_policies(), st.lists(st.booleans(), min_size=12, max_size=12),
       st.integers(0, 2**32))
def test_cuts_land_exactly_on_the_floor_and_never_below(
    p: BargainPolicy, new_users: list[bool], seed: int
) -> None:
    rng = random.Random(seed)
    remaining = p.room.minor
    r = p.cut_range
    for i in range(p.helpers_expected):
        first_new = new_users[i]
        cut = p.cut(remaining, p.helpers_expected - i, first_new, rng)
        assert 1 <= cut <= remaining
        if r is not None and not (first_new and p.new_user_first_cut is not None):
            assert r.min_fen <= cut <= r.max_fen
        remaining -= cut
        assert remaining >= 0
    assert remaining == 0
