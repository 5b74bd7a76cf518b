"""Daily sign-in (日历签到): streak ladder, coupons, monthly rewards, make-up."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from contract import reload
from sirui.config import dump, load
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.loyalty.points import (
    SIGNIN_TRANSITIONS,
    AfterLadder,
    DayStatus,
    MakeUp,
    MonthlyReward,
    SignedIn,
    SignIn,
    SigninCalendar,
    SigninPolicy,
    StreakCoupon,
)
from sirui.rules import LogPruned, PruneLog

TZ = "Asia/Shanghai"
LADDER = (5, 5, 10, 10, 15, 15, 30)


def day(m: int, d: int, h: int = 9) -> pendulum.DateTime:
    return pendulum.datetime(2026, m, d, h, tz=TZ)


def sign_days(cal: SigninCalendar, days: list[pendulum.DateTime]) -> list[SignedIn]:
    out = []
    for i, t in enumerate(days):
        res = cal.handle(SignIn(f"s{t.date()}-{i}"), now=t)
        assert res.ok
        cal = res.state
        out.append(res.events[0])
    return out


def test_seven_day_ladder_then_cycle() -> None:
    cal = SigninCalendar.open("m1", SigninPolicy(LADDER))
    evs = sign_days(cal, [day(3, d) for d in range(1, 10)])
    assert [e.points for e in evs] == [5, 5, 10, 10, 15, 15, 30, 5, 5]
    assert [e.streak for e in evs][-1] == 9


def test_reset_after_seven_shows_day_one_again_and_hold_keeps_the_top() -> None:
    reset = SigninCalendar.open("m1", SigninPolicy(LADDER, AfterLadder.RESET))
    evs = sign_days(reset, [day(3, d) for d in range(1, 10)])
    assert [e.streak for e in evs][-2:] == [1, 2]
    hold = SigninCalendar.open("m1", SigninPolicy(LADDER, AfterLadder.HOLD))
    assert [e.points for e in sign_days(hold, [day(3, d) for d in range(1, 10)])][-2:] == [30, 30]


def test_a_missed_day_restarts_the_streak() -> None:
    cal = SigninCalendar.open("m1", SigninPolicy(LADDER))
    evs = sign_days(cal, [day(3, 1), day(3, 2), day(3, 4)])
    assert [e.streak for e in evs] == [1, 2, 1]


def test_days_are_local_calendar_days() -> None:
    cal = SigninCalendar.open("m1", SigninPolicy(LADDER))
    late = pendulum.datetime(2026, 3, 1, 23, 59, tz=TZ)
    cal = cal.handle(SignIn("a"), now=late).state
    again = cal.handle(SignIn("b"), now=late.add(minutes=1))  # 00:00 next day, Shanghai
    assert again.ok
    assert again.events[0].streak == 2
    # 15:59 UTC on 1 March is 23:59 on 1 March in Shanghai: same day as "a"
    utc = pendulum.datetime(2026, 3, 1, 15, 59, tz="UTC")
    dup = SigninCalendar.open("m1").handle(SignIn("a"), now=late).state.handle(
        SignIn("c"), now=utc
    )
    assert not dup.ok
    assert dup.reason.code == "signin.already_signed"


def test_coupon_on_the_third_and_seventh_day() -> None:
    pol = SigninPolicy(LADDER, coupons=(StreakCoupon(3, "tpl-5off"), StreakCoupon(7, "tpl-20off")))
    evs = sign_days(SigninCalendar.open("m1", pol), [day(3, d) for d in range(1, 8)])
    assert [e.coupon_templates for e in evs] == [(), (), ("tpl-5off",), (), (), (), ("tpl-20off",)]


def test_monthly_cumulative_rewards_once_a_month() -> None:
    pol = SigninPolicy(LADDER, monthly=(MonthlyReward(3, 50), MonthlyReward(5, 0, "tpl-gift")))
    cal = SigninCalendar.open("m1", pol)
    got = []
    for d in (1, 3, 5, 7, 9, 11):
        res = cal.handle(SignIn(f"s{d}"), now=day(3, d))
        cal = res.state
        got += [(d, e.days) for e in res.events[1:]]
    assert got == [(5, 3), (9, 5)]
    res = cal.handle(SignIn("apr1"), now=day(4, 1))
    assert len(res.events) == 1


def test_streak_continues_across_the_month_end() -> None:
    cal = SigninCalendar.open("m1", SigninPolicy(LADDER))
    evs = sign_days(cal, [day(3, 30), day(3, 31), day(4, 1)])
    assert [e.streak for e in evs] == [1, 2, 3]


def test_make_up_costs_points_and_joins_the_streak() -> None:
    pol = SigninPolicy(LADDER, makeup_cost=20, makeups_per_month=1)
    cal = SigninCalendar.open("m1", pol)
    for d in (1, 2, 4):
        cal = cal.handle(SignIn(f"s{d}"), now=day(3, d)).state
    poor = cal.handle(MakeUp("mu0", dt.date(2026, 3, 3), available_points=19), now=day(3, 4, 20))
    assert poor.reason.code == "signin.makeup_insufficient_points"  # type: ignore[union-attr]
    res = cal.handle(MakeUp("mu1", dt.date(2026, 3, 3), available_points=100), now=day(3, 4, 20))
    assert res.events[0].cost_points == 20
    cal = res.state
    assert cal.streak(day(3, 4, 21)) == 4
    res = cal.handle(SignIn("s5"), now=day(3, 5))
    assert res.events[0].streak == 5
    assert res.events[0].points == 15
    limit = res.state.handle(MakeUp("mu2", dt.date(2026, 3, 10), 100), now=day(3, 12))
    assert limit.reason.code == "signin.makeup_limit"  # type: ignore[union-attr]
    limit = res.state.handle(MakeUp("mu2", dt.date(2026, 3, 3), 100), now=day(3, 12))
    assert limit.reason.code == "signin.makeup_not_allowed"  # type: ignore[union-attr]


def test_make_up_limit_and_last_month() -> None:
    pol = SigninPolicy(LADDER, makeup_cost=0, makeups_per_month=1)
    cal = SigninCalendar.open("m1", pol).handle(SignIn("s"), now=day(3, 10)).state
    cal = cal.handle(MakeUp("a", dt.date(2026, 3, 1), 0), now=day(3, 10)).state
    out = cal.handle(MakeUp("b", dt.date(2026, 3, 2), 0), now=day(3, 10))
    assert out.reason.code == "signin.makeup_limit"  # type: ignore[union-attr]
    out = cal.handle(MakeUp("c", dt.date(2026, 2, 28), 0), now=day(3, 10))
    assert out.reason.code == "signin.makeup_not_allowed"  # type: ignore[union-attr]


def test_replay_and_conflict() -> None:
    cal = SigninCalendar.open("m1")
    first = cal.handle(SignIn("s1"), now=day(3, 1))
    again = first.state.handle(SignIn("s1"), now=day(3, 2))
    assert again.events == first.events
    assert again.state is first.state
    with pytest.raises(IdConflictError):
        first.state.handle(MakeUp("s1", dt.date(2026, 3, 1), 0), now=day(3, 2))


def test_bad_policies_are_refused() -> None:
    with pytest.raises(InvalidPolicyError):
        SigninPolicy(())
    with pytest.raises(InvalidPolicyError):
        SigninPolicy((5, -1))
    with pytest.raises(InvalidPolicyError):
        MonthlyReward(32, 10)
    with pytest.raises(InvalidPolicyError):
        MonthlyReward(5)
    with pytest.raises(InvalidPolicyError):
        SigninPolicy(coupons=(StreakCoupon(3, "a"), StreakCoupon(3, "b")))


@given(
    st.lists(st.integers(0, 100), min_size=1, max_size=10), st.sampled_from(AfterLadder),
    st.integers(0, 500), st.integers(0, 5),
)
def test_signin_policy_round_trips(
    ladder: list[int], after: AfterLadder, cost: int, n: int
) -> None:
    pol = SigninPolicy(
        tuple(ladder), after, (StreakCoupon(7, "tpl"),), (MonthlyReward(10, 100, "gift"),),
        cost, n, "Asia/Hong_Kong",
    )
    assert load(dump(pol)) == pol


class SigninMachine(RuleBasedStateMachine):
    """Random sign-ins, make-ups and skipped days against a set of signed dates."""

    @initialize(after=st.sampled_from(AfterLadder), limit=st.integers(0, 3),
                retention=st.integers(0, 3))
    def setup(self, after: AfterLadder, limit: int, retention: int) -> None:
        self.pol = SigninPolicy(
            (1, 2, 3), after, makeup_cost=5, makeups_per_month=limit,
            monthly=(MonthlyReward(4, 40),), log_retention_days=retention,
        )
        self.cal = SigninCalendar.open("m1", self.pol)
        self.now = day(1, 25)
        self.signed: set[dt.date] = set()
        self.makeups: dict[tuple[int, int], int] = {}
        self.monthly: set[tuple[int, int]] = set()
        self.logged: dict[str, tuple[object, tuple[object, ...], object]] = {}
        self.n = 0

    def _id(self) -> str:
        self.n += 1
        return f"x{self.n}"

    def _took(self, cmd: object, expect: str | None) -> object:
        out = self.cal.handle(cmd, now=self.now)  # type: ignore[arg-type]
        if expect is None:
            assert out.ok, out
            self.logged[cmd.id] = (cmd, out.events, self.now)  # type: ignore[attr-defined]
            self.cal = out.state
        else:
            assert not out.ok, (out, expect)
            assert out.reason.code == expect
            assert out.state is self.cal and not out.events
            assert not self.cal.handle(cmd, now=self.now).ok  # type: ignore[arg-type]
        return out

    def _run(self, d: dt.date) -> int:
        n = 0
        while d in self.signed:
            n += 1
            d -= dt.timedelta(days=1)
        return n

    def _month_count(self, d: dt.date) -> int:
        return sum(1 for x in self.signed if (x.year, x.month) == (d.year, d.month))

    def _check_monthly(self, d: dt.date, events: tuple[object, ...]) -> None:
        key = (d.year, d.month)
        due = self._month_count(d) >= 4 and key not in self.monthly
        assert len([e for e in events if type(e).__name__ == "MonthlyRewardEarned"]) == due
        if due:
            self.monthly.add(key)

    @rule()
    def sign_in(self) -> None:
        today = self.now.date()
        expect = "signin.already_signed" if today in self.signed else None
        res: Any = self._took(SignIn(self._id()), expect)
        if res.ok:
            streak = self._run(today - dt.timedelta(days=1)) + 1
            shown, pts = self.pol.reward_for(streak)
            ev = res.events[0]
            assert (ev.day, ev.streak, ev.points) == (today, shown, pts)
            self.signed.add(today)
            self._check_monthly(today, res.events)

    @rule(back=st.integers(-1, 12), points=st.sampled_from([4, 5, 100]))
    def make_up(self, back: int, points: int) -> None:
        today = self.now.date()
        target = today - dt.timedelta(days=back)
        key = (today.year, today.month)
        if (target.year, target.month) != key or target >= today or target in self.signed:
            expect: str | None = "signin.makeup_not_allowed"
        elif self.makeups.get(key, 0) >= self.pol.makeups_per_month:
            expect = "signin.makeup_limit"
        elif points < self.pol.makeup_cost:
            expect = "signin.makeup_insufficient_points"
        else:
            expect = None
        res: Any = self._took(MakeUp(self._id(), target, points), expect)
        if res.ok:
            assert res.events[0].cost_points == self.pol.makeup_cost
            self.signed.add(target)
            self.makeups[key] = self.makeups.get(key, 0) + 1
            self._check_monthly(today, res.events)
            assert self.cal.day_status(target) is DayStatus.MADE_UP

    @rule(days=st.integers(1, 3), hours=st.integers(0, 20))
    def next_days(self, days: int, hours: int) -> None:
        self.now = self.now.add(days=days).start_of("day").add(hours=hours)

    @rule()
    def prune(self) -> None:
        cmd = PruneLog(self._id())
        before = self.now.subtract(days=self.pol.log_retention_days)
        gone = [i for i, (_, _, at) in self.logged.items() if at < before]  # type: ignore[operator]
        out: Any = self._took(cmd, None)
        assert out.events == (LogPruned(before, len(gone)),)
        for i in gone:
            del self.logged[i]
        assert len(self.cal.log) == len(self.logged)

    @rule()
    def save_and_reload(self) -> None:
        stored = reload(self.cal)
        assert stored == self.cal
        self.cal = stored

    @precondition(lambda self: self.logged)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, events, _ = self.logged[data.draw(st.sampled_from(sorted(self.logged)))]
        again = self.cal.handle(cmd, now=self.now)  # type: ignore[arg-type]
        assert again.state is self.cal and again.events == events

    @precondition(lambda self: self.logged)
    @rule(data=st.data())
    def reuse_an_id(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(sorted(self.logged)))
        with pytest.raises(IdConflictError):
            self.cal.handle(MakeUp(cid, dt.date(2020, 1, 1), 1), now=self.now)

    @invariant()
    def streak_matches(self) -> None:
        today = self.now.date()
        want = self._run(today) or self._run(today - dt.timedelta(days=1))
        assert self.cal.streak(self.now) == want


TestSigninMachine = SigninMachine.TestCase


def test_commands_out_of_time_order_are_misuse() -> None:
    cal = SigninCalendar.open("m1").handle(SignIn("s1"), now=day(3, 10)).state
    with pytest.raises(InvalidCommandError, match="time order"):
        cal.handle(SignIn("s0"), now=day(3, 9))


def test_a_signed_day_takes_neither_command_again() -> None:
    pol = SigninPolicy(LADDER, makeups_per_month=2)
    cal = SigninCalendar.open("m1", pol).handle(SignIn("s1"), now=day(3, 1)).state
    cal = cal.handle(MakeUp("mu", dt.date(2026, 3, 2), 0), now=day(3, 3)).state
    assert cal.day_status(dt.date(2026, 3, 1)) is DayStatus.SIGNED
    assert cal.day_status(dt.date(2026, 3, 2)) is DayStatus.MADE_UP
    assert cal.day_status(dt.date(2026, 3, 3)) is None
    assert (None, SignIn) in SIGNIN_TRANSITIONS and (DayStatus.SIGNED, SignIn) not in (
        SIGNIN_TRANSITIONS
    )
    again = cal.handle(MakeUp("mu2", dt.date(2026, 3, 1), 0), now=day(3, 3))
    assert again.reason.code == "signin.makeup_not_allowed"
    assert again.state is cal
    assert cal.makeups == 1


def test_the_docs_diagram_is_the_table() -> None:
    from pathlib import Path

    from sirui.rules import state_diagram

    page = Path(__file__).resolve().parents[3] / "docs" / "mechanics" / "signin.md"
    assert state_diagram(SIGNIN_TRANSITIONS) in page.read_text("utf-8")
