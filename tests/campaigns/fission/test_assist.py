"""Friend assistance / task fission (助力 / 任务宝): invite 3 friends, get the prize."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from sirui.campaigns.assist import (
    ASSIST_REASONS,
    AssistCampaign,
    AssistPolicy,
    AssistStatus,
    AssistTick,
    HelpTask,
    PrizeDue,
    PrizeOutOfStock,
    StartTask,
    TaskCompleted,
)
from sirui.config import dump, load
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.rules import NewCustomer

from ._helpers import END, T0, codes, member


def policy(**kw: Any) -> AssistPolicy:
    base: dict[str, Any] = {"id": "a1", "prize": "coupon:free-wipes", "helps_required": 3,
                            "starts_at": T0, "ends_at": END}
    base.update(kw)
    return AssistPolicy(**base)


class Driver:
    def __init__(self, p: AssistPolicy) -> None:
        self.state = AssistCampaign.start(p)
        self.n = 0

    def run(self, cmd: Any, minute: float = 1) -> Any:
        out = self.state.handle(cmd, now=T0.add(seconds=int(minute * 60)))
        self.state = out.state
        return out

    def start(self, tid: str = "t1", mid: str = "me", minute: float = 1) -> Any:
        return self.run(StartTask(f"start-{tid}", tid, member(mid)), minute)

    def help(self, tid: str, hid: str, minute: float = 2, **m: Any) -> Any:
        self.n += 1
        return self.run(HelpTask(f"h{self.n}", tid, member(hid, **m)), minute)


def test_three_new_friends_win_the_prize() -> None:
    d = Driver(policy(helper_condition=NewCustomer()))
    d.start()
    assert d.help("t1", "f1", paid_orders=0).events[0].helps == 1
    assert d.help("t1", "old").reason.code == "assist.not_eligible"
    d.help("t1", "f2", paid_orders=0)
    out = d.help("t1", "f3", paid_orders=0)
    assert codes(out.events) == ["AssistHelped", "TaskCompleted", "PrizeDue"]
    assert out.events[-1] == PrizeDue("t1", "me", "coupon:free-wipes")
    assert d.help("t1", "f4", paid_orders=0).reason.code == "assist.completed"


def test_duplicate_and_self_help_are_refused() -> None:
    d = Driver(policy())
    d.start()
    assert d.help("t1", "me").reason.code == "assist.self_help"
    assert d.help("t1", "f1").ok
    assert d.help("t1", "f1").reason.code == "assist.already_helped"


def test_a_friend_may_help_once_per_campaign() -> None:
    d = Driver(policy(max_helps_per_helper=1))
    d.start("t1", "a")
    d.start("t2", "b")
    assert d.help("t1", "f").ok
    assert d.help("t2", "f").reason.code == "assist.limit_reached"


def test_prize_stock_of_one_serves_the_first_to_finish() -> None:
    d = Driver(policy(helps_required=1, prize_stock=1))
    d.start("t1", "a")
    d.start("t2", "b")
    assert isinstance(d.help("t1", "f1").events[-1], PrizeDue)
    late = d.help("t2", "f2")
    assert isinstance(late.events[-1], PrizeOutOfStock)
    assert d.state.prizes_left == 0
    assert d.start("t3", "c").reason.code == "assist.prize_out_of_stock"


def test_a_task_expires_at_its_deadline_and_window_bounds_starts() -> None:
    d = Driver(policy(time_limit_minutes=60))
    d.start()
    out = d.help("t1", "f1", minute=61)
    assert out.reason.code == "assist.expired"
    assert d.state.task("t1").status is AssistStatus.EXPIRED
    assert d.start("t2", "x", minute=-1).reason.code == "assist.not_started"
    assert d.start("t3", "y", minute=10 * 24 * 60).reason.code == "assist.ended"
    assert d.start("t4", "me", minute=62).reason.code == "assist.limit_reached"


def test_idempotent_commands_and_misuse() -> None:
    d = Driver(policy())
    d.start()
    cmd = HelpTask("h", "t1", member("f"))
    first = d.run(cmd)
    assert d.state.handle(cmd, now=T0.add(hours=1)).events == first.events
    with pytest.raises(IdConflictError):
        d.state.handle(HelpTask("h", "t1", member("g")), now=T0.add(hours=1))
    with pytest.raises(InvalidCommandError):
        d.state.handle(HelpTask("x", "nope", member("g")), now=T0.add(hours=1))
    with pytest.raises(InvalidPolicyError):
        policy(helps_required=0)
    with pytest.raises(InvalidPolicyError):
        policy(ends_at=T0)


@given(st.builds(policy, helps_required=st.integers(1, 50),
                 prize_stock=st.none() | st.integers(0, 9),
                 helper_condition=st.sampled_from([NewCustomer()]),
                 max_tasks_per_member=st.none() | st.integers(1, 3)))
def test_policies_round_trip_through_config(p: AssistPolicy) -> None:
    assert load(dump(p)) == p


class AssistMachine(RuleBasedStateMachine):
    @initialize(required=st.integers(1, 3), stock=st.none() | st.integers(0, 2))
    def setup(self, required: int, stock: int | None) -> None:
        self.p = policy(helps_required=required, prize_stock=stock, time_limit_minutes=120,
                        max_tasks_per_member=None)
        self.state = AssistCampaign.start(self.p)
        self.minute, self.n = 0, 0
        self.completed: list[str] = []
        self.prizes = 0

    def _run(self, cmd: Any, step: int) -> None:
        self.minute += step
        out = self.state.handle(cmd, now=T0.add(minutes=self.minute))
        if not out.ok:
            assert out.reason.code in ASSIST_REASONS
        for ev in out.events:
            if isinstance(ev, TaskCompleted):
                self.completed.append(ev.task_id)
            self.prizes += isinstance(ev, PrizeDue)
        self.state = out.state

    @rule(mid=st.sampled_from("abc"), step=st.integers(0, 60))
    def start(self, mid: str, step: int) -> None:
        self.n += 1
        self._run(StartTask(f"c{self.n}", f"t{self.n}", member(mid)), step)

    @precondition(lambda self: bool(self.state.tasks))
    @rule(data=st.data(), hid=st.sampled_from("abcdef"), step=st.integers(0, 60))
    def help(self, data: st.DataObject, hid: str, step: int) -> None:
        self.n += 1
        tid = data.draw(st.sampled_from(sorted(self.state.tasks)))
        self._run(HelpTask(f"c{self.n}", tid, member(hid)), step)

    @rule(step=st.integers(0, 200))
    def tick(self, step: int) -> None:
        self._run(AssistTick(), step)

    @invariant()
    def one_task_in_progress_per_member(self) -> None:
        now = T0.add(minutes=self.minute)
        live = [t.owner for t in self.state.tasks.values()
                if t.status is AssistStatus.ACTIVE and now < t.deadline]
        assert len(live) == len(set(live))

    @invariant()
    def tasks_complete_once_at_exactly_n_helps_and_prizes_within_stock(self) -> None:
        assert len(self.completed) == len(set(self.completed))
        for t in self.state.tasks.values():
            assert len(t.helpers) == len(set(t.helpers))
            assert t.owner not in t.helpers
            done = t.status is AssistStatus.COMPLETED
            assert done == (t.id in self.completed)
            assert len(t.helpers) == self.p.helps_required if done else (
                len(t.helpers) < self.p.helps_required)
        assert self.prizes == self.state.prizes_given
        assert self.p.prize_stock is None or self.state.prizes_given <= self.p.prize_stock


AssistMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30,
                                           deadline=None)
TestAssistMachine = AssistMachine.TestCase


def test_commands_are_validated_on_construction() -> None:
    with pytest.raises(InvalidPolicyError):
        StartTask("", "t", member("a"))
    with pytest.raises(InvalidPolicyError):
        HelpTask("h", "t", "not a member")  # type: ignore[arg-type]
