"""Promotion and wallet benchmarks: one full reduction on a 20-line cart; claim then use.

The quote cases (whole pipeline, best coupon combination) live in
``bench_checkout.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pendulum

from _harness import Case
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Member, Sku
from sirui.core.windows import DaysAfterClaim
from sirui.promotions import (
    AmountOffCoupon,
    ClaimCoupon,
    FullReduction,
    LockCoupon,
    ReductionTier,
    UseCoupon,
    Wallet,
)
from sirui.rules import ItemScope, PriceState

NOW = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")


def _cart() -> Cart:
    lines = tuple(
        Line(f"L{i:02d}", Sku(f"s{i}", Money(1990 + 137 * i), category="母婴/奶粉/1段"), 1 + i % 3)
        for i in range(20)
    )
    return Cart(Member("m1", tier="gold", paid_orders=3), lines)


def _full_reduction() -> Callable[[], object]:
    rule = FullReduction(
        "double11",
        tiers=(
            ReductionTier(Money.of("199"), Money.of("20")),
            ReductionTier(Money.of("299"), Money.of("40")),
            ReductionTier(Money.of("499"), Money.of("80")),
        ),
        scope=ItemScope(categories=frozenset({"母婴/奶粉"})),
    )
    state = PriceState.start(_cart(), NOW)
    rule.price(state)  # warm the fingerprint cache, as a long-running host would
    return lambda: rule.price(state)


def _wallet_claim_use() -> Callable[[], object]:
    template = AmountOffCoupon(
        "m100-10", validity=DaysAfterClaim(7), off=Money.of("10"), threshold=Money.of("100")
    )
    # A wallet that already holds 20 coupons, as an active member's would.
    wallet = Wallet("m1")
    for i in range(20):
        wallet = wallet.handle(ClaimCoupon(f"pre{i}", f"pre{i}", template), now=NOW).state

    def run() -> object:
        w = wallet.handle(ClaimCoupon("k1", "c1", template), now=NOW).state
        w = w.handle(LockCoupon("k2", "c1", "o1"), now=NOW).state
        return w.handle(UseCoupon("k3", "c1", "o1"), now=NOW)

    return run


def cases(quick: bool) -> list[Case]:
    return [
        Case("promotion_full_reduction_20_lines", setup=_full_reduction),
        Case("wallet_claim_use", setup=_wallet_claim_use),
    ]
