"""Hypothesis strategies for commission: plans, attribution, targets, sharing, withdrawals, orders.

Host apps use them to property-test their own commission integration::

    from hypothesis import given
    from sirui.commission import guide_commission
    from sirui.testing.commission import commission_orders, commission_plans

    @given(commission_orders(), commission_plans())
    def test_my_payout_report_balances(order, plan):
        lines = guide_commission(order, plan)
        assert my_report_total(lines) == sum(ln.amount.minor for ln in lines)

Every strategy builds valid values only (policies load back from their
config form). Guides are ``g1``-``g3`` as in `sirui.testing.orders`; SKUs,
categories and tags are those of `sirui.testing.skus`, so rules hit lines.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from sirui.commission import (
    AttributionPolicy,
    CommissionOrder,
    CommissionOrderLine,
    CommissionPlan,
    CommissionRule,
    ExcludedItems,
    FixedPerItem,
    Precedence,
    RateRule,
    Receiver,
    ReceiverRole,
    SharingPolicy,
    Target,
    TargetLadder,
    TargetLevel,
    TargetTier,
    TierMode,
    WithdrawalPolicy,
)
from sirui.commission.sharing import FeeBearer
from sirui.core.money import Money, Rounding
from sirui.core.nouns import Line, Order
from sirui.core.registry import renamed
from sirui.testing import STORES, money, orders, rates
from sirui.testing.promotions import item_scopes

__all__ = [
    "GUIDES",
    "attribution_policies",
    "commission_order_lines",
    "commission_orders",
    "commission_plans",
    "commission_rules",
    "sharing_policies",
    "target_ladders",
    "targets",
    "withdrawal_policies",
]

#: Guide ids, as `sirui.testing.orders` and `sirui.testing.members` use them.
GUIDES = ("g1", "g2", "g3")

_commission_rates = rates("0", "0.2", places=3)


def commission_rules(rule_id: str = "r") -> st.SearchStrategy[CommissionRule]:
    """One rule: a 0-20% rate, a fixed amount per unit, or an exclusion, on an item scope."""
    return st.one_of(
        st.builds(RateRule, st.just(rule_id), _commission_rates, item_scopes()),
        st.builds(FixedPerItem, st.just(rule_id), money(0, 2_000), item_scopes()),
        st.builds(ExcludedItems, st.just(rule_id), item_scopes()),
    )


@st.composite
def commission_plans(draw: st.DrawFn, max_rules: int = 4) -> CommissionPlan:
    """Ordered commission rules (提成方案), usually ending in a default rate on everything."""
    n = draw(st.integers(0, max_rules))
    rules = [draw(commission_rules(f"r{i}")) for i in range(n)]
    if draw(st.booleans()) or not rules:
        rules.append(RateRule("default", draw(_commission_rates)))
    return CommissionPlan(
        tuple(rules),
        counts_points=draw(st.booleans()),
        counts_stored_value=draw(st.booleans()),
        rounding=draw(st.sampled_from(Rounding)),
    )


def attribution_policies() -> st.SearchStrategy[AttributionPolicy]:
    """Attribution rules (业绩归属): precedence, a 0-30 day share window, self-purchase."""
    return st.builds(
        AttributionPolicy,
        precedence=st.sampled_from(Precedence),
        share_window_days=st.integers(0, 30),
        self_purchase_earns=st.booleans(),
    )


@st.composite
def target_ladders(draw: st.DrawFn, max_tiers: int = 4) -> TargetLadder:
    """Rates by target achievement (阶梯费率): floors from 0 rising, rates never falling."""
    n = draw(st.integers(1, max_tiers))
    # Floors in whole percent of the target (0%, then up to 150%).
    above: list[int] = sorted(draw(st.sets(st.integers(1, 150), min_size=n - 1, max_size=n - 1)))
    floors = [Decimal(f) / 100 for f in (0, *above)]
    pct = sorted(draw(st.lists(st.integers(0, 100), min_size=n, max_size=n)))
    return TargetLadder(
        tuple(TargetTier(f, Decimal(p) / 1000) for f, p in zip(floors, pct, strict=True)),
        mode=draw(st.sampled_from(TierMode)),
    )


def targets() -> st.SearchStrategy[Target]:
    """Monthly targets (月度目标) of ¥1,000-¥100,000 for a guide or a store."""
    return st.one_of(
        st.builds(Target, st.just("t-guide"), st.sampled_from(GUIDES), money(100_000, 10_000_000),
                  target_ladders(), st.just(TargetLevel.GUIDE), item_scopes()),
        st.builds(Target, st.just("t-store"), st.sampled_from(STORES), money(100_000, 10_000_000),
                  target_ladders(), st.just(TargetLevel.STORE), item_scopes()),
    )


@st.composite
def sharing_policies(draw: st.DrawFn, max_receivers: int = 3) -> SharingPolicy:
    """Profit sharing (分账): receivers whose rates sum to at most the cap (30% by default)."""
    cap = draw(st.just(Decimal("0.3")) | rates("0", "0.3"))
    accounts = draw(st.lists(st.sampled_from(["guide-g1", "guide-g2", "store-S01", "hq", "p1"]),
                             max_size=max_receivers, unique=True))
    left = cap
    receivers = []
    for acc in accounts:
        rate = draw(rates("0", str(left))) if left > 0 else Decimal(0)
        left -= rate
        receivers.append(Receiver(acc, draw(st.sampled_from(ReceiverRole)), rate))
    return SharingPolicy(
        tuple(receivers),
        cap=cap,
        fee_rate=draw(st.just(Decimal("0.006")) | rates("0", "0.01", places=3)),
        fee_bearer=draw(st.sampled_from(FeeBearer)),
        auto_withdraw=draw(st.booleans()),
        reserve_rate=draw(rates("0", "0.2")),
        max_receivers=draw(st.just(50) | st.integers(1, 50)),
        max_requests=draw(st.just(50) | st.integers(1, 50)),
        unfreeze_after_days=draw(st.just(30) | st.integers(0, 180)),
        return_within_days=draw(st.just(180) | st.integers(0, 365)),
    )


@st.composite
def withdrawal_policies(draw: st.DrawFn) -> WithdrawalPolicy:
    """Withdrawal rules (提现规则): minimum, maximum, fee and its rounding, daily limits."""
    minimum = draw(money(1, 10_000))
    maximum = draw(st.none() | money(minimum.minor, 5_000_000))
    return WithdrawalPolicy(
        minimum=minimum,
        maximum=maximum,
        fee_rate=draw(st.just(Decimal(0)) | rates("0", "0.01", places=3)),
        fee_rounding=draw(st.sampled_from(Rounding)),
        daily_count=draw(st.none() | st.integers(1, 10)),
        daily_amount=draw(st.none() | money(minimum.minor, 10_000_000)),
        log_retention_days=draw(st.just(30) | st.integers(0, 365)),
    )


@st.composite
def _paid_line(draw: st.DrawFn, line: Line, order: Order) -> CommissionOrderLine:
    # Split the line's amount into discount, cash, points deduction and stored value.
    amount = line.amount.minor
    settled = draw(st.integers(0, amount))
    points = draw(st.just(0) | st.integers(0, settled))
    stored = draw(st.just(0) | st.integers(0, settled - points))
    share_by = draw(st.none() | st.sampled_from(GUIDES))
    shared_at = None
    if share_by is not None and order.paid_at is not None and draw(st.booleans()):
        shared_at = order.paid_at.subtract(minutes=draw(st.integers(0, 60 * 24 * 40)))
    return CommissionOrderLine(line.id, line.sku, line.quantity, Money(settled - points - stored),
                    Money(points), Money(stored), share_by, shared_at)


def commission_order_lines(order: Order) -> st.SearchStrategy[tuple[CommissionOrderLine, ...]]:
    """What each line of ``order`` paid, split into cash, points value and stored value.

    A line never settles for more than its amount; some lines came through a
    guide's share link (``share_by``), opened up to 40 days before payment.
    """
    return st.tuples(*(_paid_line(ln, order) for ln in order.lines))


def commission_orders(max_lines: int = 6) -> st.SearchStrategy[CommissionOrder]:
    """Paid orders (`sirui.commission.CommissionOrder`) built from `sirui.testing.orders`."""
    return orders(max_lines).flatmap(
        lambda o: st.builds(CommissionOrder, st.just(o), commission_order_lines(o),
                            st.just(o.paid_at), st.booleans())
    )


#: Kept one release (see CHANGELOG): the strategies took their classes' new names.
__getattr__ = renamed(__name__, {
    "paid_lines": "sirui.testing.commission.commission_order_lines",
    "paid_orders": "sirui.testing.commission.commission_orders",
})
