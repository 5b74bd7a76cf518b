"""The host's view of assistance: one small `TaskSlice` per command, stored by key."""

from __future__ import annotations

from typing import Any

import pytest

from contract import reload
from sirui.campaigns.assist import (
    AssistCampaign,
    AssistCounters,
    AssistPolicy,
    AssistTask,
    AssistTick,
    AssistUsage,
    HelpTask,
    PrizeDue,
    StartTask,
    TaskSlice,
)
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.rules import Accepted, LogPruned, PruneLog

from ._helpers import END, T0, member


def policy(**kw: Any) -> AssistPolicy:
    base: dict[str, Any] = {"id": "a1", "prize": "coupon:free-wipes", "helps_required": 2,
                            "starts_at": T0, "ends_at": END, "prize_stock": 5}
    base.update(kw)
    return AssistPolicy(**base)


class Host:
    def __init__(self, p: AssistPolicy) -> None:
        self.policy, self.counters = p, AssistCounters(p.id)
        self.tasks: dict[str, AssistTask] = {}
        self.usage: dict[str, AssistUsage] = {}

    def handle(self, cmd: Any, minute: float) -> Any:
        task = self.tasks.get(cmd.task_id)
        ids = TaskSlice.members_for(cmd, task)
        sl = TaskSlice(self.policy, self.counters, task,
                       [self.usage.get(m, AssistUsage(m)) for m in ids])
        out = sl.handle(cmd, now=T0.add(seconds=int(minute * 60)))
        if out.ok:
            self.counters = out.state.counters
            self.tasks[cmd.task_id] = out.state.task
            self.usage.update({u.member_id: u for u in out.state.usage})
        else:
            assert out.state is sl and out.events == ()
        return out


def test_a_help_loads_the_helper_and_the_owner_and_completes_the_task() -> None:
    h = Host(policy())
    h.handle(StartTask("s", "t", member("lily")), 0)
    assert TaskSlice.members_for(HelpTask("h", "t", member("ming")), h.tasks["t"]) == (
        "ming", "lily")
    assert TaskSlice.members_for(HelpTask("h", "t", member("lily")), h.tasks["t"]) == ("lily",)
    assert TaskSlice.members_for(AssistTick("x", "t"), h.tasks["t"]) == ()
    h.handle(HelpTask("h1", "t", member("ming")), 1)
    out = h.handle(HelpTask("h2", "t", member("hua")), 2)
    assert out.events[-1] == PrizeDue("t", "lily", "coupon:free-wipes")
    assert h.counters.prizes_given == 1
    assert h.usage["lily"] == AssistUsage("lily", tasks_started=1)     # no task in progress
    assert h.usage["hua"].helps_given == 1


def test_a_replay_after_reload_returns_the_original_events() -> None:
    c = AssistCampaign.start(policy())
    c = c.handle(StartTask("s", "t", member("lily")), now=T0).state
    first = c.handle(HelpTask("h", "t", member("ming")), now=T0)
    stored = reload(first.state)
    assert stored == first.state
    again = stored.handle(HelpTask("h", "t", member("ming")), now=T0.add(hours=1))
    assert isinstance(again, Accepted)
    assert again.events == first.events and again.state is stored
    with pytest.raises(IdConflictError):
        stored.handle(HelpTask("h", "t", member("wei")), now=T0)
    sl = stored.slice_for(HelpTask("h3", "t", member("wei")))
    assert reload(sl) == sl
    assert hash(reload(sl)) == hash(sl)             # a slice is a plain frozen value


def test_prune_forgets_old_ids() -> None:
    c = AssistCampaign.start(policy(log_retention_days=1))
    c = c.handle(StartTask("s", "t", member("lily")), now=T0).state
    out = c.slice_for(AssistTick("x", "t")).handle(PruneLog("p"), now=T0.add(days=2))
    assert out.events == (LogPruned(T0.add(days=1), 1),)
    whole = c.handle(PruneLog("p"), now=T0.add(days=2))
    assert whole.events == out.events and "s" not in whole.state.task("t").log


def test_misuse_names_what_to_load() -> None:
    p = policy()
    sl = TaskSlice(p, AssistCounters(p.id), None, [AssistUsage("lily")])
    started = sl.handle(StartTask("s", "t", member("lily")), now=T0).state
    with pytest.raises(InvalidCommandError, match="AssistUsage"):
        started.handle(HelpTask("h", "t", member("ming")), now=T0)
    with pytest.raises(InvalidCommandError, match="another task"):
        started.handle(AssistTick("x", "other"), now=T0)
    with pytest.raises(InvalidCommandError, match="no such task"):
        sl.handle(AssistTick("x", "t"), now=T0)
    with pytest.raises(InvalidCommandError, match="PruneLog"):
        sl.handle(PruneLog("p"), now=T0)
    with pytest.raises(InvalidPolicyError, match="campaign_id"):
        TaskSlice(p, AssistCounters("other"))
