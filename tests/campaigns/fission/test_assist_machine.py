"""Assistance tasks under random starts, helps and ticks, against a model.

A plain model (dicts, the operator's rules once more) predicts every
outcome, accepted or refused with which reason, and the campaign must agree
with it after every step on each task's helpers and status, the prizes
given and every member's usage. From the events alone: a task completes
once, at exactly ``helps_required`` helps, and prizes never exceed the
stock. Rules also replay accepted commands and save and reload the campaign.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from contract import reload
from sirui.campaigns.assist import (
    ASSIST_REASONS,
    AssistCampaign,
    AssistCompleted,
    AssistPolicy,
    AssistTick,
    HelpTask,
    PrizeDue,
    StartTask,
)
from sirui.core.windows import DateTime
from sirui.rules import Always, NewCustomer

from ._helpers import END, T0, member

OWNERS = "abc"
HELPERS = "abcdef"
NEW = "ef"          # members with no paid order yet


def person(mid: str) -> Any:
    return member(mid, paid_orders=0 if mid in NEW else 3)


@dataclass
class MTask:
    owner: str
    deadline: DateTime
    helpers: list[str] = field(default_factory=list)
    status: str = "active"


class Model:
    def __init__(self, p: AssistPolicy) -> None:
        self.p = p
        self.tasks: dict[str, MTask] = {}
        self.started: Counter[str] = Counter()
        self.active: dict[str, tuple[str, DateTime]] = {}
        self.helps: Counter[str] = Counter()
        self.prizes = 0

    def expect(self, cmd: Any, now: DateTime) -> str:
        p = self.p
        if isinstance(cmd, StartTask):
            mid, live = cmd.member.id, self.active.get(cmd.member.id)
            if now < p.starts_at:
                return "assist.not_started"
            if now >= p.ends_at:
                return "assist.ended"
            if p.prize_stock is not None and self.prizes >= p.prize_stock:
                return "assist.prize_out_of_stock"
            if live is not None and now < live[1]:
                return "assist.already_started"
            if p.max_tasks_per_member is not None and self.started[mid] >= p.max_tasks_per_member:
                return "assist.limit_reached"
            return "ok"
        t = self.tasks[cmd.task_id]
        if t.status != "active":
            return "assist.expired" if t.status == "expired" else "assist.completed"
        if isinstance(cmd, AssistTick):
            return "ok" if now >= t.deadline else "assist.not_due"
        hid = cmd.helper.id
        if now >= t.deadline:
            return "assist.expired"
        if hid == t.owner:
            return "assist.self_help"
        if hid in t.helpers:
            return "assist.already_helped"
        if p.max_helps_per_helper is not None and self.helps[hid] >= p.max_helps_per_helper:
            return "assist.limit_reached"
        if p.helper_condition == NewCustomer() and hid not in NEW:
            return "assist.not_eligible"
        return "ok"

    def commit(self, cmd: Any, now: DateTime) -> None:
        p = self.p
        if isinstance(cmd, StartTask):
            deadline = min(now.add(minutes=p.time_limit_minutes), p.ends_at)
            self.tasks[cmd.task_id] = MTask(cmd.member.id, deadline)
            self.started[cmd.member.id] += 1
            self.active[cmd.member.id] = (cmd.task_id, deadline)
            return
        t = self.tasks[cmd.task_id]
        if isinstance(cmd, AssistTick):
            t.status = "expired"
            return
        t.helpers.append(cmd.helper.id)
        self.helps[cmd.helper.id] += 1
        if len(t.helpers) == p.helps_required:
            t.status = "completed"
            if p.prize_stock is None or self.prizes < p.prize_stock:
                self.prizes += 1
            if self.active.get(t.owner, ("",))[0] == cmd.task_id:
                del self.active[t.owner]


class AssistMachine(RuleBasedStateMachine):
    @initialize(required=st.integers(1, 3), stock=st.none() | st.integers(0, 2),
                per_helper=st.none() | st.integers(1, 3), per_owner=st.none() | st.integers(1, 2),
                new_only=st.booleans())
    def setup(self, required: int, stock: int | None, per_helper: int | None,
              per_owner: int | None, new_only: bool) -> None:
        self.p = AssistPolicy(
            "a1", "coupon:free-wipes", required, T0, END, time_limit_minutes=120,
            prize_stock=stock, max_helps_per_helper=per_helper, max_tasks_per_member=per_owner,
            helper_condition=NewCustomer() if new_only else Always(),
        )
        self.state = AssistCampaign.start(self.p)
        self.model = Model(self.p)
        self.minute, self.n = 0, 0
        self.completed: list[str] = []
        self.prizes = 0
        self.history: list[tuple[Any, Any]] = []

    def _run(self, cmd: Any, step: int) -> None:
        self.minute += step
        now = T0.add(minutes=self.minute)
        expected = self.model.expect(cmd, now)
        out = self.state.handle(cmd, now=now)
        assert ("ok" if out.ok else out.reason.code) == expected, (cmd, out, expected)
        if not out.ok:
            assert out.reason.code in ASSIST_REASONS
            assert out.state is self.state and out.events == ()
            return
        self.model.commit(cmd, now)
        for ev in out.events:
            if isinstance(ev, AssistCompleted):
                self.completed.append(ev.task_id)
            self.prizes += isinstance(ev, PrizeDue)
        self.state = out.state
        self.history.append((cmd, out))

    def _id(self) -> str:
        self.n += 1
        return f"c{self.n}"

    @rule(mid=st.sampled_from(OWNERS), step=st.integers(0, 60))
    def start(self, mid: str, step: int) -> None:
        self._run(StartTask(self._id(), f"t{self.n}", person(mid)), step)

    @precondition(lambda self: bool(self.model.tasks))
    @rule(data=st.data(), hid=st.sampled_from(HELPERS), step=st.integers(0, 60))
    def help(self, data: st.DataObject, hid: str, step: int) -> None:
        tid = data.draw(st.sampled_from(sorted(self.model.tasks)))
        self._run(HelpTask(self._id(), tid, person(hid)), step)

    @precondition(lambda self: bool(self.model.tasks))
    @rule(data=st.data(), step=st.integers(0, 200))
    def tick(self, data: st.DataObject, step: int) -> None:
        tid = data.draw(st.sampled_from(sorted(self.model.tasks)))
        self._run(AssistTick(self._id(), tid), step)

    @precondition(lambda self: bool(self.history))
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        cmd, out = data.draw(st.sampled_from(self.history))
        again = self.state.handle(cmd, now=T0.add(minutes=self.minute))
        assert again.ok and again.events == out.events and again.state is self.state

    @rule()
    def save_and_reload(self) -> None:
        stored = reload(self.state)
        assert stored == self.state
        self.state = stored

    @invariant()
    def the_campaign_is_the_model(self) -> None:
        m = self.model
        assert len(self.state.tasks) == len(m.tasks)
        for tid, mt in m.tasks.items():
            t = self.state.task(tid)
            assert (t.owner, list(t.helpers), t.status.value) == (mt.owner, mt.helpers, mt.status)
        assert self.state.prizes_given == m.prizes == self.prizes
        for mid in HELPERS:
            u = self.state.usage_of(mid)
            assert (u.tasks_started, u.helps_given) == (m.started[mid], m.helps[mid])
            assert u.active_id == m.active.get(mid, (None,))[0]

    @invariant()
    def tasks_complete_once_at_exactly_n_helps_and_prizes_within_stock(self) -> None:
        assert len(self.completed) == len(set(self.completed))
        for tid, t in self.state.tasks.items():
            assert len(t.helpers) == len(set(t.helpers))
            assert t.owner not in t.helpers
            done = t.status.value == "completed"
            assert done == (tid in self.completed)
            assert len(t.helpers) == self.p.helps_required if done else (
                len(t.helpers) < self.p.helps_required)
        stock = self.p.prize_stock
        assert stock is None or self.state.prizes_given <= stock


AssistMachine.TestCase.settings = settings(stateful_step_count=30)
TestAssistMachine = AssistMachine.TestCase
