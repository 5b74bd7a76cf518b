"""Bargain (砍价) rules with exact yuan figures and cut properties."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.campaigns.bargain import (
    BargainCampaign,
    BargainExpired,
    BargainPolicy,
    BargainPriceStep,
    BargainReachedFloor,
    BargainStatus,
    BargainTick,
    BuyBargain,
    HelpBargain,
    StartBargain,
    draw_cut,
)
from sirui.config import dump, load
from sirui.core.errors import IdConflictError, InvalidPolicyError, InvalidValueError
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Sku
from sirui.rules import NewCustomer, PriceState

from ._helpers import END, T0, member, yuan


def policy(**kw: Any) -> BargainPolicy:
    base: dict[str, Any] = {
        "id": "b1", "sku": "stroller", "original_price": yuan("99"),
        "floor_price": yuan("9.90"), "helpers_expected": 5, "starts_at": T0, "ends_at": END,
    }
    base.update(kw)
    return BargainPolicy(**base)


class Driver:
    def __init__(self, p: BargainPolicy, seed: int = 7) -> None:
        self.state = BargainCampaign.start(p)
        self.rng = random.Random(seed)
        self.n = 0

    def run(self, cmd: Any, minute: float = 1) -> Any:
        out = self.state.handle(cmd, now=T0.add(seconds=int(minute * 60)), rng=self.rng)
        self.state = out.state
        return out

    def start(self, bid: str = "k1", mid: str = "me", minute: float = 1, **m: Any) -> Any:
        return self.run(StartBargain(f"start-{bid}", bid, member(mid, **m)), minute)

    def help(self, bid: str, hid: str, minute: float = 2, **m: Any) -> Any:
        self.n += 1
        return self.run(HelpBargain(f"h{self.n}", bid, member(hid, **m)), minute)


def test_five_friends_bring_a_99_yuan_stroller_down_to_exactly_9_90() -> None:
    d = Driver(policy())
    d.start()
    cuts = []
    for i in range(5):
        out = d.help("k1", f"f{i}")
        cuts.append(out.events[0].cut)
    assert sum(cuts, Money(0)) == yuan("89.10")
    assert all(c >= Money(1) for c in cuts)
    assert d.state.bargain("k1").price == yuan("9.90")
    assert isinstance(out.events[-1], BargainReachedFloor)
    assert d.help("k1", "f9").reason.code == "bargain.at_floor"


def test_the_first_cut_is_generous() -> None:
    d = Driver(policy())
    d.start()
    first = d.help("k1", "f0").events[0].cut
    assert first >= yuan("17.82")          # at least an even share of 89.10 over 5


def test_a_member_cannot_cut_their_own_price_or_help_twice() -> None:
    d = Driver(policy())
    d.start()
    assert d.help("k1", "me").reason.code == "bargain.self_help"
    assert d.help("k1", "f1").ok
    assert d.help("k1", "f1").reason.code == "bargain.already_helped"


def test_a_helper_may_help_two_bargains_a_day_and_three_per_campaign() -> None:
    d = Driver(policy(max_helps_per_helper_per_day=2, max_helps_per_helper=3))
    for i in range(4):
        d.start(f"k{i}", f"owner{i}")
    assert d.help("k0", "h").ok
    assert d.help("k1", "h").ok
    out = d.help("k2", "h")
    assert out.reason.code == "bargain.daily_limit_reached"
    assert d.help("k2", "h", minute=16 * 60).ok          # next day in Shanghai
    assert d.help("k3", "h", minute=16 * 60).reason.code == "bargain.limit_reached"


def test_only_new_customers_may_help_when_the_policy_says_so() -> None:
    d = Driver(policy(helper_condition=NewCustomer()))
    d.start()
    out = d.help("k1", "old")
    assert out.reason.code == "bargain.not_eligible"
    assert d.help("k1", "new", paid_orders=0).ok


def test_buy_at_the_current_price_any_time() -> None:
    d = Driver(policy())
    d.start()
    d.help("k1", "f1")
    price = d.state.bargain("k1").price
    out = d.run(BuyBargain("buy", "k1"), 3)
    assert out.events[0].price == price
    assert d.state.bargain("k1").status is BargainStatus.PURCHASED
    assert d.help("k1", "f2").reason.code == "bargain.closed"


def test_buy_only_at_the_floor() -> None:
    d = Driver(policy(buy_at_floor_only=True, helpers_expected=1))
    d.start()
    out = d.run(BuyBargain("buy", "k1"), 3)
    assert out.reason.code == "bargain.not_at_floor"
    d.help("k1", "f1")
    assert d.run(BuyBargain("buy2", "k1"), 3).events[0].price == yuan("9.90")


def test_a_bargain_expires_at_its_deadline() -> None:
    d = Driver(policy(time_limit_minutes=60))
    d.start()
    before = d.state
    out = d.help("k1", "late", minute=61)
    assert out.reason.code == "bargain.expired"
    assert out.events == () and out.state is before      # a refusal changes nothing
    assert d.state.bargain("k1").status is BargainStatus.ACTIVE
    assert d.run(BuyBargain("buy", "k1"), 62).reason.code == "bargain.expired"
    assert d.run(BargainTick("early", "k1"), 30).reason.code == "bargain.not_due"
    tick = d.run(BargainTick("tick", "k1"), 70)       # the host's delay queue, a bit late
    assert tick.events == (BargainExpired("k1", yuan("99"), T0.add(minutes=61)),)
    assert d.state.bargain("k1").status is BargainStatus.EXPIRED
    assert d.run(BargainTick("again", "k1"), 71).reason.code == "bargain.expired"


def test_starting_limits_and_stock() -> None:
    d = Driver(policy(stock=1, max_bargains_per_member=1, time_limit_minutes=10))
    d.start("k1", "me")
    assert d.start("k2", "me", minute=2).reason.code == "bargain.already_started"
    assert d.start("k3", "me", minute=20).reason.code == "bargain.limit_reached"
    d.start("k4", "you", minute=21)
    d.run(BuyBargain("buy", "k4"), 22)
    assert d.start("k5", "they", minute=23).reason.code == "bargain.sold_out"
    assert d.start("k6", "x", minute=-1).reason.code == "bargain.not_started"


def test_commands_are_idempotent_and_a_replay_draws_nothing() -> None:
    d = Driver(policy())
    d.start()
    cmd = HelpBargain("h1", "k1", member("f1"))
    first = d.run(cmd)
    state = d.state
    replay = state.handle(cmd, now=T0.add(hours=2), rng=random.Random(99))
    assert replay.events == first.events
    assert replay.state == state
    with pytest.raises(IdConflictError):
        state.handle(HelpBargain("h1", "k1", member("f2")), now=T0.add(hours=2), rng=d.rng)


def test_a_help_without_an_rng_is_a_typed_error() -> None:
    d = Driver(policy())
    d.start()
    with pytest.raises(InvalidValueError, match="rng"):
        d.state.handle(HelpBargain("h", "k1", member("f")), now=T0.add(hours=1))
    with pytest.raises(InvalidValueError, match="rng"):
        draw_cut(100, 2, Decimal(1), None)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [
    {"floor_price": yuan("100")},
    {"floor_price": yuan("99")},
    {"helpers_expected": 0},
    {"helpers_expected": 9000},
    {"ends_at": T0.subtract(days=1)},
    {"generosity": Decimal(5)},
    {"generosity": "-1"},
])
def test_bad_policies_raise_typed_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidPolicyError):
        policy(**bad)


@given(st.integers(1, 50_000), st.integers(1, 60), st.decimals(0, 4, places=1),
       st.integers(0, 2**32))
def test_cuts_sum_exactly_to_the_room_each_at_least_a_fen_and_seeded(
    room: int, helpers: int, generosity: Decimal, seed: int,
) -> None:
    helpers = min(helpers, room)

    def schedule(rng: random.Random) -> list[int]:
        cuts, left = [], room
        for k in range(helpers, 0, -1):
            c = draw_cut(left, k, generosity, rng)
            cuts.append(c)
            left -= c
        return cuts

    cuts = schedule(random.Random(seed))
    assert sum(cuts) == room
    assert min(cuts) >= 1
    assert cuts == schedule(random.Random(seed))
    if generosity >= 1:
        assert cuts[0] >= room // helpers


@given(st.integers(1, 20), st.integers(0, 2**32))
def test_the_price_never_goes_below_the_floor_however_many_helpers_come(
    expected: int, seed: int,
) -> None:
    d = Driver(policy(helpers_expected=expected), seed)
    d.start()
    for i in range(expected + 3):
        d.help("k1", f"f{i}")
        assert d.state.bargain("k1").price >= yuan("9.90")
    assert d.state.bargain("k1").price == yuan("9.90")
    assert len(d.state.bargain("k1").cuts) == expected


@given(st.builds(policy, helpers_expected=st.integers(1, 100),
                 generosity=st.decimals(0, 4, places=2),
                 buy_at_floor_only=st.booleans(), stock=st.none() | st.integers(0, 99),
                 max_helps_per_helper_per_day=st.none() | st.integers(1, 9)))
def test_policies_round_trip_through_config(p: BargainPolicy) -> None:
    assert load(dump(p)) == p


def test_price_step_sells_the_stroller_at_the_bargained_price() -> None:
    d = Driver(policy())
    d.start()
    d.help("k1", "f1")
    bargain = d.state.bargain("k1")
    cart = Cart(member("me"), (Line("L1", Sku("stroller", yuan("99")), 1),))
    out = BargainPriceStep(d.state.policy, bargain, "L1").price(PriceState.start(cart, T0))
    assert out.line("L1").amount == bargain.price
    assert out.adjustments[0].activity == "bargain:b1"
    floor_only = BargainPriceStep(policy(buy_at_floor_only=True), bargain, "L1")
    assert floor_only.price(PriceState.start(cart, T0)).not_applied[0].reason.code == (
        "bargain.not_at_floor")
