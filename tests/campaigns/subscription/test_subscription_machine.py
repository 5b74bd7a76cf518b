"""The subscription plan against a plain model: every accept and reject predicted.

A `RuleBasedStateMachine` starts a random small plan (daily, weekly, monthly
or chosen weekdays; a rate or a fixed plan price; random limits and
cutoffs) and drives it with skips, postpones, pauses, resumes, deliveries
marked due and delivered, partial and full refunds, clock advances, log
prunes, saves and reloads, replays of accepted commands and conflicting
reuses of their ids. A plain model (lists of dates and statuses, its own
calendar arithmetic and its own split of the price) predicts each outcome:
accepted (with the dates it moves) or refused with which reason code. A
plan that refused everything, or accepted everything, fails.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from contract import reload
from sirui.campaigns.subscription import (
    Cadence,
    DeliveryMoved,
    DeliveryStatus,
    Frequency,
    MarkDelivered,
    MarkDeliveryDue,
    PausePlan,
    PlanEnded,
    PostponeDelivery,
    RefundDeliveries,
    ResumePlan,
    SkipDelivery,
    StartPlan,
    SubscriptionOffer,
    SubscriptionPlan,
    SubscriptionPolicy,
    start_plan,
)
from sirui.core.errors import IdConflictError
from sirui.core.money import Money
from sirui.rules import LogPruned, PruneLog
from sirui.testing.subscription import cadences

TZ = "Asia/Shanghai"
ZONE = zoneinfo.ZoneInfo(TZ)
DAY = dt.timedelta(days=1)


# -- the model's own calendar and arithmetic ---------------------------------------------


def _plus_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _slots(c: Cadence, anchor: dt.date, beyond: dt.date) -> list[dt.date]:
    """Every slot from ``anchor`` up to the first one after ``beyond``."""
    out: list[dt.date] = []
    k = 0
    while not out or out[-1] <= beyond:
        if c.frequency is Frequency.WEEKDAYS:
            d = anchor + k * DAY
            if d.isoweekday() in c.weekdays:
                out.append(d)
        elif c.frequency is Frequency.MONTHLY:
            out.append(_plus_months(anchor, k * c.every))
        else:
            step = c.every * (7 if c.frequency is Frequency.WEEKLY else 1)
            out.append(anchor + k * step * DAY)
        k += 1
    return out


def _next_after(c: Cadence, anchor: dt.date, day: dt.date) -> dt.date:
    return next(s for s in _slots(c, anchor, day) if s > day)


def _split(total: int, n: int) -> list[int]:
    base, extra = divmod(total, n)
    return [base + 1] * extra + [base] * (n - extra)


@attrs.define
class D:
    date: dt.date
    status: str  # scheduled, due, delivered, refunded
    price: int


class PlanMachine(RuleBasedStateMachine):
    plan: SubscriptionPlan

    def __init__(self) -> None:
        super().__init__()
        self.n = 0
        self.done: list[tuple[Any, tuple[Any, ...]]] = []
        self.logged: dict[str, Any] = {}

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    @initialize(
        cadence=cadences(),
        deliveries=st.integers(1, 16),
        price=st.integers(1, 3000),
        pricing=st.sampled_from(["rate", "plan_price"]),
        data=st.data(),
        cutoff=st.integers(0, 40),
        hour=st.integers(5, 20),
        max_skips=st.none() | st.integers(0, 3),
        max_pause=st.none() | st.integers(0, 20),
        max_postpone=st.none() | st.integers(0, 8),
        first=st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        lead_hours=st.integers(1, 72),
    )
    def start(self, cadence: Cadence, deliveries: int, price: int, pricing: str,
              data: st.DataObject, cutoff: int, hour: int, max_skips: int | None,
              max_pause: int | None, max_postpone: int | None, first: dt.date,
              lead_hours: int) -> None:
        list_total = price * deliveries
        if pricing == "rate":
            rate = data.draw(st.decimals("0.5", "1", places=2))
            total = int((Decimal(list_total) * rate).quantize(Decimal(1), ROUND_HALF_UP))
            offer = SubscriptionOffer("o", "sku", deliveries, cadence, Money(price), rate=rate)
        else:
            total = data.draw(st.integers(1, list_total))
            offer = SubscriptionOffer("o", "sku", deliveries, cadence, Money(price),
                                      plan_price=Money(total))
        self.rules = SubscriptionPolicy(cutoff_hours=cutoff, delivery_time=dt.time(hour),
                                        max_skips=max_skips, max_pause_days=max_pause,
                                        max_postpone_days=max_postpone, tz=TZ)
        self.cadence, self.anchor, self.total = cadence, first, total
        dates = [_slots(cadence, first, first)[0]]
        while len(dates) < deliveries:
            dates.append(_next_after(cadence, first, dates[-1]))
        prices = _split(total, deliveries)
        self.model = [D(d, "scheduled", p) for d, p in zip(dates, prices, strict=True)]
        self.status, self.skips, self.pause_days = "active", 0, 0
        self.until: dt.date | None = None
        self.now = pendulum.instance(self._cutoff(dates[0]) - dt.timedelta(hours=lead_hours))
        cmd = StartPlan("start", "plan", "m1", offer, first, Money(total))
        out = start_plan(cmd, policy=self.rules, now=self.now)
        assert out.ok, out
        self.plan = out.state
        self.done.append((cmd, out.events))
        self.logged[cmd.id] = self.now

    # -- the model's rules ------------------------------------------------------------

    def _cutoff(self, day: dt.date) -> dt.datetime:
        at = dt.datetime.combine(day, self.rules.delivery_time, tzinfo=ZONE)
        return at - dt.timedelta(hours=self.rules.cutoff_hours)

    def _today(self) -> dt.date:
        return self.now.astimezone(ZONE).date()

    def _changeable(self, d: D) -> bool:
        return d.status == "scheduled" and self.now < self._cutoff(d.date)

    def _plan_gate(self, moves_dates: bool) -> str | None:
        if self.status == "ended":
            return "subscription.ended"
        if self.status == "paused" and moves_dates:
            return "subscription.paused"
        return None

    def _redate(self, i: int, day: dt.date) -> list[tuple[int, dt.date, dt.date]] | str:
        """The model's 顺延: (number, from, to) of every delivery that moves."""
        moves = []
        while True:
            d = self.model[i]
            if not self._changeable(d):
                return "subscription.cutoff_passed"
            moves.append((i + 1, d.date, day))
            i += 1
            if (i == len(self.model) or self.model[i].status == "refunded"
                    or self.model[i].date > day):
                return moves
            day = _next_after(self.cadence, self.anchor, day)

    def _open(self) -> bool:
        return any(d.status in ("scheduled", "due") for d in self.model)

    # -- checking ---------------------------------------------------------------------

    def _run(self, cmd: Any, expect: str | None,
             moves: list[tuple[int, dt.date, dt.date]] | None = None) -> Any:
        before = self.plan
        out = before.handle(cmd, now=self.now)
        if expect is not None:
            assert not out.ok, (cmd, out)
            assert out.reason.code == expect, (cmd, out.reason, expect)
            assert out.state is before and not out.events
            again = before.handle(cmd, now=self.now)
            assert not again.ok, "a refusal is not recorded"
            return out
        assert out.ok, (cmd, out, expect)
        if moves is not None:
            got = [(e.number, e.from_date, e.to_date) for e in out.events
                   if isinstance(e, DeliveryMoved)]
            assert got == moves
            for number, _, to in moves:
                self.model[number - 1].date = to
        self.plan = out.state
        self.done.append((cmd, out.events))
        self.logged[cmd.id] = self.now
        if self.status != "ended" and not self._open():
            self.status = "ended"
            assert isinstance(out.events[-1], PlanEnded)
        return out

    # -- rules ------------------------------------------------------------------------

    @rule(data=st.data())
    def skip(self, data: st.DataObject) -> None:
        n = data.draw(st.integers(1, len(self.model)))
        d = self.model[n - 1]
        expect = self._plan_gate(True)
        moves: Any = None
        if expect is None and d.status != "scheduled":
            expect = "subscription.delivery_state"
        elif expect is None and not self._changeable(d):
            expect = "subscription.cutoff_passed"
        elif expect is None and self.rules.max_skips is not None and (
                self.skips >= self.rules.max_skips):
            expect = "subscription.skip_limit_reached"
        elif expect is None:
            moves = self._redate(n - 1, _next_after(self.cadence, self.anchor, d.date))
            expect = moves if isinstance(moves, str) else None
        self._run(SkipDelivery(self._id("skip"), n), expect, moves)
        if expect is None:
            self.skips += 1

    @rule(data=st.data(), days=st.integers(-1, 9))
    def postpone(self, data: st.DataObject, days: int) -> None:
        n = data.draw(st.integers(1, len(self.model)))
        d = self.model[n - 1]
        to = d.date + days * DAY
        expect = self._plan_gate(True)
        moves: Any = None
        limit = self.rules.max_postpone_days
        if expect is None and d.status != "scheduled":
            expect = "subscription.delivery_state"
        elif expect is None and not self._changeable(d):
            expect = "subscription.cutoff_passed"
        elif expect is None and days <= 0:
            expect = "subscription.not_later"
        elif expect is None and limit is not None and days > limit:
            expect = "subscription.postpone_too_far"
        elif expect is None:
            moves = self._redate(n - 1, to)
            expect = moves if isinstance(moves, str) else None
        self._run(PostponeDelivery(self._id("pp"), n, to), expect, moves)

    @rule(data=st.data(), days=st.integers(1, 8), near=st.booleans())
    def pause(self, data: st.DataObject, days: int, near: bool) -> None:
        if near:  # on or a little before a delivery, so the window usually holds one
            target = data.draw(st.sampled_from(self.model)).date
            start = max(target - data.draw(st.integers(0, 2)) * DAY, self._today())
        else:
            start = self._today() + data.draw(st.integers(-1, 20)) * DAY
        offset = (start - self._today()).days
        until = start + days * DAY
        limit = self.rules.max_pause_days
        inside = [i for i, d in enumerate(self.model)
                  if d.status in ("scheduled", "due") and start <= d.date < until]
        expect = self._plan_gate(True)
        moves: Any = None
        if expect is None and offset < 0:
            expect = "subscription.pause_in_past"
        elif expect is None and limit is not None and self.pause_days + days > limit:
            expect = "subscription.pause_limit_reached"
        elif expect is None and not inside:
            expect = "subscription.nothing_to_pause"
        elif expect is None and not all(self._changeable(self.model[i]) for i in inside):
            expect = "subscription.cutoff_passed"
        elif expect is None:
            first = _next_after(self.cadence, self.anchor, until - DAY)
            moves = self._redate(inside[0], first)
            expect = moves if isinstance(moves, str) else None
        self._run(PausePlan(self._id("pause"), start, days), expect, moves)
        if expect is None:
            self.status, self.until = "paused", until
            self.pause_days += days
            assert not any(start <= d.date < until and d.status == "scheduled"
                           for d in self.model)

    @rule()
    def resume(self) -> None:
        if self.status == "ended":
            expect: str | None = "subscription.ended"
        elif self.status == "active":
            expect = "subscription.not_paused"
        else:
            assert self.until is not None
            expect = "subscription.still_paused" if self._today() < self.until else None
        self._run(ResumePlan(self._id("resume")), expect)
        if expect is None:
            self.status, self.until = "active", None

    def _pick(self, data: st.DataObject, status: str) -> int:
        """Mostly the first delivery in ``status``, sometimes any."""
        first = next((i + 1 for i, d in enumerate(self.model) if d.status == status), 1)
        return data.draw(st.sampled_from([first, first]) | st.integers(1, len(self.model)))

    @rule(data=st.data())
    def due(self, data: st.DataObject) -> None:
        n = self._pick(data, "scheduled")
        d = self.model[n - 1]
        expect = self._plan_gate(False)
        if expect is None and d.status != "scheduled":
            expect = "subscription.delivery_state"
        elif expect is None and self.now < self._cutoff(d.date):
            expect = "subscription.not_due"
        self._run(MarkDeliveryDue(self._id("due"), n), expect)
        if expect is None:
            d.status = "due"

    @rule(data=st.data())
    def delivered(self, data: st.DataObject) -> None:
        n = self._pick(data, "due")
        d = self.model[n - 1]
        expect = self._plan_gate(False)
        if expect is None and d.status != "due":
            expect = "subscription.delivery_state"
        if expect is None:
            d.status = "delivered"
        self._run(MarkDelivered(self._id("dl"), n), expect)

    @rule(count=st.sampled_from([1, 1, 2, 3, 5, None]))
    def refund(self, count: int | None) -> None:
        left = [d for d in self.model if self._changeable(d)]
        asked = len(left) if count is None else count
        expect = self._plan_gate(False)
        if expect is None and not left:
            expect = "subscription.nothing_to_refund"
        elif expect is None and asked > len(left):
            expect = "subscription.not_enough_to_refund"
        chosen = left[len(left) - asked:] if expect is None else []
        for d in chosen:
            d.status = "refunded"
        out = self._run(RefundDeliveries(self._id("refund"), count), expect)
        if expect is None:
            amount = sum(d.price for d in chosen)
            assert any(getattr(e, "amount", None) == Money(amount) for e in out.events)

    @rule(hours=st.integers(1, 40))
    def advance(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)

    @precondition(lambda self: any(d.status == "scheduled" for d in self.model))
    @rule(minutes=st.integers(0, 90))
    def to_the_next_cutoff(self, minutes: int) -> None:
        """Jump to the cutoff of the first scheduled delivery (plus a little)."""
        d = next(d for d in self.model if d.status == "scheduled")
        t = pendulum.instance(self._cutoff(d.date)).add(minutes=minutes)
        self.now = max(self.now, t)

    @precondition(lambda self: self.until is not None)
    @rule(hours=st.integers(-2, 6))
    def to_the_end_of_the_pause(self, hours: int) -> None:
        assert self.until is not None
        end = pendulum.datetime(self.until.year, self.until.month, self.until.day, tz=TZ)
        self.now = max(self.now, end.add(hours=hours))

    @rule(days=st.sampled_from([None, 0, 2]))
    def prune(self, days: int | None) -> None:
        cmd = PruneLog(self._id("prune"), days)
        before = self.now - dt.timedelta(days=self.rules.log_retention_days if days is None
                                         else days)
        gone = {cid for cid, at in self.logged.items() if at < before}
        out = self.plan.handle(cmd, now=self.now)
        assert out.events == (LogPruned(before, len(gone)),)
        for cid in gone:
            del self.logged[cid]
        self.done = [(c, e) for c, e in self.done if c.id not in gone]
        self.plan = out.state
        self.done.append((cmd, out.events))
        self.logged[cmd.id] = self.now

    @rule()
    def save_and_reload(self) -> None:
        stored = reload(self.plan)
        assert stored == self.plan
        self.plan = stored

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, events = data.draw(st.sampled_from(self.done))
        out = self.plan.handle(cmd, now=self.now)
        assert out.ok and out.events == events
        assert out.state is self.plan

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def reuse_an_id(self, data: st.DataObject) -> None:
        cmd, _ = data.draw(st.sampled_from(self.done))
        other: Any = RefundDeliveries(cmd.id) if isinstance(cmd, ResumePlan) else ResumePlan(
            cmd.id)
        with pytest.raises(IdConflictError):
            self.plan.handle(other, now=self.now)

    # -- invariants -------------------------------------------------------------------

    @invariant()
    def matches_the_model(self) -> None:
        if not hasattr(self, "model"):
            return
        p = self.plan
        assert [d.date for d in p.deliveries] == [d.date for d in self.model]
        assert [d.status.value for d in p.deliveries] == [d.status for d in self.model]
        assert [d.price.minor for d in p.deliveries] == [d.price for d in self.model]
        assert p.status.value == self.status
        assert (p.skips_used, p.pause_days_used, p.paused_until) == (
            self.skips, self.pause_days, self.until)
        assert len(p.log) == len(self.logged)

    @invariant()
    def money_adds_up(self) -> None:
        if not hasattr(self, "model"):
            return
        p = self.plan
        assert p.paid.minor == self.total == sum(d.price.minor for d in p.deliveries)
        open_ = p.amount(DeliveryStatus.SCHEDULED, DeliveryStatus.DUE)
        assert p.delivered_amount + p.refunded_amount + open_ == p.paid
        if self.status == "ended":
            assert p.delivered_amount + p.refunded_amount == p.paid

    @invariant()
    def dates_strictly_increase(self) -> None:
        if not hasattr(self, "model"):
            return
        dates = self.plan.dates
        assert all(a < b for a, b in itertools.pairwise(dates))
        assert len(self.plan.deliveries) == len(self.model)
        assert self.rules.max_skips is None or self.skips <= self.rules.max_skips


PlanMachine.TestCase.settings = settings(stateful_step_count=40)
test_subscription_plan_machine = PlanMachine.TestCase
