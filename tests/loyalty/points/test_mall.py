"""The points mall (积分商城): points plus cash, stock, per-member limits, opening times."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sirui.config import dump, load
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.core.money import Money
from sirui.core.windows import DailySlot, Window
from sirui.loyalty.points import CancelRedemption, MallCatalogue, MallItem, PointsMall, Redeem

TZ = "Asia/Shanghai"
NOW = pendulum.datetime(2026, 11, 11, 10, 5, tz=TZ)
WIPES = MallItem("wipes", points=990, stock=2, cash=Money.of("9.9"), per_member_limit=1,
                 daily=DailySlot(dt.time(10), dt.time(12), TZ), name="婴儿湿巾")
CUP = MallItem("cup", points=3000, stock=100,
               window=Window(NOW.subtract(days=1), NOW.add(days=1)))


def mall() -> PointsMall:
    return PointsMall.open(MallCatalogue((WIPES, CUP)))


def test_990_points_plus_9_90_yuan_for_a_pack_of_wipes() -> None:
    out = mall().handle(Redeem("r1", "m1", "wipes", available_points=1000), now=NOW)
    ev = out.events[0]
    assert (ev.points, ev.cash) == (990, Money.of("9.9"))
    assert out.state.left("wipes") == 1


def test_opening_times_stock_limits_and_points() -> None:
    m = mall()
    closed = m.handle(Redeem("r", "m1", "wipes", 5000), now=NOW.add(hours=3))
    assert closed.reason.code == "points_mall.not_open"  # type: ignore[union-attr]
    ended = m.handle(Redeem("r", "m1", "cup", 5000), now=NOW.add(days=2))
    assert ended.reason.code == "points_mall.not_open"  # type: ignore[union-attr]
    poor = m.handle(Redeem("r", "m1", "wipes", 989), now=NOW)
    assert poor.reason.code == "points_mall.insufficient_points"  # type: ignore[union-attr]
    m = m.handle(Redeem("r1", "m1", "wipes", 5000), now=NOW).state
    limit = m.handle(Redeem("r2", "m1", "wipes", 5000), now=NOW)
    assert limit.reason.code == "points_mall.limit_reached"  # type: ignore[union-attr]
    m = m.handle(Redeem("r3", "m2", "wipes", 5000), now=NOW).state
    sold_out = m.handle(Redeem("r4", "m3", "wipes", 5000), now=NOW)
    assert sold_out.reason.code == "points_mall.sold_out"  # type: ignore[union-attr]
    back = m.handle(CancelRedemption("c1", "r3"), now=NOW)
    assert back.events[0].points == 990
    assert back.state.handle(Redeem("r4", "m3", "wipes", 5000), now=NOW).ok
    assert not back.state.handle(CancelRedemption("c2", "r3"), now=NOW).ok


def test_misuse() -> None:
    with pytest.raises(InvalidPolicyError):
        MallItem("x", points=0, stock=1)
    with pytest.raises(InvalidPolicyError):
        MallItem("x", points=-1, stock=1)
    with pytest.raises(InvalidPolicyError):
        MallCatalogue((CUP, CUP))
    with pytest.raises(InvalidCommandError):
        mall().handle(Redeem("r", "m1", "nope", 1), now=NOW)
    m = mall().handle(Redeem("r", "m1", "cup", 5000), now=NOW).state
    with pytest.raises(IdConflictError):
        m.handle(Redeem("r", "m1", "cup", 6000), now=NOW)


@given(st.integers(0, 5000), st.integers(0, 100), st.none() | st.integers(1, 9))
def test_catalogue_round_trips(points: int, stock: int, limit: int | None) -> None:
    cat = MallCatalogue((
        MallItem("a", points + 1, stock, Money(points), limit,
                 Window(NOW, NOW.add(days=3)), DailySlot(dt.time(10), dt.time(11), TZ)),
    ))
    assert load(dump(cat)) == cat


class MallMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        item = MallItem("cup", points=100, stock=5, per_member_limit=2)
        self.mall = PointsMall.open(MallCatalogue((item,)))
        self.held: dict[str, int] = {}
        self.live: dict[str, tuple[str, int]] = {}
        self.n = 0

    @rule(member=st.sampled_from(["a", "b", "c", "d"]), qty=st.integers(1, 3))
    def redeem(self, member: str, qty: int) -> None:
        self.n += 1
        rid = f"r{self.n}"
        out = self.mall.handle(Redeem(rid, member, "cup", 10_000, qty), now=NOW)
        ok = sum(self.held.values()) + qty <= 5 and self.held.get(member, 0) + qty <= 2
        assert out.ok == ok
        if ok:
            self.held[member] = self.held.get(member, 0) + qty
            self.live[rid] = (member, qty)
        self.mall = out.state

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        if not self.live:
            return
        rid = data.draw(st.sampled_from(sorted(self.live)))
        self.n += 1
        out = self.mall.handle(CancelRedemption(f"c{self.n}", rid), now=NOW)
        assert out.ok
        member, qty = self.live.pop(rid)
        self.held[member] -= qty
        self.mall = out.state

    @invariant()
    def never_oversold(self) -> None:
        assert self.mall.left("cup") == 5 - sum(self.held.values()) >= 0
        for m, n in self.held.items():
            assert self.mall.held("cup", m) == n <= 2


TestMallMachine = MallMachine.TestCase
