"""The member-price stage (会员价): a pricing step that applies member discount rates.

`MemberPriceStep` implements `sirui.rules.PricingStep` at `Stage.MEMBER`.
Built from a member's `MemberBenefits`, it prices every line open to the
member stage that a discount scope covers: the line's current amount times
the member's rate for that SKU (best-of or stacked, per the benefits),
rounded by an explicit mode (half-up by default) to the fen.

Invariants: a line's discount is its current amount minus its member price,
so it is never negative and never more than the line (rates are in (0, 1]);
lines not covered, gift lines and lines an earlier stage closed to the
member stage are untouched; the adjustment's allocations sum exactly to its
amount; with no discount due the state records a `NotApplied` with a reason.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from sirui.core.money import Money, Rounding
from sirui.loyalty.members.benefits import MemberBenefits
from sirui.rules.pricing import Adjustment, PriceState, Stage
from sirui.rules.reasons import reason_code

__all__ = ["MemberPriceStep"]

MEMBER_PRICE = reason_code(
    "benefit.member_price",
    zh="会员价：{rates}，共优惠{amount}",
    en="Member price: {rates}; {amount} off",
)
NO_MEMBER_PRICE = reason_code(
    "benefit.no_member_price",
    zh="没有可享会员价的商品",
    en="No item in the cart has a member price",
)


def _show_rate(rate: Decimal) -> str:
    return f"{(rate * 10).normalize():f}折"


@attrs.frozen(slots=True)
class MemberPriceStep:
    """会员价 step: ``MemberPriceStep(benefits_for(policy, facts, now, cards))``.

    ``rule`` names the adjustment in the quote; ``rounding`` rounds each
    line's member price to the fen.
    """

    benefits: MemberBenefits
    rule: str = "member_price"
    rounding: Rounding = Rounding.HALF_UP

    @property
    def stage(self) -> Stage:
        return Stage.MEMBER

    def price(self, state: PriceState) -> PriceState:
        allocations: list[tuple[str, Money]] = []
        rates: set[str] = set()
        for pl in state.eligible(Stage.MEMBER):
            rate = self.benefits.rate_for(pl.line.sku)
            if rate is None or rate >= 1:
                continue
            member_price = pl.amount.times(rate, self.rounding)
            off = pl.amount - member_price
            if off.minor > 0:
                allocations.append((pl.id, off))
                rates.add(_show_rate(rate))
        if not allocations:
            return state.skip(self.rule, Stage.MEMBER, NO_MEMBER_PRICE(), "benefit.member_price")
        amount = sum((m for _, m in allocations), Money.zero(state.currency))
        return state.apply(
            Adjustment(
                rule=self.rule,
                stage=Stage.MEMBER,
                amount=amount,
                allocations=tuple(allocations),
                reason=MEMBER_PRICE(rates=frozenset(rates), amount=amount),
                kind="benefit.member_price",
            )
        )
