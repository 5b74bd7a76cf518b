"""Bargains under random starts, helps, purchases and ticks, against a model.

A plain model (dicts, the operator's rules once more) predicts every
outcome, accepted or refused with which reason; the cut amounts come from
the host's ``rng``, so the model takes each cut from its event and checks
the price law instead: at least one fen, never below the floor, the floor
exactly at the last expected helper, each regular cut within the policy's
``cut_range`` and a new customer's first cut within what keeps the floor
reachable. The policy may make a bargain succeed after ``success_helpers``
helps above the floor. Rules also replay accepted commands (same events, no
new draw, nothing changes) and save and reload the campaign through the
codec.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from contract import reload
from sirui.campaigns.bargain import (
    BARGAIN_REASONS,
    BargainCampaign,
    BargainHelped,
    BargainPolicy,
    BargainTick,
    BargainUsage,
    BuyBargain,
    CutRange,
    HelpBargain,
    StartBargain,
)
from sirui.core.windows import DateTime, local_date

from ._helpers import END, T0, member, yuan


@dataclass
class MBargain:
    starter: str
    deadline: DateTime
    price: int
    helpers: list[str] = field(default_factory=list)
    status: str = "active"


class Model:
    """The campaign as plain data: ``expect`` predicts, ``commit`` applies."""

    def __init__(self, p: BargainPolicy) -> None:
        self.p = p
        self.bargains: dict[str, MBargain] = {}
        self.started: Counter[str] = Counter()
        self.active: dict[str, tuple[str, DateTime]] = {}     # member -> (bargain, until)
        self.helps: Counter[str] = Counter()
        self.helps_by_day: Counter[tuple[str, str]] = Counter()
        self.sold = 0

    def expect(self, cmd: Any, now: DateTime) -> str:
        """The predicted outcome: ``"ok"`` or the reason code."""
        if isinstance(cmd, StartBargain):
            return self._start(cmd.member.id, now)
        b = self.bargains[cmd.bargain_id]
        if b.status == "succeeded" and isinstance(cmd, HelpBargain):
            # The table refuses more help: why depends on the clock and the price.
            if now >= b.deadline:
                return "bargain.expired"
            return "bargain.at_floor" if b.price == self.p.floor_price.minor else (
                "bargain.succeeded")
        if b.status not in ("active", "succeeded"):
            return "bargain.expired" if b.status == "expired" else "bargain.closed"
        if isinstance(cmd, BargainTick):
            return "ok" if now >= b.deadline else "bargain.not_due"
        if now >= b.deadline:
            return "bargain.expired"
        if isinstance(cmd, BuyBargain):
            p = self.p
            if p.buy_at_floor_only and b.status != "succeeded":
                return ("bargain.not_at_floor" if p.success_helpers is None
                        else "bargain.not_succeeded")
            if p.stock is not None and self.sold >= p.stock:
                return "bargain.sold_out"
            return "ok"
        return self._help(b, cmd.helper.id, now)

    def _start(self, mid: str, now: DateTime) -> str:
        p, live = self.p, self.active.get(mid)
        if now < p.starts_at:
            return "bargain.not_started"
        if now >= p.ends_at:
            return "bargain.ended"
        if p.stock is not None and self.sold >= p.stock:
            return "bargain.sold_out"
        if live is not None and now < live[1]:
            return "bargain.already_started"
        if p.max_bargains_per_member is not None and self.started[mid] >= p.max_bargains_per_member:
            return "bargain.limit_reached"
        return "ok"

    def _help(self, b: MBargain, hid: str, now: DateTime) -> str:
        p, day = self.p, local_date(now, self.p.tz).isoformat()
        if hid == b.starter:
            return "bargain.self_help"
        if hid in b.helpers:
            return "bargain.already_helped"
        daily = p.max_helps_per_helper_per_day
        if daily is not None and self.helps_by_day[(hid, day)] >= daily:
            return "bargain.daily_limit_reached"
        if p.max_helps_per_helper is not None and self.helps[hid] >= p.max_helps_per_helper:
            return "bargain.limit_reached"
        return "ok"

    def commit(self, cmd: Any, now: DateTime, events: tuple[Any, ...]) -> None:
        p = self.p
        if isinstance(cmd, StartBargain):
            deadline = min(now.add(minutes=p.time_limit_minutes), p.ends_at)
            self.bargains[cmd.bargain_id] = MBargain(cmd.member.id, deadline,
                                                     p.original_price.minor)
            self.started[cmd.member.id] += 1
            self.active[cmd.member.id] = (cmd.bargain_id, deadline)
            return
        b = self.bargains[cmd.bargain_id]
        if isinstance(cmd, BargainTick):
            b.status = "expired"
        elif isinstance(cmd, BuyBargain):
            b.status = "purchased"
            self.sold += 1
            if self.active.get(b.starter, ("",))[0] == cmd.bargain_id:
                del self.active[b.starter]
        else:
            first_new = cmd.helper.is_new_customer and self.helps[cmd.helper.id] == 0
            self._cut(b, cmd.helper.id, events[0], first_new)
            self.helps[cmd.helper.id] += 1
            self.helps_by_day[(cmd.helper.id, local_date(now, p.tz).isoformat())] += 1

    def _cut(self, b: MBargain, helper: str, ev: Any, first_new: bool) -> None:
        p = self.p
        assert isinstance(ev, BargainHelped) and ev.helper_id == helper
        left = max(p.helpers_expected - len(b.helpers), 1)
        remaining = b.price - p.floor_price.minor
        cut = ev.cut.minor
        assert 1 <= cut <= remaining - (min(left, remaining) - 1)
        r = p.cut_range
        if r is not None:
            # The rest stays coverable by the remaining helpers within the range...
            assert (left - 1) * r.min_fen <= remaining - cut <= (left - 1) * r.max_fen
            # ...and every cut but a new user's first is within it.
            if not (first_new and p.new_user_first_cut is not None):
                assert r.min_fen <= cut <= r.max_fen
        b.price -= cut
        b.helpers.append(helper)
        assert ev.price.minor == b.price
        assert (b.price == p.floor_price.minor) == (len(b.helpers) == p.helpers_expected)
        if b.price == p.floor_price.minor or (
                p.success_helpers is not None and len(b.helpers) >= p.success_helpers):
            b.status = "succeeded"


class BargainMachine(RuleBasedStateMachine):
    """Random starts, helps, buys and ticks; every outcome as the model predicts."""

    @initialize(expected=st.integers(1, 4), seed=st.integers(0, 2**16),
                daily=st.none() | st.integers(1, 3), total=st.none() | st.integers(1, 4),
                stock=st.none() | st.integers(0, 3), per_member=st.none() | st.integers(1, 3),
                floor_only=st.booleans(), data=st.data())
    def setup(self, expected: int, seed: int, daily: int | None, total: int | None,
              stock: int | None, per_member: int | None, floor_only: bool,
              data: st.DataObject) -> None:
        room = 110  # 2.00 down to 0.90
        success = data.draw(st.none() | st.integers(1, max(expected - 1, 1)))
        cut_range = data.draw(st.none() | st.builds(
            lambda lo, extra: CutRange(lo, max(lo, -(-room // expected)) + extra),
            st.integers(1, room // expected), st.integers(0, 40)))
        self.p = BargainPolicy(
            "b1", "stroller", yuan("2.00"), yuan("0.90"), expected, T0, END,
            time_limit_minutes=600, max_helps_per_helper_per_day=daily,
            max_helps_per_helper=total, stock=stock, max_bargains_per_member=per_member,
            buy_at_floor_only=floor_only,
            success_helpers=success if success is not None and success < expected else None,
            cut_range=cut_range,
            new_user_first_cut=data.draw(st.none() | st.just(CutRange(60, 100))),
        )
        self.state = BargainCampaign.start(self.p)
        self.model = Model(self.p)
        self.rng = random.Random(seed)
        self.minute, self.n = 0, 0
        self.history: list[tuple[Any, Any]] = []

    def _run(self, cmd: Any, step: int) -> None:
        self.minute += step
        now = T0.add(minutes=self.minute)
        expected = self.model.expect(cmd, now)
        out = self.state.handle(cmd, now=now, rng=self.rng)
        assert ("ok" if out.ok else out.reason.code) == expected, (cmd, out, expected)
        if not out.ok:
            assert out.reason.code in BARGAIN_REASONS
            assert out.state is self.state and out.events == ()
            return
        self.model.commit(cmd, now, out.events)
        self.state = out.state
        self.history.append((cmd, out))

    def _id(self) -> str:
        self.n += 1
        return f"c{self.n}"

    def _bargains(self) -> list[str]:
        return sorted(self.model.bargains)

    @rule(mid=st.sampled_from("abcd"), step=st.integers(0, 120))
    def start(self, mid: str, step: int) -> None:
        self._run(StartBargain(self._id(), f"k{self.n}", member(mid)), step)

    @precondition(lambda self: bool(self.model.bargains))
    @rule(data=st.data(), hid=st.sampled_from("abcdefgh"), step=st.integers(0, 120))
    def help(self, data: st.DataObject, hid: str, step: int) -> None:
        """Helpers g and h are new customers (新人: no paid order yet)."""
        bid = data.draw(st.sampled_from(self._bargains()))
        helper = member(hid, paid_orders=0) if hid in "gh" else member(hid)
        self._run(HelpBargain(self._id(), bid, helper), step)

    @precondition(lambda self: bool(self.model.bargains))
    @rule(data=st.data(), step=st.integers(0, 120))
    def buy(self, data: st.DataObject, step: int) -> None:
        bid = data.draw(st.sampled_from(self._bargains()))
        self._run(BuyBargain(self._id(), bid), step)

    @precondition(lambda self: bool(self.model.bargains))
    @rule(data=st.data(), step=st.integers(0, 600))
    def tick(self, data: st.DataObject, step: int) -> None:
        bid = data.draw(st.sampled_from(self._bargains()))
        self._run(BargainTick(self._id(), bid), step)

    @precondition(lambda self: bool(self.history))
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, out = data.draw(st.sampled_from(self.history))
        state = self.rng.getstate()
        again = self.state.handle(cmd, now=T0.add(minutes=self.minute), rng=self.rng)
        assert again.ok and again.events == out.events and again.state is self.state
        assert self.rng.getstate() == state, "a replay draws nothing"

    @rule()
    def save_and_reload(self) -> None:
        stored = reload(self.state)
        assert stored == self.state
        self.state = stored

    @invariant()
    def the_campaign_is_the_model(self) -> None:
        m = self.model
        assert len(self.state.bargains) == len(m.bargains)
        for bid, mb in m.bargains.items():
            b = self.state.bargain(bid)
            assert (b.status.value, b.price.minor, [c.helper_id for c in b.cuts]) == (
                mb.status, mb.price, mb.helpers)
        assert self.state.sold == m.sold
        assert self.p.stock is None or m.sold <= self.p.stock
        for mid in "abcdefgh":
            u = self.state.usage_of(mid)
            assert (u.started, u.helps) == (m.started[mid], m.helps[mid])
            assert u.active_id == m.active.get(mid, (None,))[0]
            if u.help_day is not None:
                assert u.helps_that_day == m.helps_by_day[(mid, u.help_day.isoformat())]
            assert isinstance(u, BargainUsage)


BargainMachine.TestCase.settings = settings(stateful_step_count=30)
TestBargainMachine = BargainMachine.TestCase
