"""Lottery policies: rewards, prizes, the prize pool, entry rules and the campaign.

A `PrizePool` lists prizes with integer weights *or* Decimal probabilities
(never both), each with an optional inventory, per-member win limit and daily
cap, a run-out behaviour and an optional guarantee (保底). Internally every
pool is an integer weight vector: probabilities are scaled exactly by a power
of ten and the remainder below 1 goes to the consolation prize, so draws are
exact integer arithmetic and fairness is provable.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money, as_rate
from sirui.core.registry import policy, policy_family
from sirui.core.validators import (
    int_at_least,
    non_empty_str,
    non_negative_int,
    opt_non_negative_int,
    opt_positive_int,
    opt_positive_money,
    positive_money,
)
from sirui.core.windows import DEFAULT_TZ, Window, tz_name

__all__ = [
    "CashReward",
    "CouponReward",
    "EntryRules",
    "Guarantee",
    "ItemReward",
    "LotteryCampaign",
    "OrderEntryMode",
    "OrderFreeReward",
    "PointsReward",
    "Prize",
    "PrizePool",
    "Reward",
    "RunOut",
    "ThanksReward",
]


# -- rewards ------------------------------------------------------------------------------


@policy_family
class Reward:
    """What a prize gives. ``is_loss`` marks "thanks for taking part" (谢谢参与)."""

    __slots__ = ()

    @property
    def is_loss(self) -> bool:
        return False


@policy("lottery.coupon")
@attrs.frozen(slots=True)
class CouponReward(Reward):
    """A coupon from a template the coupon module issues (优惠券)."""

    template_id: str = attrs.field(validator=non_empty_str)


@policy("lottery.points")
@attrs.frozen(slots=True)
class PointsReward(Reward):
    """Points credited to the member's ledger (积分)."""

    points: int = attrs.field(validator=int_at_least(1))


@policy("lottery.item")
@attrs.frozen(slots=True)
class ItemReward(Reward):
    """A physical item, usually claimed in store (实物奖品)."""

    sku: str = attrs.field(validator=non_empty_str)
    quantity: int = attrs.field(default=1, validator=int_at_least(1))


@policy("lottery.cash")
@attrs.frozen(slots=True)
class CashReward(Reward):
    """Cash paid to the member's wallet (现金红包)."""

    amount: Money = attrs.field(validator=positive_money)


@policy("lottery.order_free")
@attrs.frozen(slots=True)
class OrderFreeReward(Reward):
    """The order that granted the entry becomes free (免单), refunded up to ``max_refund``.

    ``max_refund=None`` makes the whole order free (整单免单), whatever it paid:
    no cap to invent.
    """

    max_refund: Money | None = attrs.field(default=None, validator=opt_positive_money)

    def refund_for(self, paid: Money) -> Money:
        """What the order that paid ``paid`` gets back: all of it, up to ``max_refund``."""
        return paid if self.max_refund is None else paid.min(self.max_refund)


@policy("lottery.thanks")
@attrs.frozen(slots=True)
class ThanksReward(Reward):
    """Thanks for taking part (谢谢参与): a loss, counted toward the guarantee."""

    @property
    def is_loss(self) -> bool:
        return True


# -- prizes and the pool ------------------------------------------------------------------


def _to_probability(value: object) -> Decimal | None:
    return None if value is None else as_rate(value, "probability")


def _opt_probability(
    _inst: object, attribute: attrs.Attribute[Decimal | None], value: Decimal | None
) -> None:
    if value is not None and not Decimal(0) <= value <= Decimal(1):
        raise invalid(attribute.name, value, "must be within [0, 1]", "write it like '0.05'")


@policy("lottery.prize")
@attrs.frozen(slots=True)
class Prize:
    """A prize (奖品) in a pool.

    Attributes:
        id: stable id, unique in the pool.
        reward: what the winner gets.
        weight: relative integer weight (when the pool uses weights).
        probability: absolute probability (when the pool uses probabilities).
        inventory: how many exist in total (库存); None is unlimited.
        per_member_limit: how many one member may win over the campaign.
        daily_cap: how many may be won per local day across all members.
        claim_in_store_days: the winner must claim it in store within this
            many local days (the win day counts as day 1); None needs no claim.
    """

    id: str = attrs.field(validator=non_empty_str)
    reward: Reward
    weight: int = attrs.field(default=0, validator=int_at_least(0))
    probability: Decimal | None = attrs.field(
        default=None, converter=_to_probability, validator=_opt_probability
    )
    inventory: int | None = attrs.field(default=None, validator=opt_non_negative_int)
    per_member_limit: int | None = attrs.field(default=None, validator=opt_positive_int)
    daily_cap: int | None = attrs.field(default=None, validator=opt_positive_int)
    claim_in_store_days: int | None = attrs.field(default=None, validator=opt_positive_int)
    name: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.reward, Reward):
            raise invalid("reward", self.reward, "must be a Reward", "e.g. CouponReward('c10')")
        if self.probability is not None and self.weight:
            raise invalid(
                "weight", self.weight, f"prize {self.id!r} sets both weight and probability",
                "use one of them",
            )

    @property
    def is_limited(self) -> bool:
        """True if inventory, a daily cap or a member limit can make it unavailable."""
        return (
            self.inventory is not None
            or self.daily_cap is not None
            or self.per_member_limit is not None
        )


class RunOut(enum.Enum):
    """What happens to a prize's chance while it cannot be won (sold out, capped, limited)."""

    REDISTRIBUTE = "redistribute"
    """Its chance is shared by the other prizes in proportion to their weights."""
    CONSOLATION = "consolation"
    """Its chance goes to the consolation prize (usually 谢谢参与)."""


@policy("lottery.guarantee")
@attrs.frozen(slots=True)
class Guarantee:
    """Guaranteed prize (保底): a member never loses ``within_draws`` times in a row.

    After ``within_draws - 1`` losses in a row, the next draw is made among
    ``prize_ids`` only (by their weights), if any of them can still be won.
    """

    within_draws: int = attrs.field(validator=int_at_least(1))
    prize_ids: frozenset[str] = attrs.field(converter=frozenset)

    def __attrs_post_init__(self) -> None:
        if not self.prize_ids:
            raise invalid("prize_ids", set(), "name at least one guaranteed prize")


@policy("lottery.pool")
@attrs.frozen(slots=True)
class PrizePool:
    """A prize pool (奖池): prizes, their odds and how scarcity is handled.

    Either every prize has a ``weight`` (at least one positive) or every
    prize has a ``probability`` summing to at most 1; the remainder below 1
    goes to ``consolation_id`` (whose own probability may be left out). The
    consolation prize must be unlimited (no inventory, cap or member limit)
    so a draw can always fall back to it.
    """

    id: str = attrs.field(validator=non_empty_str)
    prizes: tuple[Prize, ...] = attrs.field(converter=tuple)
    on_run_out: RunOut = RunOut.REDISTRIBUTE
    consolation_id: str | None = None
    guarantee: Guarantee | None = None
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)
    weights: tuple[int, ...] = attrs.field(init=False, eq=False, repr=False)
    """The exact integer weights the draws use (derived)."""
    index: Mapping[str, int] = attrs.field(init=False, eq=False, repr=False, hash=False)
    """Prize id -> position (derived, read-only)."""

    def __attrs_post_init__(self) -> None:
        if not self.prizes:
            raise invalid("prizes", (), "a pool needs at least one prize", "add a Prize")
        index: dict[str, int] = {}
        for i, p in enumerate(self.prizes):
            if not isinstance(p, Prize):
                raise invalid(f"prizes[{i}]", p, "must be a Prize")
            if p.id in index:
                raise invalid(f"prizes[{i}].id", p.id, "duplicate prize id", "make ids unique")
            index[p.id] = i
        object.__setattr__(self, "index", MappingProxyType(index))
        if self.consolation_id is not None:
            if self.consolation_id not in index:
                raise invalid("consolation_id", self.consolation_id, "names no prize in the pool")
            c = self.prizes[index[self.consolation_id]]
            if c.is_limited:
                raise invalid(
                    "consolation_id", self.consolation_id,
                    "the consolation prize must have no inventory, daily cap or member limit",
                    "remove its limits or pick an unlimited prize",
                )
        if self.on_run_out is RunOut.CONSOLATION and self.consolation_id is None:
            raise invalid(
                "consolation_id", None, "on_run_out='consolation' needs a consolation prize",
                "set consolation_id to the 谢谢参与 prize",
            )
        object.__setattr__(self, "weights", self._integer_weights())
        if self.guarantee is not None:
            for pid in sorted(self.guarantee.prize_ids):
                if pid not in index:
                    raise invalid("guarantee.prize_ids", pid, "names no prize in the pool")
                if self.prizes[index[pid]].reward.is_loss:
                    raise invalid("guarantee.prize_ids", pid, "a guaranteed prize cannot be a loss")
            if not any(self.weights[index[pid]] for pid in self.guarantee.prize_ids):
                raise invalid("guarantee.prize_ids", sorted(self.guarantee.prize_ids),
                              "every guaranteed prize has zero chance",
                              "give one of them a positive weight or probability")

    def _integer_weights(self) -> tuple[int, ...]:
        probs = [p.probability for p in self.prizes]
        rest_id = self.consolation_id
        if rest_id is not None and any(p is not None for p in probs):
            # The consolation prize may leave its probability out: it takes the rest.
            i = self.index[rest_id]
            if probs[i] is None and not self.prizes[i].weight:
                probs[i] = Decimal(0)
        if all(p is None for p in probs):
            given = tuple(p.weight for p in self.prizes)
            if not any(given):
                raise invalid("prizes", [p.id for p in self.prizes], "every weight is zero",
                              "give at least one prize a positive weight")
            return given
        if any(p is None for p in probs):
            missing = [p.id for p in self.prizes if p.probability is None]
            raise invalid("prizes", missing, "mix of weights and probabilities",
                          "give every prize a probability (or none)")
        exact = [as_rate(p) for p in probs]
        total = sum(exact, Decimal(0))
        if total > 1:
            raise invalid("prizes", f"sum of probabilities {total}", "must be <= 1",
                          "lower some probabilities")
        places = max(0, *(-int(d.as_tuple().exponent) for d in exact))
        scale = 10**places
        ws = [int(d * scale) for d in exact]
        rest = scale - sum(ws)
        if rest:
            if self.consolation_id is None:
                raise invalid("consolation_id", None,
                              f"probabilities sum to {total} < 1 and nothing takes the rest",
                              "set consolation_id to the 谢谢参与 prize")
            ws[self.index[self.consolation_id]] += rest
        if not any(ws):
            raise invalid("prizes", [p.id for p in self.prizes], "every probability is zero")
        return tuple(ws)

    def prize(self, prize_id: str) -> Prize:
        """The prize with id ``prize_id``."""
        i = self.index.get(prize_id)
        if i is None:
            raise invalid("prize_id", prize_id, "no such prize in the pool")
        return self.prizes[i]

    def probabilities(self) -> tuple[Decimal, ...]:
        """The configured chance of each prize while nothing is unavailable."""
        total = sum(self.weights)
        return tuple(Decimal(w) / Decimal(total) for w in self.weights)


# -- entries ------------------------------------------------------------------------------


class OrderEntryMode(enum.Enum):
    """How a paid order over the threshold turns into entries (下单满额抽奖)."""

    PER_ORDER = "per_order"
    """One entry per qualifying order."""
    PER_FULL_THRESHOLD = "per_full_threshold"
    """One entry per each full threshold paid (满100元得1次, 250元得2次)."""


@policy("lottery.entry_rules")
@attrs.frozen(slots=True)
class EntryRules:
    """How members get entries (抽奖机会) and how long entries last.

    Attributes:
        free_daily: free draws per local day (每日免费抽奖); unused ones lapse at midnight.
        order_threshold: a paid order of at least this amount grants entries.
        order_mode: one per order or one per each full threshold.
        max_entries_per_order: cap on entries from one order; None for no cap
            (满100元得1次 with no ceiling: a 1,000-yuan order earns 10).
        points_per_entry: points one bought entry costs (积分抽奖); None disables buying.
        points_entries_per_day: how many entries a member may buy per day.
        share_entries / shares_per_day: entries per share, and how many shares count a day.
        review_entries / reviews_per_day: the same for reviews (评价).
        entry_valid_days: granted entries last this many local days (grant day counts).
    """

    free_daily: int = attrs.field(default=0, validator=int_at_least(0))
    order_threshold: Money | None = attrs.field(default=None, validator=opt_positive_money)
    order_mode: OrderEntryMode = OrderEntryMode.PER_ORDER
    max_entries_per_order: int | None = attrs.field(default=1, validator=opt_positive_int)
    points_per_entry: int | None = attrs.field(default=None, validator=opt_positive_int)
    points_entries_per_day: int = attrs.field(default=1, validator=int_at_least(1))
    share_entries: int = attrs.field(default=0, validator=int_at_least(0))
    shares_per_day: int = attrs.field(default=1, validator=int_at_least(1))
    review_entries: int = attrs.field(default=0, validator=int_at_least(0))
    reviews_per_day: int = attrs.field(default=1, validator=int_at_least(1))
    entry_valid_days: int = attrs.field(default=7, validator=int_at_least(1))

    def entries_for_order(self, paid: Money) -> int:
        """How many entries a paid amount earns (0 below the threshold).

        >>> EntryRules(order_threshold=Money.of("100"),
        ...            order_mode=OrderEntryMode.PER_FULL_THRESHOLD,
        ...            max_entries_per_order=5).entries_for_order(Money.of("250"))
        2
        """
        t = self.order_threshold
        if t is None or paid < t:
            return 0
        n = 1 if self.order_mode is OrderEntryMode.PER_ORDER else paid.minor // t.minor
        cap = self.max_entries_per_order
        return n if cap is None else min(n, cap)


@policy("lottery.campaign")
@attrs.frozen(slots=True)
class LotteryCampaign:
    """A lottery campaign (抽奖活动): a pool, entry rules and an optional open window.

    ``log_retention_days``: how long each member's record remembers accepted
    command ids for replays (`PruneLog` forgets older ones).
    """

    id: str = attrs.field(validator=non_empty_str)
    pool: PrizePool
    entries: EntryRules = EntryRules()
    window: Window | None = None
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)

    @property
    def tz(self) -> str:
        return self.pool.tz
