"""A whole group-buy campaign in one value: the slices' store, for tests and notebooks.

Theory of operation: a host keeps groups, usage records and counters under
their own keys and decides each command on a `GroupSlice` (see
`sirui.campaigns.groupbuy._slice`). `GroupBuyCampaign` is that host in
memory: persistent maps (`PMap`) of groups and usage by id, and the
counters. ``campaign.handle(command, now=...)`` loads the slice the command
needs (`slice_for`), lets it decide, and stores back what changed; each
`PMap.set` copies one small leaf, so a command costs the same at 20,000
groups as at 100. A refusal returns this very campaign.

`PruneLog` prunes every group's log (a maintenance command: it visits every
group) and is recorded in the campaign's own log.
"""

from __future__ import annotations

from typing import Any

import attrs

from sirui.campaigns._replay import prune_all
from sirui.campaigns.groupbuy._events import GroupTick, JoinGroup, LeaveGroup, OpenGroup, PaySeat
from sirui.campaigns.groupbuy._group import Group
from sirui.campaigns.groupbuy._policy import GroupBuyPolicy
from sirui.campaigns.groupbuy._slice import GroupBuyCounters, GroupSlice, MemberUsage
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.persistent import PMap
from sirui.core.windows import DateTime, aware
from sirui.rules import Accepted, CommandLog, PruneLog, Rejected

__all__ = ["GroupBuyCampaign"]

Command = OpenGroup | JoinGroup | PaySeat | LeaveGroup | GroupTick | PruneLog


def _pmap() -> PMap[Any, Any]:
    return PMap()


@attrs.frozen(slots=True)
class GroupBuyCampaign:
    """The live state of one group-buy campaign (拼团活动): groups, usage, counters.

    Build with `GroupBuyCampaign.start`, then feed commands to `handle`.
    A host with its own storage uses `GroupSlice` directly instead.
    """

    policy: GroupBuyPolicy
    counters: GroupBuyCounters
    groups: PMap[str, Group] = attrs.field(factory=_pmap)
    usage: PMap[str, MemberUsage] = attrs.field(factory=_pmap)
    log: CommandLog = attrs.field(factory=CommandLog)
    """Campaign-wide commands accepted (`PruneLog`); each group keeps its own."""

    @classmethod
    def start(cls, policy: GroupBuyPolicy) -> GroupBuyCampaign:
        if not isinstance(policy, GroupBuyPolicy):
            raise invalid("policy", policy, "must be a GroupBuyPolicy")
        return cls(policy, GroupBuyCounters(policy.id))

    @property
    def held(self) -> int:
        """Units held by reserved or paid seats of open and succeeded groups."""
        return self.counters.held

    @property
    def stock_left(self) -> int | None:
        return None if self.policy.stock is None else self.policy.stock - self.counters.held

    def group(self, group_id: str) -> Group:
        found = self.groups.get(group_id)
        if found is None:
            raise InvalidCommandError(f"group_id={group_id!r}: no such group in campaign "
                                      f"{self.policy.id!r}; open it with OpenGroup first")
        return found

    def usage_of(self, member_id: str) -> MemberUsage:
        return self.usage.get(member_id) or MemberUsage(member_id)

    def slice_for(self, command: Any) -> GroupSlice:
        """The `GroupSlice` ``command`` is decided on, as a host would load it."""
        group = self.groups.get(command.group_id)
        ids = GroupSlice.members_for(command, group)
        return GroupSlice(self.policy, self.counters, group,
                          tuple(self.usage_of(m) for m in ids))

    def handle(
        self, command: Command, *, now: DateTime
    ) -> Accepted[GroupBuyCampaign] | Rejected[GroupBuyCampaign]:
        """Decide ``command`` at ``now`` on its slice and store the outcome."""
        if type(command) is PruneLog:
            return self._prune(command, aware(now))
        if not isinstance(command, OpenGroup | JoinGroup | PaySeat | LeaveGroup | GroupTick):
            raise InvalidCommandError(f"command={command!r}: not a group-buy command")
        before = self.slice_for(command)
        out = before.handle(command, now=now)
        if not out.ok:
            return Rejected(out.reason, self)
        after = out.state
        if after is before:
            return Accepted(self, out.events)
        return Accepted(self._stored(before, after), out.events)

    def _stored(self, before: GroupSlice, after: GroupSlice) -> GroupBuyCampaign:
        assert after.group is not None
        usage = self.usage
        for old, new in zip(before.usage, after.usage, strict=True):
            if new is not old:
                usage = usage.set(new.member_id, new)
        return GroupBuyCampaign(self.policy, after.counters,
                                self.groups.set(after.group.id, after.group), usage, self.log)

    def _prune(self, cmd: PruneLog, now: DateTime) -> Accepted[GroupBuyCampaign]:
        replayed = self.log.replay(self, cmd)
        if replayed is not None:
            return replayed
        log, groups, events = prune_all(self.log, self.groups, cmd, now,
                                        self.policy.log_retention_days)
        return Accepted(attrs.evolve(self, groups=groups, log=log), events)
