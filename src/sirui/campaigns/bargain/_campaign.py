"""A whole bargain campaign in one value: the slices' store, for tests and notebooks.

Theory of operation: a host keeps bargains, usage records and counters under
their own keys and decides each command on a `BargainSlice`.
`BargainCampaign` is that host in memory: persistent maps (`PMap`) of
bargains and usage by id, and the counters. ``campaign.handle(command,
now=..., rng=...)`` loads the slice the command needs (`slice_for`), lets it
decide, and stores back what changed, so a command costs the same at 20,000
bargains as at 100. A refusal returns this very campaign. `PruneLog` prunes
every bargain's log (a maintenance sweep) and is recorded in the campaign's
own log.
"""

from __future__ import annotations

import random
from typing import Any

import attrs

from sirui.campaigns._replay import prune_all
from sirui.campaigns.bargain._messages import BargainTick, BuyBargain, HelpBargain, StartBargain
from sirui.campaigns.bargain._policy import BargainPolicy, check_rng
from sirui.campaigns.bargain._slice import Bargain, BargainCounters, BargainSlice, BargainUsage
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.persistent import PMap
from sirui.core.windows import DateTime, aware
from sirui.rules import Accepted, CommandLog, PruneLog, Rejected

__all__ = ["BargainCampaign"]

Command = StartBargain | HelpBargain | BuyBargain | BargainTick | PruneLog


def _pmap() -> PMap[Any, Any]:
    return PMap()


@attrs.frozen(slots=True)
class BargainCampaign:
    """The live state of a bargain campaign (砍价活动): bargains, usage, counters.

    Build with `BargainCampaign.start`, then feed commands to `handle`. A
    host with its own storage uses `BargainSlice` directly instead.
    """

    policy: BargainPolicy
    counters: BargainCounters
    bargains: PMap[str, Bargain] = attrs.field(factory=_pmap)
    usage: PMap[str, BargainUsage] = attrs.field(factory=_pmap)
    log: CommandLog = attrs.field(factory=CommandLog)
    """Campaign-wide commands accepted (`PruneLog`); each bargain keeps its own."""

    @classmethod
    def start(cls, policy: BargainPolicy) -> BargainCampaign:
        if not isinstance(policy, BargainPolicy):
            raise invalid("policy", policy, "must be a BargainPolicy")
        return cls(policy, BargainCounters(policy.id))

    @property
    def sold(self) -> int:
        return self.counters.sold

    def bargain(self, bargain_id: str) -> Bargain:
        found = self.bargains.get(bargain_id)
        if found is None:
            raise InvalidCommandError(f"bargain_id={bargain_id!r}: no such bargain; "
                                      "start it with StartBargain first")
        return found

    def usage_of(self, member_id: str) -> BargainUsage:
        return self.usage.get(member_id) or BargainUsage(member_id)

    def slice_for(self, command: Any) -> BargainSlice:
        """The `BargainSlice` ``command`` is decided on, as a host would load it."""
        bargain = self.bargains.get(command.bargain_id)
        ids = BargainSlice.members_for(command, bargain)
        return BargainSlice(self.policy, self.counters, bargain,
                            tuple(self.usage_of(m) for m in ids))

    def handle(
        self, command: Command, *, now: DateTime, rng: random.Random | None = None
    ) -> Accepted[BargainCampaign] | Rejected[BargainCampaign]:
        """Decide ``command`` at ``now`` on its slice (a help draws from ``rng``)."""
        if type(command) is PruneLog:
            if rng is not None:
                check_rng(rng)
            return self._prune(command, aware(now))
        if not isinstance(command, StartBargain | HelpBargain | BuyBargain | BargainTick):
            raise InvalidCommandError(f"command={command!r}: not a bargain command")
        before = self.slice_for(command)
        out = before.handle(command, now=now, rng=rng)
        if not out.ok:
            return Rejected(out.reason, self)
        after = out.state
        if after is before:
            return Accepted(self, out.events)
        assert after.bargain is not None
        usage = self.usage
        for old, new in zip(before.usage, after.usage, strict=True):
            if new is not old:
                usage = usage.set(new.member_id, new)
        bargains = self.bargains.set(after.bargain.id, after.bargain)
        return Accepted(BargainCampaign(self.policy, after.counters, bargains, usage, self.log),
                        out.events)

    def _prune(self, cmd: PruneLog, now: DateTime) -> Accepted[BargainCampaign]:
        replayed = self.log.replay(self, cmd)
        if replayed is not None:
            return replayed
        log, bargains, events = prune_all(self.log, self.bargains, cmd, now,
                                          self.policy.log_retention_days)
        return Accepted(attrs.evolve(self, bargains=bargains, log=log), events)
