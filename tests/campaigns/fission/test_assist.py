"""Friend assistance / task fission (助力 / 任务宝): invite 3 friends, get the prize."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.campaigns.assist import (
    AssistCampaign,
    AssistPolicy,
    AssistStatus,
    AssistTick,
    HelpTask,
    PrizeDue,
    PrizeOutOfStock,
    StartTask,
    TaskExpired,
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
    assert codes(out.events) == ["AssistHelped", "AssistCompleted", "PrizeDue"]
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
    before = d.state
    out = d.help("t1", "f1", minute=61)
    assert out.reason.code == "assist.expired"
    assert out.state is before and out.events == ()     # a refusal changes nothing
    assert d.run(AssistTick("early", "t1"), 30).reason.code == "assist.not_due"
    tick = d.run(AssistTick("tick", "t1"), 61)
    assert tick.events == (TaskExpired("t1", 0, T0.add(minutes=61)),)
    assert d.state.task("t1").status is AssistStatus.EXPIRED
    assert d.start("t2", "x", minute=-1).reason.code == "assist.not_started"
    assert d.start("t3", "y", minute=10 * 24 * 60).reason.code == "assist.ended"
    assert d.start("t4", "me", minute=62).reason.code == "assist.limit_reached"


def test_completing_a_task_ends_it_in_progress_for_its_owner() -> None:
    d = Driver(policy(helps_required=1, max_tasks_per_member=None))
    d.start("t1", "me")
    assert d.start("t2", "me", minute=1).reason.code == "assist.already_started"
    d.help("t1", "f1")
    assert d.start("t3", "me", minute=3).ok


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


def test_commands_are_validated_on_construction() -> None:
    with pytest.raises(InvalidPolicyError):
        StartTask("", "t", member("a"))
    with pytest.raises(InvalidPolicyError):
        HelpTask("h", "t", "not a member")  # type: ignore[arg-type]
