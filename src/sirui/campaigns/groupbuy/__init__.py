"""Group-buy (拼团): campaign policy, the group state machine and its activity price.

A leader opens a group; others join through a shared link; each join
reserves a seat until it is paid or its payment times out; the group
succeeds the moment its last seat is paid and fails at its deadline, every
paid member then refunded exactly once. Variants: leader discount or free
leader, ladder groups, new-customer groups, pickup-only hundred-person
groups, a red packet for the leader, auto-fill near the deadline.

Start with `GroupBuyPolicy`, build the live state with
`GroupBuyCampaign.start`, feed it `OpenGroup`, `JoinGroup`, `PaySeat`,
`LeaveGroup` and `GroupTick` commands, and price the cart line with
`GroupBuyPriceStep`. See ``docs/mechanics/groupbuy.md``.
"""

from sirui.campaigns.groupbuy._campaign import (
    GROUPBUY_REASONS,
    GroupBuyCampaign,
    MemberUsage,
)
from sirui.campaigns.groupbuy._events import (
    DifferenceDue,
    GroupCancelled,
    GroupFailed,
    GroupOpened,
    GroupSucceeded,
    GroupTick,
    JoinGroup,
    LeaveGroup,
    MemberJoined,
    OpenGroup,
    PaySeat,
    RedPacketDue,
    RefundDue,
    RefundKind,
    ReleaseWhy,
    SeatPaid,
    SeatReleased,
)
from sirui.campaigns.groupbuy._group import GROUP_TRANSITIONS, Group, GroupStatus, Seat
from sirui.campaigns.groupbuy._policy import (
    AutoFill,
    GroupBuyPolicy,
    LadderSettlement,
    LadderTier,
)
from sirui.campaigns.groupbuy._pricing import GroupBuyPriceStep

__all__ = [
    "GROUPBUY_REASONS",
    "GROUP_TRANSITIONS",
    "AutoFill",
    "DifferenceDue",
    "Group",
    "GroupBuyCampaign",
    "GroupBuyPolicy",
    "GroupBuyPriceStep",
    "GroupCancelled",
    "GroupFailed",
    "GroupOpened",
    "GroupStatus",
    "GroupSucceeded",
    "GroupTick",
    "JoinGroup",
    "LadderSettlement",
    "LadderTier",
    "LeaveGroup",
    "MemberJoined",
    "MemberUsage",
    "OpenGroup",
    "PaySeat",
    "RedPacketDue",
    "RefundDue",
    "RefundKind",
    "ReleaseWhy",
    "Seat",
    "SeatPaid",
    "SeatReleased",
]
