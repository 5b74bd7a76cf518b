"""Perks (权益包): what one tier or one paid card gives, before they combine.

`Perks` and its parts are read by the member benefits query
(`sirui.loyalty.members.benefits`) and sold by paid cards
(`sirui.loyalty.members.cards`); they live here so neither of those two
modules imports the other's.
"""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.registry import policy
from sirui.core.validators import non_negative_int, opt_non_negative_money
from sirui.loyalty.members._checks import discount_rate, multiplier, rate
from sirui.rules.scope import ItemScope

__all__ = ["BirthdayGift", "BirthdayWindow", "MemberDiscount", "Perks"]


class BirthdayWindow(enum.Enum):
    """When the birthday gift may be claimed."""

    DAY = "day"
    """On the birthday (生日当天)."""
    WEEK = "week"
    """In the ISO week (Monday–Sunday) of the birthday (生日当周)."""
    MONTH = "month"
    """In the birthday month (生日当月)."""


@policy("benefit.discount")
@attrs.frozen(slots=True)
class MemberDiscount:
    """A member price (会员折扣): ``rate`` is the price multiplier (0.95 = 95折) on ``scope``."""

    rate: Decimal = attrs.field(converter=rate, validator=discount_rate)
    scope: ItemScope = attrs.field(factory=ItemScope)


@policy("benefit.birthday_gift")
@attrs.frozen(slots=True)
class BirthdayGift:
    """生日礼包: a coupon pack (template code) and/or points, once a year in the window."""

    coupon_pack: str | None = None
    points: int = attrs.field(default=0, validator=non_negative_int)
    window: BirthdayWindow = BirthdayWindow.MONTH

    def __attrs_post_init__(self) -> None:
        if self.coupon_pack is None and self.points == 0:
            raise invalid("coupon_pack", None, "a birthday gift needs a coupon pack or points")


@policy("benefit.perks")
@attrs.frozen(slots=True)
class Perks:
    """权益包: the perks a tier or a paid card gives. Every field is optional."""

    discount: MemberDiscount | None = None
    free_shipping_threshold: Money | None = attrs.field(
        default=None, validator=opt_non_negative_money
    )
    """Free shipping from this amount (免邮门槛); zero means always free."""
    points_multiplier: Decimal = attrs.field(
        default=Decimal(1), converter=rate, validator=multiplier
    )
    birthday_gift: BirthdayGift | None = None
    member_day_coupon: str | None = None
    """Coupon template issued on the first visit on member day (会员日领券)."""
    member_week_coupon: str | None = None
    """Coupon template issued on the first visit in member week (会员周领券)."""
    exclusive_scope: ItemScope | None = None
    """Member-only items this member may buy (会员专享商品)."""
    seckill_early_minutes: int = attrs.field(default=0, validator=non_negative_int)
    """Minutes before a seckill slot opens that this member may buy (优先购)."""
