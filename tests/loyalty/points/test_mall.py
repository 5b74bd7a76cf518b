"""The points mall (积分商城): points plus cash, stock, per-member limits, opening times."""

from __future__ import annotations

import datetime as dt

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from contract import reload
from sirui.config import dump, load
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.core.money import Money
from sirui.core.windows import DailySlot, Window
from sirui.loyalty.points import (
    MALL_TRANSITIONS,
    CancelRedemption,
    MallCatalogue,
    MallItem,
    PointsMall,
    Redeem,
    Redeemed,
    RedemptionStatus,
)
from sirui.rules import LogPruned, PruneLog

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
    """Every redemption and cancellation predicted: open, stock, limit, points, status."""

    @initialize(retention=st.integers(0, 2))
    def setup(self, retention: int) -> None:
        cup = MallItem("cup", points=100, stock=5, per_member_limit=2)
        # open 10:00-12:00 every day, cash on top, no limit
        mug = MallItem("mug", points=50, stock=4, cash=Money.of("5"),
                       daily=DailySlot(dt.time(10), dt.time(12), TZ))
        self.items = {i.id: i for i in (cup, mug)}
        self.mall = PointsMall.open(MallCatalogue((cup, mug), log_retention_days=retention))
        self.now = NOW
        self.held: dict[tuple[str, str], int] = {}
        self.live: dict[str, tuple[str, str, int]] = {}
        self.cancelled: set[str] = set()
        self.logged: dict[str, tuple[object, tuple[object, ...], object]] = {}
        self.forgotten: list[Redeem] = []
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def _took(self, cmd: object, expect: str | None) -> object:
        out = self.mall.handle(cmd, now=self.now)  # type: ignore[arg-type]
        if expect is None:
            assert out.ok, out
            self.logged[cmd.id] = (cmd, out.events, self.now)  # type: ignore[attr-defined]
            self.mall = out.state
        else:
            assert not out.ok, (out, expect)
            assert out.reason.code == expect
            assert out.state is self.mall and not out.events
            assert not self.mall.handle(cmd, now=self.now).ok  # type: ignore[arg-type]
        return out

    def _verdict(self, item: MallItem, member: str, qty: int, points: int) -> str | None:
        if item.daily is not None and not item.daily.contains(self.now):
            return "points_mall.not_open"
        sold = sum(n for (i, _), n in self.held.items() if i == item.id)
        if sold + qty > item.stock:
            return "points_mall.sold_out"
        limit = item.per_member_limit
        if limit is not None and self.held.get((item.id, member), 0) + qty > limit:
            return "points_mall.limit_reached"
        if item.points * qty > points:
            return "points_mall.insufficient_points"
        return None

    @rule(item=st.sampled_from(["cup", "mug"]), member=st.sampled_from(["a", "b", "c"]),
          qty=st.integers(1, 3), points=st.sampled_from([0, 100, 150, 10_000]))
    def redeem(self, item: str, member: str, qty: int, points: int) -> None:
        cmd = Redeem(self._id("r"), member, item, points, qty)
        expect = self._verdict(self.items[item], member, qty, points)
        out = self._took(cmd, expect)
        if expect is None:
            it = self.items[item]
            assert out.events == (Redeemed(cmd.id, member, item, qty, it.points * qty,  # type: ignore[attr-defined]
                                           it.cash * qty),)
            self.held[(item, member)] = self.held.get((item, member), 0) + qty
            self.live[cmd.id] = (item, member, qty)

    @precondition(lambda self: self.live or self.cancelled)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(sorted(self.live.keys() | self.cancelled)))
        ok = rid in self.live
        self._took(CancelRedemption(self._id("c"), rid),
                   None if ok else "points_mall.already_cancelled")
        if ok:
            item, member, qty = self.live.pop(rid)
            self.held[(item, member)] -= qty
            self.cancelled.add(rid)

    @rule(hours=st.integers(1, 20))
    def advance(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)

    @rule()
    def prune(self) -> None:
        cmd = PruneLog(self._id("p"))
        before = self.now.subtract(days=self.mall.catalogue.log_retention_days)
        gone = [i for i, (_, _, at) in self.logged.items() if at < before]  # type: ignore[operator]
        out = self._took(cmd, None)
        assert out.events == (LogPruned(before, len(gone)),)  # type: ignore[attr-defined]
        for i in gone:
            old = self.logged.pop(i)[0]
            if isinstance(old, Redeem):
                self.forgotten.append(old)
        assert len(self.mall.log) == len(self.logged)

    @rule()
    def save_and_reload(self) -> None:
        stored = reload(self.mall)
        assert stored == self.mall
        self.mall = stored

    @precondition(lambda self: self.logged)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, events, _ = self.logged[data.draw(st.sampled_from(sorted(self.logged)))]
        again = self.mall.handle(cmd, now=self.now)  # type: ignore[arg-type]
        assert again.state is self.mall and again.events == events

    @precondition(lambda self: self.forgotten)
    @rule(data=st.data())
    def retry_beyond_the_retention(self, data: st.DataObject) -> None:
        self._took(data.draw(st.sampled_from(self.forgotten)), "points_mall.redemption_exists")

    @precondition(lambda self: any(isinstance(c, Redeem) for c, _, _ in self.logged.values()))
    @rule(data=st.data())
    def reuse_an_id(self, data: st.DataObject) -> None:
        cmd = data.draw(st.sampled_from(
            [c for c, _, _ in self.logged.values() if isinstance(c, Redeem)]))
        with pytest.raises(IdConflictError):
            self.mall.handle(attrs.evolve(cmd, quantity=cmd.quantity + 1), now=self.now)  # type: ignore[misc]

    @invariant()
    def never_oversold(self) -> None:
        for item in self.items.values():
            sold = sum(n for (i, _), n in self.held.items() if i == item.id)
            assert self.mall.left(item.id) == item.stock - sold >= 0
        for (i, m), n in self.held.items():
            assert self.mall.held(i, m) == n
            limit = self.items[i].per_member_limit
            assert limit is None or n <= limit


TestMallMachine = MallMachine.TestCase


def test_the_docs_diagram_is_the_table() -> None:
    from pathlib import Path

    from sirui.rules import state_diagram

    page = Path(__file__).resolve().parents[3] / "docs" / "mechanics" / "points.md"
    assert state_diagram(MALL_TRANSITIONS) in page.read_text("utf-8")


def test_a_redemption_is_cancelled_once_and_a_late_retry_is_refused() -> None:
    m = mall().handle(Redeem("r1", "m1", "cup", 5000), now=NOW).state
    assert m.redemptions.get("r1").status is RedemptionStatus.REDEEMED
    m = m.handle(CancelRedemption("c1", "r1"), now=NOW).state
    assert m.redemptions.get("r1").status is RedemptionStatus.CANCELLED
    twice = m.handle(CancelRedemption("c2", "r1"), now=NOW)
    assert twice.reason.code == "points_mall.already_cancelled"
    assert twice.state is m
    later = NOW.add(days=31)
    pruned = m.handle(PruneLog("p1"), now=later).state
    retry = pruned.handle(Redeem("r1", "m1", "cup", 5000), now=NOW.add(hours=1))
    assert retry.reason.code == "points_mall.redemption_exists"
    with pytest.raises(InvalidCommandError, match="no such redemption"):
        m.handle(CancelRedemption("c3", "r9"), now=NOW)
