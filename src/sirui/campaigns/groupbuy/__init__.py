"""Group-buy (拼团): campaign policy, the group state machine and its activity price.

A leader opens a group; others join through a shared link; each join
reserves a seat until it is paid or its payment times out; the group
succeeds the moment its last seat is paid and fails at its deadline, every
paid member then refunded exactly once. Variants: leader discount or free
leader, ladder groups, new-customer groups, pickup-only hundred-person
groups, a red packet for the leader, auto-fill near the deadline, a time
limit counted from the leader's payment, leadership handed to the earliest
paid member when the leader leaves.

Start with `GroupBuyPolicy`. A host decides each command on a `GroupSlice`
(the policy, the campaign's `GroupBuyCounters`, the one `Group` the command
names and its members' `MemberUsage`) and stores the result; tests and
notebooks can keep a whole campaign in one `GroupBuyCampaign`. Commands are
`OpenGroup`, `JoinGroup`, `PaySeat`, `LeaveGroup`, `GroupTick` (the host's
delay queue) and `PruneLog`; price the cart line with `GroupBuyPriceStep`.
See ``docs/mechanics/groupbuy.md``.
"""

from sirui.campaigns.groupbuy._campaign import GroupBuyCampaign
from sirui.campaigns.groupbuy._events import (
    DifferenceDue,
    GroupCancelled,
    GroupDeadlineSet,
    GroupFailed,
    GroupMemberJoined,
    GroupOpened,
    GroupSucceeded,
    GroupTick,
    JoinGroup,
    LeaderChanged,
    LeaveGroup,
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
    DeadlineFrom,
    GroupBuyPolicy,
    LadderSettlement,
    LadderTier,
)
from sirui.campaigns.groupbuy._pricing import GroupBuyPriceStep
from sirui.campaigns.groupbuy._slice import (
    GROUPBUY_REASONS,
    GroupBuyCounters,
    GroupSlice,
    MemberUsage,
)
from sirui.core.registry import renamed as _renamed

__all__ = [
    "GROUPBUY_REASONS",
    "GROUP_TRANSITIONS",
    "AutoFill",
    "DeadlineFrom",
    "DifferenceDue",
    "Group",
    "GroupBuyCampaign",
    "GroupBuyCounters",
    "GroupBuyPolicy",
    "GroupBuyPriceStep",
    "GroupCancelled",
    "GroupDeadlineSet",
    "GroupFailed",
    "GroupMemberJoined",
    "GroupOpened",
    "GroupSlice",
    "GroupStatus",
    "GroupSucceeded",
    "GroupTick",
    "JoinGroup",
    "LadderSettlement",
    "LadderTier",
    "LeaderChanged",
    "LeaveGroup",
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

#: Old names kept one release (see CHANGELOG); each warns and names the new one.
__getattr__ = _renamed(__name__, {"MemberJoined": "GroupMemberJoined"})
