"""The group-buy campaign policy (拼团活动): prices, sizes, limits and variants.

A policy is data: it validates on construction, round-trips through
`sirui.config`, and answers the pricing questions the state machine asks
(what a seat costs at join, what the final price is for a size reached).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from sirui.campaigns._checks import flag, is_condition
from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.registry import policy
from sirui.core.validators import (
    aware_datetime,
    int_at_least,
    is_instance_of,
    non_empty_str,
    non_negative_int,
    opt_non_negative_int,
    opt_positive_int,
    opt_positive_money,
    positive_money,
)
from sirui.core.windows import DEFAULT_TZ, DateTime, tz_name
from sirui.rules import Always, Condition, Stage

__all__ = [
    "AutoFill",
    "DeadlineFrom",
    "GroupBuyPolicy",
    "LadderSettlement",
    "LadderTier",
]


class LadderSettlement(enum.Enum):
    """How a ladder group (阶梯团) settles the price of the tier finally reached."""

    REFUND_DIFFERENCE = "refund_difference"
    """Members pay the first tier's price at join; the difference is refunded on success."""
    CHARGE_DIFFERENCE = "charge_difference"
    """Members pay the last tier's price at join; the difference is charged on success."""


class DeadlineFrom(enum.Enum):
    """What a group's time limit (成团时限) is counted from."""

    OPENING = "opening"
    """From the moment the leader opens the group (开团即计时)."""
    LEADER_PAYMENT = "leader_payment"
    """From the leader's payment (团长支付后计时): until then the deadline is provisional."""


@attrs.frozen(slots=True)
class LadderTier:
    """One rung of a ladder group: ``size`` members or more pay ``price`` each."""

    size: int = attrs.field(validator=int_at_least(3))
    price: Money = attrs.field(validator=positive_money)


@attrs.frozen(slots=True)
class AutoFill:
    """Auto-fill near the deadline (凑团 / 模拟成团).

    From ``minutes_before_deadline`` before the deadline, a group with at
    least ``min_real_members`` paid members and no seat awaiting payment
    succeeds, the empty seats filled by the platform (no one pays for them).
    """

    minutes_before_deadline: int = attrs.field(validator=int_at_least(0))
    min_real_members: int = attrs.field(validator=int_at_least(1))


def _ladder(value: Iterable[LadderTier]) -> tuple[LadderTier, ...]:
    return tuple(value)


_ALWAYS: Condition = Always()


@policy("groupbuy.campaign")
@attrs.frozen(slots=True)
class GroupBuyPolicy:
    """A group-buy campaign (拼团活动) on one SKU.

    A leader opens a group of ``group_size`` seats at ``group_price``; the
    group must fill (every seat paid) within ``time_limit_minutes`` of
    opening (or of the leader's payment, ``deadline_from``), never past
    ``ends_at``. A leader may leave a group only while alone in it, unless
    ``leader_handover``: then leadership passes to the earliest paid member
    and the group goes on. Variants, all optional:

    * leader benefit (团长优惠 / 团长免单): ``leader_discount`` off the
      price, or ``leader_free``;
    * ladder group (阶梯团): ``ladder`` tiers above the base size, each with
      a lower price; all members pay the price of the tier finally reached,
      settled per ``ladder_settlement``;
    * new-customer groups (老带新): ``join_condition=NewCustomer()``; tier
      conditions likewise (``TierIn``) on ``open_condition`` or ``join_condition``;
    * store pickup only (百人拼团+到店自提): ``pickup_only``;
    * a cash red packet for the leader on success (拼团成功得现金红包): ``leader_red_packet``;
    * auto-fill near the deadline (凑团): ``auto_fill``.

    Limits: ``stock`` units for the whole campaign, and per member the
    groups opened, groups joined and units bought (``None`` means no limit).
    ``log_retention_days`` is how long a group remembers the command ids it
    accepted; it must outlast the host's longest retry.
    """

    id: str = attrs.field(validator=non_empty_str)
    sku: str = attrs.field(validator=non_empty_str)
    original_price: Money = attrs.field(validator=positive_money)
    group_price: Money = attrs.field(validator=positive_money)
    group_size: int = attrs.field(validator=int_at_least(2))
    starts_at: DateTime = attrs.field(validator=aware_datetime)
    ends_at: DateTime = attrs.field(validator=aware_datetime)
    time_limit_minutes: int = attrs.field(default=24 * 60, validator=int_at_least(1))
    payment_timeout_minutes: int = attrs.field(default=15, validator=int_at_least(1))
    stock: int | None = attrs.field(default=None, validator=opt_non_negative_int)
    max_groups_opened_per_member: int | None = attrs.field(default=None, validator=opt_positive_int)
    max_groups_joined_per_member: int | None = attrs.field(default=None, validator=opt_positive_int)
    max_quantity_per_member: int | None = attrs.field(default=None, validator=opt_positive_int)
    open_condition: Condition = attrs.field(default=_ALWAYS, validator=is_condition)
    join_condition: Condition = attrs.field(default=_ALWAYS, validator=is_condition)
    leader_discount: Money | None = attrs.field(default=None, validator=opt_positive_money)
    leader_free: bool = False
    ladder: tuple[LadderTier, ...] = attrs.field(default=(), converter=_ladder)
    ladder_settlement: LadderSettlement = LadderSettlement.REFUND_DIFFERENCE
    pickup_only: bool = False
    leader_red_packet: Money | None = attrs.field(default=None, validator=opt_positive_money)
    auto_fill: AutoFill | None = None
    closed_stages: frozenset[Stage] = frozenset()
    """Pipeline stages a group-buy line is closed to afterwards (e.g. coupons)."""
    name: str = ""
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """Days a group remembers the command ids it accepted (`PruneLog` forgets older ones)."""
    deadline_from: DeadlineFrom = attrs.field(
        default=DeadlineFrom.OPENING,
        validator=is_instance_of(DeadlineFrom, "a DeadlineFrom", "DeadlineFrom.LEADER_PAYMENT"))
    """Count the time limit from the opening (default) or from the leader's payment."""
    leader_handover: bool = attrs.field(default=False, validator=flag)
    """A leader leaving a group others have joined passes leadership to the earliest
    paid member (the leader's payment refunded) instead of being refused (团长转让)."""
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)
    """The store's zone, in which messages show times (``2026年11月11日 10:00``)."""

    def __attrs_post_init__(self) -> None:
        if self.ends_at <= self.starts_at:
            raise invalid("ends_at", self.ends_at, f"must be after starts_at={self.starts_at}",
                          "swap the two or extend the campaign")
        if self.group_price.currency != self.original_price.currency:
            raise invalid("group_price", self.group_price, "currency differs from original_price")
        if self.group_price > self.original_price:
            raise invalid("group_price", self.group_price,
                          f"is above original_price={self.original_price}",
                          "a group price must not exceed the original price")
        if self.leader_free and self.leader_discount is not None:
            raise invalid("leader_discount", self.leader_discount,
                          "cannot be combined with leader_free=True", "choose one leader benefit")
        self._check_ladder()
        if self.auto_fill is not None and self.auto_fill.min_real_members >= self.group_size:
            raise invalid("auto_fill.min_real_members", self.auto_fill.min_real_members,
                          f"must be below group_size={self.group_size}",
                          "auto-fill only tops up groups that are not yet full")

    def _check_ladder(self) -> None:
        size, price = self.group_size, self.group_price
        for i, tier in enumerate(self.ladder):
            if not isinstance(tier, LadderTier):
                raise invalid(f"ladder[{i}]", tier, "must be a LadderTier(size, price)")
            if tier.size <= size or tier.price >= price:
                raise invalid(f"ladder[{i}]", tier,
                              f"must have size > {size} and price < {price}",
                              "ladder tiers grow in size and fall in price")
            size, price = tier.size, tier.price

    # -- questions the state machine asks ---------------------------------------------

    @property
    def capacity(self) -> int:
        """The most members a group may hold (the last ladder tier, else ``group_size``)."""
        return self.ladder[-1].size if self.ladder else self.group_size

    @property
    def currency(self) -> str:
        return self.original_price.currency

    def tier_price(self, members: int) -> Money:
        """The price per unit for a group that reached ``members`` (the base below it)."""
        price = self.group_price
        for tier in self.ladder:
            if members >= tier.size:
                price = tier.price
        return price

    def leader_price(self, price: Money) -> Money:
        """What the leader pays per unit when members pay ``price``."""
        if self.leader_free:
            return Money.zero(self.currency)
        if self.leader_discount is not None:
            return (price - self.leader_discount).max(Money.zero(self.currency))
        return price

    def join_price(self, leader: bool) -> Money:
        """The unit price charged at join (ladder groups settle the rest on success)."""
        base = self.group_price
        if self.ladder and self.ladder_settlement is LadderSettlement.CHARGE_DIFFERENCE:
            base = self.ladder[-1].price
        return self.leader_price(base) if leader else base

    def deadline_for(self, opened_at: DateTime) -> DateTime:
        """A group's deadline: the time limit after ``opened_at``, never past the campaign end.

        With ``deadline_from=LEADER_PAYMENT`` the group calls it again with
        the leader's payment time; the deadline at opening is provisional.
        """
        return min(opened_at.add(minutes=self.time_limit_minutes), self.ends_at)
