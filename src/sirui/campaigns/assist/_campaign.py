"""A whole assistance campaign in one value: the slices' store, for tests and notebooks.

Theory of operation: a host keeps tasks, usage records and counters under
their own keys and decides each command on a `TaskSlice`. `AssistCampaign`
is that host in memory: persistent maps (`PMap`) of tasks and usage by id,
and the counters. ``campaign.handle(command, now=...)`` loads the slice the
command needs (`slice_for`), lets it decide, and stores back what changed,
so a command costs the same at 20,000 tasks as at 100. A refusal returns
this very campaign. `PruneLog` prunes every task's log (a maintenance sweep)
and is recorded in the campaign's own log.
"""

from __future__ import annotations

from typing import Any

import attrs

from sirui.campaigns._replay import prune_all
from sirui.campaigns.assist._messages import AssistTick, HelpTask, StartTask
from sirui.campaigns.assist._policy import AssistPolicy
from sirui.campaigns.assist._slice import AssistCounters, AssistTask, AssistUsage, TaskSlice
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.persistent import PMap
from sirui.core.windows import DateTime, aware
from sirui.rules import Accepted, CommandLog, PruneLog, Rejected

__all__ = ["AssistCampaign"]

Command = StartTask | HelpTask | AssistTick | PruneLog


def _pmap() -> PMap[Any, Any]:
    return PMap()


@attrs.frozen(slots=True)
class AssistCampaign:
    """The live state of a task-fission campaign: tasks, usage, counters.

    Build with `AssistCampaign.start`, then feed commands to `handle`. A
    host with its own storage uses `TaskSlice` directly instead.
    """

    policy: AssistPolicy
    counters: AssistCounters
    tasks: PMap[str, AssistTask] = attrs.field(factory=_pmap)
    usage: PMap[str, AssistUsage] = attrs.field(factory=_pmap)
    log: CommandLog = attrs.field(factory=CommandLog)
    """Campaign-wide commands accepted (`PruneLog`); each task keeps its own."""

    @classmethod
    def start(cls, policy: AssistPolicy) -> AssistCampaign:
        if not isinstance(policy, AssistPolicy):
            raise invalid("policy", policy, "must be an AssistPolicy")
        return cls(policy, AssistCounters(policy.id))

    @property
    def prizes_given(self) -> int:
        return self.counters.prizes_given

    @property
    def prizes_left(self) -> int | None:
        stock = self.policy.prize_stock
        return None if stock is None else stock - self.counters.prizes_given

    def task(self, task_id: str) -> AssistTask:
        found = self.tasks.get(task_id)
        if found is None:
            raise InvalidCommandError(f"task_id={task_id!r}: no such task; "
                                      "start it with StartTask first")
        return found

    def usage_of(self, member_id: str) -> AssistUsage:
        return self.usage.get(member_id) or AssistUsage(member_id)

    def slice_for(self, command: Any) -> TaskSlice:
        """The `TaskSlice` ``command`` is decided on, as a host would load it."""
        task = self.tasks.get(command.task_id)
        ids = TaskSlice.members_for(command, task)
        return TaskSlice(self.policy, self.counters, task, tuple(self.usage_of(m) for m in ids))

    def handle(
        self, command: Command, *, now: DateTime
    ) -> Accepted[AssistCampaign] | Rejected[AssistCampaign]:
        """Decide ``command`` at ``now`` on its slice and store the outcome."""
        if type(command) is PruneLog:
            return self._prune(command, aware(now))
        if not isinstance(command, StartTask | HelpTask | AssistTick):
            raise InvalidCommandError(f"command={command!r}: not an assistance command")
        before = self.slice_for(command)
        out = before.handle(command, now=now)
        if not out.ok:
            return Rejected(out.reason, self)
        after = out.state
        if after is before:
            return Accepted(self, out.events)
        assert after.task is not None
        usage = self.usage
        for old, new in zip(before.usage, after.usage, strict=True):
            if new is not old:
                usage = usage.set(new.member_id, new)
        tasks = self.tasks.set(after.task.id, after.task)
        return Accepted(AssistCampaign(self.policy, after.counters, tasks, usage, self.log),
                        out.events)

    def _prune(self, cmd: PruneLog, now: DateTime) -> Accepted[AssistCampaign]:
        replayed = self.log.replay(self, cmd)
        if replayed is not None:
            return replayed
        log, tasks, events = prune_all(self.log, self.tasks, cmd, now,
                                       self.policy.log_retention_days)
        return Accepted(attrs.evolve(self, tasks=tasks, log=log), events)
