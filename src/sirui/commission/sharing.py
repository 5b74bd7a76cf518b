"""WeChat Pay profit sharing (微信支付分账): split an order's payment among receivers.

A `SharingPolicy` names receivers (guide, store, headquarters, partner),
each with a rate of the order's paid amount. `SharingPolicy.split` gives a
`SharingPlan`: the payment fee, each receiver's gross share, the fee part
each bears, their net, and what the merchant keeps.

Rules and invariants:

* the shared total (receivers' gross) never exceeds ``cap`` (30% by default,
  WeChat's limit) of the order: rates summing above the cap are refused at
  construction, and the total is rounded down;
* the fee (0.6% by default) is rounded half up to the fen; who bears it is
  ``fee_bearer``: the merchant alone, the receivers (up to their shares), or
  everyone pro rata;
* fen-exact: Σ receivers' net + merchant's net + fee = order amount, always;
* with automatic withdrawal off (``auto_withdraw=False``) a reserve of the
  merchant's part (``reserve_rate`` of the order) stays as balance for
  refunds (退款备用金);
* a refund reverses sharing (分账回退) in proportion, cumulatively, so a full
  refund returns every share, the fee and the merchant's part exactly; the
  merchant's part absorbs the fen rounding of partial refunds.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import Decimal

import attrs

from sirui.commission._common import check_rate, rate_field, to_rate
from sirui.core.errors import InvalidPolicyError, invalid
from sirui.core.money import Money, Rounding, round_decimal
from sirui.core.registry import policy
from sirui.core.validators import non_empty_str

__all__ = [
    "FeeBearer",
    "Receiver",
    "ReceiverRole",
    "Share",
    "SharingPlan",
    "SharingPolicy",
    "SharingReversal",
]


class ReceiverRole(enum.Enum):
    GUIDE = "guide"
    STORE = "store"
    HEADQUARTERS = "headquarters"
    PARTNER = "partner"


class FeeBearer(enum.Enum):
    """Who pays the payment fee (手续费承担方)."""

    MERCHANT = "merchant"
    """The merchant's retained part bears it all."""
    RECEIVERS = "receivers"
    """Receivers bear it in proportion to their shares (the merchant covers any rest)."""
    PRO_RATA = "pro_rata"
    """Merchant and receivers bear it in proportion to what each gets."""


@attrs.frozen(slots=True)
class Receiver:
    """A profit-sharing receiver (分账接收方): an account, its role and its rate."""

    account: str = attrs.field(validator=non_empty_str)
    role: ReceiverRole
    rate: Decimal = attrs.field(converter=to_rate, validator=rate_field)


def _receivers(value: Iterable[Receiver]) -> tuple[Receiver, ...]:
    items = tuple(value)
    accounts = [r.account for r in items]
    if len(set(accounts)) != len(accounts):
        raise invalid("receivers", accounts, "an account appears twice", "merge its rates")
    return items


@attrs.frozen(slots=True)
class Share:
    """One receiver's part of one order."""

    account: str
    role: ReceiverRole
    gross: Money
    fee: Money
    net: Money


@attrs.frozen(slots=True)
class SharingReversal:
    """What one refund takes back (分账回退): from each receiver, the fee, the merchant."""

    refund: Money
    receivers: tuple[tuple[str, Money], ...]
    fee: Money
    merchant: Money

    @property
    def total(self) -> Money:
        return sum((m for _, m in self.receivers), self.fee + self.merchant)


@attrs.frozen(slots=True)
class SharingPlan:
    """How one order's payment is split; sums are exact to the fen."""

    amount: Money
    fee: Money
    shares: tuple[Share, ...]
    merchant_gross: Money
    merchant_fee: Money
    merchant_net: Money
    reserve: Money
    """Kept as balance for refunds when automatic withdrawal is off."""

    @property
    def shared(self) -> Money:
        """Receivers' gross total (the amount counted against the cap)."""
        return sum((s.gross for s in self.shares), Money.zero(self.amount.currency))

    @property
    def withdrawable(self) -> Money:
        return self.merchant_net - self.reserve

    def share_of(self, account: str) -> Share:
        for s in self.shares:
            if s.account == account:
                return s
        raise invalid("account", account, "not a receiver of this plan")

    def _cumulative(self, refunded: Money) -> tuple[list[Money], Money, Money]:
        a = self.amount.minor
        nets = [_down(s.net, refunded.minor, a) for s in self.shares]
        fee = _down(self.fee, refunded.minor, a)
        merchant = refunded - sum(nets, fee)
        return nets, fee, merchant

    def reverse(self, refund: Money, already_refunded: Money | None = None) -> SharingReversal:
        """Take back ``refund`` after ``already_refunded`` of this order was refunded before."""
        before = already_refunded if already_refunded is not None else refund * 0
        if refund.minor < 0 or before.minor < 0 or before + refund > self.amount:
            raise invalid("refund", refund,
                          f"with {before} refunded before, must stay within {self.amount}")
        n0, f0, m0 = self._cumulative(before)
        n1, f1, m1 = self._cumulative(before + refund)
        return SharingReversal(
            refund,
            tuple((s.account, b - a) for s, a, b in zip(self.shares, n0, n1, strict=True)),
            f1 - f0,
            m1 - m0,
        )


def _down(part: Money, num: int, den: int) -> Money:
    """``part × num / den`` rounded down, exact at ``num == den``."""
    if den <= 0 or num <= 0:
        return part * 0
    if num >= den:
        return part
    return Money(part.minor * num // den, part.currency)


@policy("sharing.policy")
@attrs.frozen(slots=True)
class SharingPolicy:
    """Profit-sharing rule (分账规则).

    >>> from decimal import Decimal
    >>> pol = SharingPolicy((Receiver("guide-g1", ReceiverRole.GUIDE, Decimal("0.05")),))
    >>> pol.split(Money.of("100")).share_of("guide-g1").net
    Money('5.00', 'CNY')
    """

    receivers: tuple[Receiver, ...] = attrs.field(converter=_receivers)
    cap: Decimal = attrs.field(default=Decimal("0.3"), converter=to_rate, validator=rate_field)
    fee_rate: Decimal = attrs.field(default=Decimal("0.006"), converter=to_rate,
                                    validator=rate_field)
    fee_bearer: FeeBearer = FeeBearer.MERCHANT
    auto_withdraw: bool = True
    reserve_rate: Decimal = attrs.field(default=Decimal("0.1"), converter=to_rate,
                                        validator=rate_field)

    def __attrs_post_init__(self) -> None:
        total = sum((r.rate for r in self.receivers), Decimal(0))
        if total > self.cap:
            raise InvalidPolicyError(
                f"receivers: rates sum to {total}, above the cap {self.cap}; "
                "lower the rates (WeChat Pay shares at most 30% of an order)",
                field="receivers", value=total,
            )
        check_rate("cap", self.cap)

    @property
    def total_rate(self) -> Decimal:
        return sum((r.rate for r in self.receivers), Decimal(0))

    def split(self, amount: Money) -> SharingPlan:
        """Split an order's paid ``amount`` (shipping included if it was paid through WeChat)."""
        if not isinstance(amount, Money) or amount.minor < 0:
            raise invalid("amount", amount, "must be Money >= 0")
        zero = amount * 0
        fee = amount.times(self.fee_rate)
        rates = [r.rate for r in self.receivers]
        shared = Money(round_decimal(Decimal(amount.minor) * self.total_rate, Rounding.DOWN),
                       amount.currency)
        gross = shared.allocate(rates) if shared.minor and any(rates) else [zero for _ in rates]
        merchant_gross = amount - shared
        if self.fee_bearer is FeeBearer.MERCHANT or not fee.minor:
            fees, merchant_fee = [zero for _ in rates], fee
        elif self.fee_bearer is FeeBearer.RECEIVERS:
            borne = fee.min(shared)
            fees = borne.allocate(gross) if borne.minor else [zero for _ in rates]
            merchant_fee = fee - borne
        else:
            parts = fee.allocate([merchant_gross, *gross]) if amount.minor else [zero] * (
                len(rates) + 1)
            merchant_fee, fees = parts[0], parts[1:]
        shares = tuple(
            Share(r.account, r.role, g, f, g - f)
            for r, g, f in zip(self.receivers, gross, fees, strict=True)
        )
        merchant_net = merchant_gross - merchant_fee
        reserve = zero
        if not self.auto_withdraw:
            reserve = amount.times(self.reserve_rate, Rounding.DOWN).min(merchant_net).max(zero)
        return SharingPlan(amount, fee, shares, merchant_gross, merchant_fee, merchant_net,
                           reserve)
