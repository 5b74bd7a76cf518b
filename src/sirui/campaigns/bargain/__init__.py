"""Bargain (砍价): friends cut the price of an item down to a floor.

A member starts a bargain on the campaign's item; each friend who helps cuts
a random amount drawn from the ``rng`` the host passes in, shaped so that
the price reaches the floor exactly at the last expected helper (within a
range per cut, with a larger first cut for a new customer, if the operator
sets them). A bargain succeeds at the floor, or after ``success_helpers``
helps above it.

Start with `BargainPolicy`. A host decides each command on a `BargainSlice`
(the policy, the campaign's `BargainCounters`, the one `Bargain` the command
names and the member's `BargainUsage`) and stores the result; tests and
notebooks can keep a whole campaign in one `BargainCampaign`. Commands are
`StartBargain`, `HelpBargain`, `BuyBargain`, `BargainTick` (the host's delay
queue, at the deadline) and `PruneLog`; price the cart line with
`BargainPriceStep`. See ``docs/mechanics/bargain.md``.
"""

from sirui.campaigns.bargain._campaign import BargainCampaign
from sirui.campaigns.bargain._messages import (
    BargainExpired,
    BargainHelped,
    BargainPurchased,
    BargainReachedFloor,
    BargainStarted,
    BargainSucceeded,
    BargainTick,
    BuyBargain,
    HelpBargain,
    StartBargain,
)
from sirui.campaigns.bargain._policy import BargainPolicy, CutRange, draw_cut
from sirui.campaigns.bargain._pricing import BargainPriceStep
from sirui.campaigns.bargain._slice import (
    BARGAIN_REASONS,
    BARGAIN_TRANSITIONS,
    Bargain,
    BargainCounters,
    BargainSlice,
    BargainStatus,
    BargainUsage,
    Cut,
)

__all__ = [
    "BARGAIN_REASONS",
    "BARGAIN_TRANSITIONS",
    "Bargain",
    "BargainCampaign",
    "BargainCounters",
    "BargainExpired",
    "BargainHelped",
    "BargainPolicy",
    "BargainPriceStep",
    "BargainPurchased",
    "BargainReachedFloor",
    "BargainSlice",
    "BargainStarted",
    "BargainStatus",
    "BargainSucceeded",
    "BargainTick",
    "BargainUsage",
    "BuyBargain",
    "Cut",
    "CutRange",
    "HelpBargain",
    "StartBargain",
    "draw_cut",
]
