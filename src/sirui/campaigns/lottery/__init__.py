"""Lottery (抽奖): prize pools, entries, draws, claims and fairness you can prove.

A `LotteryCampaign` holds a `PrizePool` (prizes with weights or
probabilities, inventories, per-member limits, daily caps, a run-out rule
and an optional guarantee 保底) and `EntryRules` (free daily draws, order
draws, points draws, share/review draws, entry validity).

Two layers:

* `draw(pool_state, member_draws, rng, now)`: the O(1) draw on the pool
  aggregate `PoolState` and the member's `MemberDraws`, using an exact
  integer alias table cached in the pool state. **Rebuild rule:** the table
  is rebuilt only when the set of pool-blocked prizes changes (a prize
  sells out, reaches its daily cap, or a new local day lifts the caps);
  what only one member cannot win is handled per draw (consolation, or
  rejection sampling with an exact fallback) without touching the table;
* `LotteryState.handle(command, now=..., rng=...)`: the state machine over
  entries, draws, claims and expiry, emitting `PrizeWon`, `DrawLost`,
  `OrderFreeRefundDue`, `PrizeClaimDue`, `PrizeClaimed`,
  `PrizeClaimExpired`, `EntriesGranted`, `EntryExpired`,
  `PointsSpentOnEntries`.

Randomness is always an argument: pass ``secrets.SystemRandom()`` in
production and a seeded ``random.Random`` in simulations and tests.
`simulate_draws` runs millions of pool-level draws for analysts.

Invariants: no prize is awarded beyond its inventory, daily cap or a
member's limit; every draw's chance is exactly its effective weight over the
effective total; a member never loses ``within_draws`` times in a row while
a guaranteed prize can still be won.
"""

from sirui.campaigns.lottery._alias import AliasTable
from sirui.campaigns.lottery._events import (
    DrawLost,
    EntriesGranted,
    EntryExpired,
    EntrySource,
    OrderFreeRefundDue,
    PointsSpentOnEntries,
    PrizeClaimDue,
    PrizeClaimed,
    PrizeClaimExpired,
    PrizeWon,
)
from sirui.campaigns.lottery._member import (
    ALREADY_CLAIMED,
    BELOW_THRESHOLD,
    CLAIM_EXPIRED,
    CLAIM_TRANSITIONS,
    DAILY_LIMIT,
    DUPLICATE_ORDER,
    ENTRY_EXPIRED,
    NO_ENTRIES,
    NOT_OFFERED,
    NOT_OPEN,
    NOTHING_DUE,
    PHASE_TRANSITIONS,
    Action,
    BuyEntries,
    Claim,
    ClaimPrize,
    ClaimStatus,
    Command,
    Draw,
    Entry,
    ExpireDue,
    GrantActionEntries,
    GrantOrderEntries,
    LotteryPhase,
    LotteryState,
    MemberLottery,
)
from sirui.campaigns.lottery._policy import (
    CashReward,
    CouponReward,
    EntryRules,
    Guarantee,
    ItemReward,
    LotteryCampaign,
    OrderEntryMode,
    OrderFreeReward,
    PointsReward,
    Prize,
    PrizePool,
    Reward,
    RunOut,
    ThanksReward,
)
from sirui.campaigns.lottery._pool import (
    LIMIT_REACHED,
    POOL_EXHAUSTED,
    Drawn,
    MemberDraws,
    PoolState,
    draw,
)
from sirui.campaigns.lottery._simulate import LotterySimulation, simulate_draws
from sirui.core.registry import renamed as _renamed

__all__ = [
    "ALREADY_CLAIMED",
    "BELOW_THRESHOLD",
    "CLAIM_EXPIRED",
    "CLAIM_TRANSITIONS",
    "DAILY_LIMIT",
    "DUPLICATE_ORDER",
    "ENTRY_EXPIRED",
    "LIMIT_REACHED",
    "NOTHING_DUE",
    "NOT_OFFERED",
    "NOT_OPEN",
    "NO_ENTRIES",
    "PHASE_TRANSITIONS",
    "POOL_EXHAUSTED",
    "Action",
    "AliasTable",
    "BuyEntries",
    "CashReward",
    "Claim",
    "ClaimPrize",
    "ClaimStatus",
    "Command",
    "CouponReward",
    "Draw",
    "DrawLost",
    "Drawn",
    "EntriesGranted",
    "Entry",
    "EntryExpired",
    "EntryRules",
    "EntrySource",
    "ExpireDue",
    "GrantActionEntries",
    "GrantOrderEntries",
    "Guarantee",
    "ItemReward",
    "LotteryCampaign",
    "LotteryPhase",
    "LotterySimulation",
    "LotteryState",
    "MemberDraws",
    "MemberLottery",
    "OrderEntryMode",
    "OrderFreeRefundDue",
    "OrderFreeReward",
    "PointsReward",
    "PointsSpentOnEntries",
    "PoolState",
    "Prize",
    "PrizeClaimDue",
    "PrizeClaimExpired",
    "PrizeClaimed",
    "PrizePool",
    "PrizeWon",
    "Reward",
    "RunOut",
    "ThanksReward",
    "draw",
    "simulate_draws",
]

#: Old names kept one release (see CHANGELOG); each warns and names the new one.
__getattr__ = _renamed(__name__, {"SimulationResult": "LotterySimulation"})
