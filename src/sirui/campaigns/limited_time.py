"""Limited-time discount (限时折扣): a lower price within a window, with limits and a stock warning.

An operator lowers the price of some items for a window (a fixed price, or
a rate such as 8折), optionally with a stock for the discount, per-member
limits (per local day, per discount) and a warning threshold: when the
remaining discount stock falls below it, a `LowStock` event tells the
operator (库存预警).

Stock and limits run on the seckill stock machine
(`sirui.campaigns.seckill.StockSlice`): the discount's window is its one
"slot", so reserve / confirm / release, payment timeouts, idempotency by
order id and the no-oversell guarantee are the same. An item without a
stock cap gets a counter of `UNLIMITED` units so the limits still apply.

Invariants: the discounted unit price is positive and below the original
(rounded half-up to the fen for rates); the discount prices only inside
its half-open window ``[start, end)``; it never discounts more units than
the order holds live reservations for (when reservations are given).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Final

import attrs
from pendulum import DateTime

from sirui.campaigns._activity import apply_activity
from sirui.campaigns._checks import key_part
from sirui.campaigns.seckill import (
    LowStock,
    Reservation,
    StockCounter,
    StockRules,
    activity_blocks,
    live_units,
    split_stock,
)
from sirui.core.errors import invalid
from sirui.core.money import Money, Rounding, as_rate
from sirui.core.nouns import Member
from sirui.core.registry import policy
from sirui.core.validators import non_negative_int, opt_non_negative_int, opt_positive_int
from sirui.core.windows import DEFAULT_TZ, Window, aware, zone
from sirui.core.zh import zh_datetime
from sirui.rules.conditions import Always, Condition, Facts
from sirui.rules.pricing import PriceState, Stage
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "UNLIMITED",
    "DiscountItem",
    "LimitedTimeDiscount",
    "LimitedTimePriceStep",
    "LowStock",
]

UNLIMITED: Final = 10**12
"""Stock of a counter for an item without a stock cap."""

NOT_STARTED = reason_code(
    "limited_time.not_started", zh="限时折扣未开始，{start_zh}开始", en="Starts at {start}"
)
ENDED = reason_code("limited_time.ended", zh="限时折扣已结束", en="The discount has ended")
NOT_ELIGIBLE = reason_code(
    "limited_time.not_eligible", zh="不满足参与条件：{detail_zh}", en="Not eligible: {detail}"
)
NOT_IN_DISCOUNT = reason_code(
    "limited_time.not_in_discount",
    zh="购物车中没有限时折扣商品",
    en="No item in the cart is on this discount",
)
PRICED = reason_code(
    "limited_time.priced", zh="限时折扣（{discount}）", en="Limited-time discount ({discount})"
)


def _opt_rate(value: object) -> Decimal | None:
    return None if value is None else as_rate(value, "rate")


@policy("limited_time.item")
@attrs.frozen(slots=True)
class DiscountItem:
    """An item on a limited-time discount: a fixed ``price`` or a ``rate`` (0.8 = 8折)."""

    sku: str = attrs.field(validator=key_part)
    price: Money | None = None
    rate: Decimal | None = attrs.field(default=None, converter=_opt_rate)
    stock: int | None = attrs.field(default=None, validator=opt_non_negative_int)
    """Units sold at the discount (None: no cap)."""

    def __attrs_post_init__(self) -> None:
        if (self.price is None) == (self.rate is None):
            raise invalid("price", self.price, "set exactly one of price and rate",
                          "price=Money.of('39.90') or rate='0.8'")
        if self.price is not None and (not isinstance(self.price, Money) or self.price.minor <= 0):
            raise invalid("price", self.price, "must be positive Money")
        if self.rate is not None and not Decimal(0) < self.rate < Decimal(1):
            raise invalid("rate", self.rate, "must be between 0 and 1 exclusive",
                          "0.8 means 20% off (8折)")

    def unit_price(self, original: Money) -> Money:
        """The discounted unit price for a line priced at ``original`` (never above it)."""
        if self.price is not None:
            return self.price.min(original)
        assert self.rate is not None
        return original.times(self.rate, Rounding.HALF_UP)


def _items(value: Iterable[DiscountItem]) -> tuple[DiscountItem, ...]:
    items = tuple(value)
    if not items:
        raise invalid("items", (), "a discount needs at least one item")
    skus = [it.sku for it in items]
    if len(set(skus)) != len(skus):
        raise invalid("items", skus, "an item appears twice")
    return items


def _window(_inst: object, _attr: object, value: Window) -> None:
    if not isinstance(value, Window) or value.end is None:
        raise invalid("window", value, "must be a Window with an end")


@policy("limited_time.discount")
@attrs.frozen(slots=True)
class LimitedTimeDiscount:
    """A limited-time discount (限时折扣) on some items within ``window``.

    Coupons and points stack on the discounted price by default (an
    operator setting, unlike seckill); turn it off with ``stack_coupons`` /
    ``stack_points``.
    """

    id: str = attrs.field(validator=key_part)
    window: Window = attrs.field(validator=_window)
    items: tuple[DiscountItem, ...] = attrs.field(converter=_items)
    per_day: int | None = attrs.field(default=None, validator=opt_positive_int)
    per_member: int | None = attrs.field(default=None, validator=opt_positive_int)
    low_stock_threshold: int | None = attrs.field(default=None, validator=opt_positive_int)
    eligibility: Condition = Always()  # noqa: RUF009 - a frozen value, safe to share
    stack_coupons: bool = True
    stack_points: bool = True
    payment_timeout_minutes: int = 15
    tz: str = DEFAULT_TZ
    name: str = ""
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """How long released reservations are kept for replays (see `SeckillCampaign`)."""

    def __attrs_post_init__(self) -> None:
        zone(self.tz)
        if type(self.payment_timeout_minutes) is not int or self.payment_timeout_minutes < 1:
            raise invalid("payment_timeout_minutes", self.payment_timeout_minutes,
                          "must be an int >= 1")

    @property
    def slot_key(self) -> str:
        """The stock key of the discount (its window is its only slot)."""
        return f"{self.id}@{self.window.start.isoformat()}"

    def item(self, sku: str) -> DiscountItem | None:
        for it in self.items:
            if it.sku == sku:
                return it
        return None

    def stock_rules(self) -> StockRules:
        return StockRules(
            self.payment_timeout_minutes, None, self.per_day, self.per_member, False,
            self.low_stock_threshold, self.tz, log_retention_days=self.log_retention_days,
        )

    def counters(self, sku: str, buckets: int = 1) -> tuple[StockCounter, ...]:
        """Fresh stock counters for ``sku`` (`UNLIMITED` units when it has no cap)."""
        it = self.item(sku)
        if it is None:
            raise invalid("sku", sku, f"is not on discount {self.id!r}")
        return split_stock(self.slot_key, sku, UNLIMITED if it.stock is None else it.stock,
                           buckets)

    def admit(self, member: Member, *, now: DateTime, store: str | None = None,
              channel: str | None = None) -> Reason | None:
        """None if ``member`` may buy at the discount at ``now``, else why not."""
        now = aware(now)
        if now < self.window.start:
            return NOT_STARTED(start=self.window.start,
                               start_zh=zh_datetime(self.window.start, self.tz))
        if self.window.is_before(now):
            return ENDED()
        verdict = self.eligibility.evaluate(Facts(now, member, (), None, store, channel))
        if not verdict.ok:
            return NOT_ELIGIBLE(detail="; ".join(r.code for r in verdict.reasons),
                                detail_zh="；".join(r.zh for r in verdict.reasons))
        return None


def _reservations(value: Iterable[Reservation] | None) -> tuple[Reservation, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen(slots=True)
class LimitedTimePriceStep:
    """Price a cart's discounted lines (a `sirui.rules.PricingStep` at `Stage.ACTIVITY`).

    With ``reservations`` (from the stock machine) only units held by live
    reservations are discounted; with None every unit in the window is.
    Lines already priced by another activity are left alone.
    """

    discount: LimitedTimeDiscount
    reservations: tuple[Reservation, ...] | None = attrs.field(
        default=None, converter=_reservations
    )

    @property
    def stage(self) -> Stage:
        return Stage.ACTIVITY

    @property
    def rule(self) -> str:
        return f"limited_time:{self.discount.id}"

    def price(self, state: PriceState) -> PriceState:
        d = self.discount
        c = state.cart
        why = d.admit(c.member, now=state.now, store=c.store, channel=c.channel)
        if why is not None:
            return state.skip(self.rule, Stage.ACTIVITY, why, "limited_time.discount")
        units = (None if self.reservations is None
                 else live_units(self.reservations, state, d.slot_key))
        allocations: list[tuple[str, Money]] = []
        for pl in state.eligible(Stage.ACTIVITY):
            it = d.item(pl.line.sku.id)
            if it is None or pl.activity is not None:
                continue
            n = pl.line.quantity if units is None else min(units.get(it.sku, 0), pl.line.quantity)
            if n == 0:
                continue
            if units is not None:
                units[it.sku] -= n
            per_unit = pl.line.unit_price - it.unit_price(pl.line.unit_price)
            off = Money(min(per_unit.minor * n, pl.amount.minor), pl.amount.currency)
            allocations.append((pl.id, off))
        if not allocations:
            return state.skip(self.rule, Stage.ACTIVITY, NOT_IN_DISCOUNT(), "limited_time.discount")
        return apply_activity(
            state, self.rule, "limited_time.discount", allocations,
            reason=PRICED(discount=d.name or d.id), policy=d,
            blocks=activity_blocks(d.stack_coupons, d.stack_points),
        )
