"""The host's view of group-buy: one small `GroupSlice` per command, stored by key.

A tiny host keeps groups, usage records and counters in dicts, loads the
slice a command needs, and writes back what the slice returns, as a mall
backend would with its database.
"""

from __future__ import annotations

from typing import Any

import pytest

from contract import reload
from sirui.campaigns.groupbuy import (
    GroupBuyCampaign,
    GroupBuyCounters,
    GroupBuyPolicy,
    GroupSlice,
    GroupStatus,
    GroupTick,
    JoinGroup,
    MemberUsage,
    OpenGroup,
    PaySeat,
    SeatReleased,
)
from sirui.core.errors import IdConflictError, InvalidCommandError, InvalidPolicyError
from sirui.rules import Accepted, LogPruned, PruneLog, Rejected

from ._helpers import END, T0, codes, member, yuan


def policy(**kw: Any) -> GroupBuyPolicy:
    base: dict[str, Any] = {
        "id": "gb1", "sku": "milk", "original_price": yuan("99"), "group_price": yuan("59"),
        "group_size": 2, "starts_at": T0, "ends_at": END, "stock": 10,
    }
    base.update(kw)
    return GroupBuyPolicy(**base)


class Host:
    """Groups, usage and counters under their own keys; one slice per command."""

    def __init__(self, p: GroupBuyPolicy) -> None:
        self.policy = p
        self.counters = GroupBuyCounters(p.id)
        self.groups: dict[str, Any] = {}
        self.usage: dict[str, MemberUsage] = {}
        self.loaded: list[str] = []

    def handle(self, cmd: Any, minute: float) -> Any:
        group = self.groups.get(cmd.group_id)
        ids = GroupSlice.members_for(cmd, group)
        self.loaded = list(ids)
        sl = GroupSlice(self.policy, self.counters, group,
                        tuple(self.usage.get(m, MemberUsage(m)) for m in ids))
        out = sl.handle(cmd, now=T0.add(seconds=int(minute * 60)))
        if out.ok:
            new = out.state
            self.counters = new.counters
            self.groups[new.group.id] = new.group
            self.usage.update({u.member_id: u for u in new.usage})
        else:
            assert out.state is sl
        return out


def test_a_host_stores_one_group_its_members_and_the_counters_per_command() -> None:
    h = Host(policy())
    for g in range(3):
        assert h.handle(OpenGroup(f"o{g}", f"g{g}", member(f"L{g}")), 1).ok
    assert h.loaded == ["L2"]
    h.handle(PaySeat("p0", "g0", "o0"), 2)
    out = h.handle(JoinGroup("j", "g0", member("ann")), 3)
    assert h.loaded == ["L0", "ann"]               # the group's members and the joiner
    assert codes(out.events) == ["GroupMemberJoined"]
    assert h.counters.held == 4
    assert h.usage["ann"] == MemberUsage("ann", joined=1, quantity=1)
    done = h.handle(PaySeat("p1", "g0", "j"), 4)
    assert codes(done.events) == ["SeatPaid", "GroupSucceeded"]
    assert h.groups["g0"].status is GroupStatus.SUCCEEDED


def test_a_refusal_is_the_very_same_slice_and_expires_nothing() -> None:
    h = Host(policy(time_limit_minutes=60))
    h.handle(OpenGroup("o", "g", member("lily")), 0)
    h.handle(PaySeat("p", "g", "o"), 1)
    stored = h.groups["g"]
    late = h.handle(JoinGroup("j", "g", member("ming")), 61)     # after the deadline
    assert isinstance(late, Rejected)
    assert late.reason.code == "groupbuy.expired"
    assert late.events == ()
    assert h.groups["g"] is stored and stored.status is GroupStatus.OPEN
    assert h.counters.held == 1                    # the clock acts only through a tick
    failed = h.handle(GroupTick("t", "g"), 62)
    assert codes(failed.events) == ["RefundDue", "GroupFailed"]
    assert (h.counters.held, h.usage["lily"]) == (0, MemberUsage("lily"))


def test_an_accepted_join_carries_the_release_it_noticed() -> None:
    h = Host(policy())
    h.handle(OpenGroup("o", "g", member("lily")), 0)
    h.handle(PaySeat("p", "g", "o"), 1)
    h.handle(JoinGroup("slow", "g", member("slow")), 2)
    out = h.handle(JoinGroup("fast", "g", member("fast")), 17)
    assert codes(out.events) == ["SeatReleased", "GroupMemberJoined"]
    assert isinstance(out.events[0], SeatReleased)
    assert h.usage["slow"] == MemberUsage("slow")
    assert h.counters.held == 2


def test_misuse_is_an_error_naming_what_to_load() -> None:
    p = policy()
    counters = GroupBuyCounters(p.id)
    opened = GroupSlice(p, counters, None, (MemberUsage("lily"),)).handle(
        OpenGroup("o", "g", member("lily")), now=T0)
    sl = opened.state
    with pytest.raises(InvalidCommandError, match="MemberUsage"):
        sl.handle(JoinGroup("j", "g", member("ming")), now=T0)      # ming's record missing
    with pytest.raises(InvalidCommandError, match="another group"):
        sl.handle(PaySeat("p", "other", "o"), now=T0)
    with pytest.raises(InvalidCommandError, match="no such group"):
        GroupSlice(p, counters).handle(PaySeat("p", "g", "o"), now=T0)
    with pytest.raises(InvalidCommandError, match="already exists"):
        sl.handle(OpenGroup("o2", "g", member("lily")), now=T0)
    with pytest.raises(InvalidCommandError, match="not a group-buy command"):
        sl.handle("open", now=T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError, match="campaign_id"):
        GroupSlice(p, GroupBuyCounters("other"))
    with pytest.raises(InvalidPolicyError, match="usage"):
        GroupSlice(p, counters, None, (MemberUsage("a"), MemberUsage("a")))


def test_replays_survive_save_and_reload_and_conflicts_raise() -> None:
    c = GroupBuyCampaign.start(policy())
    first = c.handle(OpenGroup("o", "g", member("lily")), now=T0)
    stored = reload(first.state)
    assert stored == first.state
    again = stored.handle(OpenGroup("o", "g", member("lily")), now=T0.add(hours=1))
    assert isinstance(again, Accepted)
    assert again.events == first.events and again.state is stored
    with pytest.raises(IdConflictError):
        stored.handle(OpenGroup("o", "g", member("lily"), quantity=2), now=T0)
    sl = stored.slice_for(JoinGroup("j", "g", member("ming")))
    assert reload(sl) == sl
    assert hash(reload(sl)) == hash(sl)             # a slice is a plain frozen value


def test_prune_forgets_old_ids_in_a_slice_and_in_the_whole_campaign() -> None:
    c = GroupBuyCampaign.start(policy(log_retention_days=7))
    c = c.handle(OpenGroup("o", "g", member("lily")), now=T0).state
    sl = c.slice_for(PaySeat("p", "g", "o"))
    pruned = sl.handle(PruneLog("prune"), now=T0.add(days=8))
    assert isinstance(pruned, Accepted)
    assert pruned.events == (LogPruned(T0.add(days=1), 1),)
    assert "o" not in pruned.state.group.log
    whole = c.handle(PruneLog("prune"), now=T0.add(days=8))
    assert whole.events == (LogPruned(T0.add(days=1), 1),)
    assert "o" not in whole.state.group("g").log
    assert whole.state.handle(PruneLog("prune"), now=T0.add(days=9)).events == whole.events
    with pytest.raises(InvalidCommandError, match="PruneLog"):
        GroupSlice(c.policy, c.counters).handle(PruneLog("x"), now=T0)
