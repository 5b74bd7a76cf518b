"""Group-buy options (issue 20): the time limit from the leader's payment, leader handover.

Operator rules with exact figures; the stateful model in
``test_groupbuy_machine.py`` draws both options too.
"""

from __future__ import annotations

from typing import Any

import pytest

from contract import reload
from sirui.campaigns.groupbuy import (
    GROUP_TRANSITIONS,
    DeadlineFrom,
    GroupBuyCampaign,
    GroupBuyPolicy,
    GroupDeadlineSet,
    GroupOpened,
    GroupStatus,
    GroupTick,
    JoinGroup,
    LeaderChanged,
    LeaveGroup,
    MemberUsage,
    OpenGroup,
    PaySeat,
    RedPacketDue,
    RefundDue,
    RefundKind,
)
from sirui.config import dump, load
from sirui.core.errors import InvalidPolicyError, InvalidValueError

from ._helpers import END, T0, member, yuan


def policy(**kw: Any) -> GroupBuyPolicy:
    base: dict[str, Any] = {
        "id": "gb1", "sku": "milk", "original_price": yuan("99"), "group_price": yuan("59"),
        "group_size": 3, "starts_at": T0, "ends_at": END,
    }
    base.update(kw)
    return GroupBuyPolicy(**base)


class Driver:
    """Feeds commands at minutes after T0; refuses to go on after a refusal unless told."""

    def __init__(self, p: GroupBuyPolicy) -> None:
        self.state = GroupBuyCampaign.start(p)

    def run(self, cmd: Any, minute: int) -> Any:
        out = self.state.handle(cmd, now=T0.add(minutes=minute))
        if out.ok:
            self.state = out.state
        return out

    def ok(self, cmd: Any, minute: int) -> tuple[Any, ...]:
        out = self.run(cmd, minute)
        assert out.ok, out.reason
        return tuple(out.events)


# -- the time limit from the leader's payment ------------------------------------------


def test_by_default_the_24_hours_run_from_the_opening() -> None:
    d = Driver(policy())
    opened = d.ok(OpenGroup("o", "g", member("a")), 0)
    assert opened[0] == GroupOpened("g", "a", T0.add(hours=24), T0)
    paid = d.ok(PaySeat("p", "g", "o"), 10)
    assert not any(isinstance(e, GroupDeadlineSet) for e in paid)
    assert d.state.group("g").deadline == T0.add(hours=24)


def test_from_the_leaders_payment_the_24_hours_start_when_the_leader_pays() -> None:
    # 开团10:00, 团长10:10支付: the group has until 10:10 the next day.
    d = Driver(policy(deadline_from=DeadlineFrom.LEADER_PAYMENT))
    d.ok(OpenGroup("o", "g", member("a")), 0)
    assert d.state.group("g").deadline == T0.add(hours=24)       # provisional
    paid = d.ok(PaySeat("p", "g", "o"), 10)
    assert GroupDeadlineSet("g", T0.add(hours=24, minutes=10), T0.add(minutes=10)) in paid
    assert d.state.group("g").deadline == T0.add(hours=24, minutes=10)
    # At 10:05 the next day the group is still open; a joiner fills it by 10:09.
    d.ok(JoinGroup("j1", "g", member("b")), 24 * 60 + 5)
    d.ok(PaySeat("p1", "g", "j1"), 24 * 60 + 6)
    d.ok(JoinGroup("j2", "g", member("c")), 24 * 60 + 7)
    d.ok(PaySeat("p2", "g", "j2"), 24 * 60 + 9)
    assert d.state.group("g").status is GroupStatus.SUCCEEDED


def test_from_the_leaders_payment_the_deadline_never_passes_the_campaign_end() -> None:
    d = Driver(policy(deadline_from=DeadlineFrom.LEADER_PAYMENT, ends_at=T0.add(hours=12)))
    d.ok(OpenGroup("o", "g", member("a")), 0)
    d.ok(PaySeat("p", "g", "o"), 10)
    assert d.state.group("g").deadline == T0.add(hours=12)


def test_a_group_from_the_leaders_payment_fails_at_its_own_deadline() -> None:
    d = Driver(policy(deadline_from=DeadlineFrom.LEADER_PAYMENT))
    d.ok(OpenGroup("o", "g", member("a")), 0)
    d.ok(PaySeat("p", "g", "o"), 10)
    assert not d.run(GroupTick("t1", "g"), 24 * 60 + 9).ok      # nothing due yet
    failed = d.ok(GroupTick("t2", "g"), 24 * 60 + 10)
    assert RefundDue("g", "a", "o", yuan("59"), RefundKind.GROUP_FAILED) in failed
    reason = d.run(JoinGroup("j", "g", member("b")), 24 * 60 + 11).reason
    assert reason.code == "groupbuy.expired"
    assert reason.zh == "该团已过期（截止2026年11月2日 10:10）"


# -- the leader hands over ---------------------------------------------------------------


def _four_with_two_paid(**kw: Any) -> Driver:
    """A 4-person group: leader a paid at 10:00, c paid at 10:04, b at 10:06."""
    d = Driver(policy(group_size=4, leader_red_packet=yuan("5"), **kw))
    d.ok(OpenGroup("o", "g", member("a")), 0)
    d.ok(PaySeat("pa", "g", "o"), 0)
    d.ok(JoinGroup("jb", "g", member("b")), 2)
    d.ok(JoinGroup("jc", "g", member("c")), 3)
    d.ok(PaySeat("pc", "g", "jc"), 4)
    d.ok(PaySeat("pb", "g", "jb"), 6)
    return d


def test_without_handover_a_leader_with_members_cannot_leave() -> None:
    d = _four_with_two_paid()
    refused = d.run(LeaveGroup("l", "g", "a"), 10)
    assert refused.reason.code == "groupbuy.leader_cannot_leave"


def test_a_leaving_leader_hands_over_to_the_earliest_paid_member() -> None:
    # 团长a离开: c paid first (10:04, before b at 10:06), so c leads; a gets 59 yuan back.
    d = _four_with_two_paid(leader_handover=True)
    events = d.ok(LeaveGroup("l", "g", "a"), 10)
    assert events == (
        RefundDue("g", "a", "o", yuan("59"), RefundKind.LEADER_LEFT),
        LeaderChanged("g", "a", "c", T0.add(minutes=10)),
    )
    g = d.state.group("g")
    assert (g.leader, g.status, g.member_ids) == ("c", GroupStatus.OPEN, ("b", "c"))
    # a no longer holds a group or a unit; c still counts one group joined, not opened.
    assert d.state.usage_of("a") == MemberUsage("a", 0, 0, 0)
    assert d.state.usage_of("c") == MemberUsage("c", 0, 1, 1)
    assert d.state.held == 2
    # Two more members fill the group; the red packet goes to c.
    d.ok(JoinGroup("jd", "g", member("d")), 11)
    d.ok(PaySeat("pd", "g", "jd"), 12)
    d.ok(JoinGroup("je", "g", member("e")), 13)
    done = d.ok(PaySeat("pe", "g", "je"), 14)
    assert RedPacketDue("g", "c", yuan("5")) in done
    assert d.state.group("g").status is GroupStatus.SUCCEEDED


def test_handover_needs_a_paid_member_to_hand_over_to() -> None:
    d = Driver(policy(leader_handover=True))
    d.ok(OpenGroup("o", "g", member("a")), 0)
    d.ok(PaySeat("pa", "g", "o"), 0)
    d.ok(JoinGroup("jb", "g", member("b")), 2)               # b has not paid
    assert d.run(LeaveGroup("l", "g", "a"), 3).reason.code == "groupbuy.leader_cannot_leave"
    # Alone, the leader leaves as before: the group is cancelled and refunded.
    d.ok(LeaveGroup("lb", "g", "b"), 4)
    events = d.ok(LeaveGroup("l2", "g", "a"), 5)
    assert RefundDue("g", "a", "o", yuan("59"), RefundKind.GROUP_CANCELLED) in events
    assert d.state.group("g").status is GroupStatus.CANCELLED


def test_the_new_leader_may_hand_over_again_and_a_failed_group_refunds_the_rest() -> None:
    d = _four_with_two_paid(leader_handover=True)
    d.ok(LeaveGroup("l1", "g", "a"), 10)
    events = d.ok(LeaveGroup("l2", "g", "c"), 11)
    assert events[-1] == LeaderChanged("g", "c", "b", T0.add(minutes=11))
    failed = d.ok(GroupTick("t", "g"), 24 * 60)
    assert [e for e in failed if isinstance(e, RefundDue)] == [
        RefundDue("g", "b", "jb", yuan("59"), RefundKind.GROUP_FAILED)]
    assert d.state.usage_of("b") == MemberUsage("b", 0, 0, 0)
    assert d.state.held == 0


def test_a_handover_replays_and_reloads() -> None:
    d = _four_with_two_paid(leader_handover=True)
    first = d.ok(LeaveGroup("l", "g", "a"), 10)
    again = d.state.handle(LeaveGroup("l", "g", "a"), now=T0.add(minutes=20))
    assert again.ok
    assert again.state is d.state
    assert tuple(again.events) == first
    stored = reload(d.state)
    assert stored == d.state
    assert tuple(stored.handle(LeaveGroup("l", "g", "a"), now=T0.add(minutes=30)).events) == first


def test_the_handover_row_keeps_the_group_open() -> None:
    assert GROUP_TRANSITIONS[(GroupStatus.OPEN, "leader_handed_over")] is GroupStatus.OPEN


# -- options are validated and round-trip ------------------------------------------------


def test_new_options_are_validated_and_round_trip() -> None:
    with pytest.raises(InvalidPolicyError, match="deadline_from"):
        policy(deadline_from="leader_payment")
    with pytest.raises(InvalidPolicyError, match="leader_handover"):
        policy(leader_handover="yes")
    with pytest.raises(InvalidValueError, match="tz"):
        policy(tz="Mars/Olympus")
    p = policy(deadline_from=DeadlineFrom.LEADER_PAYMENT, leader_handover=True)
    assert load(dump(p), GroupBuyPolicy) == p
    assert dump(p)["deadline_from"] == "leader_payment"
    defaults = policy()
    assert (defaults.deadline_from, defaults.leader_handover) == (DeadlineFrom.OPENING, False)


def test_zh_messages_name_the_status_in_chinese() -> None:
    d = Driver(policy(group_size=2))
    d.ok(OpenGroup("o", "g", member("a")), 0)
    d.ok(PaySeat("pa", "g", "o"), 0)
    d.ok(JoinGroup("jb", "g", member("b")), 1)
    d.ok(PaySeat("pb", "g", "jb"), 2)
    late = d.run(JoinGroup("jc", "g", member("c")), 3).reason
    assert late.code == "groupbuy.closed"
    assert late.zh == "该团已拼团成功"
    assert late.en == "This group is succeeded"
    early = Driver(policy(starts_at=T0.add(days=1))).run(OpenGroup("o", "g", member("a")), 0)
    assert early.reason.zh == "拼团活动2026年11月2日 10:00开始"
