"""Hypothesis strategies for members (tiers, benefits, paid cards, RFM) and points.

Host apps use them to property-test their own loyalty integration::

    from hypothesis import given
    from sirui.testing.loyalty import tier_ladders

    @given(tier_ladders())
    def test_my_badge_shows_a_tier(ladder):
        assert my_badge(ladder.qualified(0)) != ""

Every strategy builds valid policies only (each loads back from its config
form). Tier codes come from `sirui.testing.TIERS` and SKUs, categories and
tags from the vocabularies of `sirui.testing`, so generated policies apply
to generated members and carts often.
"""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import strategies as st

from sirui.core.money import Money, Rounding
from sirui.core.windows import MemberDay, MemberWeek, PeriodKind
from sirui.loyalty.members import (
    BelowRetention,
    BenefitPolicy,
    BirthdayGift,
    BirthdayWindow,
    CardPlan,
    CardRefundRule,
    CombineRule,
    GrowthRules,
    MemberDiscount,
    Perks,
    RefundMode,
    RfmPolicy,
    RfmThresholds,
    Tier,
    TierLadder,
    TierMetric,
    TierPerks,
    UpgradeMode,
)
from sirui.loyalty.points import (
    AfterLadder,
    DeductionPolicy,
    EarnRule,
    ExpireAfterDays,
    ExpireAtMonthEnd,
    ExpireAtQuarterEnd,
    ExpireAtYearEnd,
    ExpiryPolicy,
    ItemMultiplier,
    LedgerPolicy,
    MonthlyReward,
    MultiplierCombine,
    MultiplierStacking,
    NeverExpire,
    PointsCampaign,
    PointsRefundPolicy,
    ReturnedExpiry,
    Shortfall,
    SigninPolicy,
    SpendingOrder,
    StoredValuePolicy,
    StreakCoupon,
    TopUpTier,
)
from sirui.testing import TIERS, money, rates, windows
from sirui.testing.promotions import item_scopes

__all__ = [
    "benefit_policies",
    "card_plans",
    "deduction_policies",
    "earn_rules",
    "expiry_policies",
    "growth_rules",
    "item_multipliers",
    "ledger_policies",
    "member_days",
    "perks",
    "points_campaigns",
    "rfm_policies",
    "signin_policies",
    "stored_value_policies",
    "tier_ladders",
]

_codes = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
_templates = st.sampled_from(["tpl-10off", "tpl-freeship", "tpl-bday", "tpl-week"])

#: Upper bound of each metric's thresholds, in its own units (fen for spend).
_METRIC_SCALE = {TierMetric.GROWTH: 20_000, TierMetric.POINTS: 20_000, TierMetric.SPEND: 2_000_000,
                 TierMetric.ORDERS: 60}


def growth_rules() -> st.SearchStrategy[GrowthRules]:
    """Growth per yuan (0 to 3, two decimals) and small activity bonuses."""
    return st.builds(
        GrowthRules,
        per_yuan=rates("0", "3"),
        first_order_bonus=st.integers(0, 200),
        sign_in=st.integers(0, 10),
        review=st.integers(0, 20),
        task=st.integers(0, 20),
    )


@st.composite
def tier_ladders(
    draw: st.DrawFn, max_tiers: int = 4, metric: TierMetric | None = None
) -> TierLadder:
    """Ladders over the codes of `sirui.testing.TIERS`, thresholds from 0 strictly rising.

    Thresholds are sized for the metric (growth and points up to 20,000, spend
    up to ¥20,000 in fen, orders up to 60); retention thresholds (保级) sit
    between 0 and their tier's threshold; any rolling window (1-800 days, or
    all time) goes with any review period.
    """
    m = metric if metric is not None else draw(st.sampled_from(TierMetric))
    n = draw(st.integers(1, min(max_tiers, len(TIERS))))
    scale = _METRIC_SCALE[m]
    rest = sorted(draw(st.sets(st.integers(1, scale), min_size=n - 1, max_size=n - 1)))
    tiers = [Tier(TIERS[0], "普通")]
    for code, threshold in zip(TIERS[1:n], rest, strict=False):
        retention = draw(st.none() | st.integers(0, threshold))
        tiers.append(Tier(code, code.title(), threshold, retention))
    return TierLadder(
        tuple(tiers),
        metric=m,
        window_days=draw(st.none() | st.integers(1, 800)),
        upgrade=draw(st.sampled_from(UpgradeMode)),
        review=draw(st.none() | st.sampled_from(PeriodKind)),
        below_retention=draw(st.sampled_from(BelowRetention)),
        grace_days=draw(st.integers(0, 30)),
        refund_downgrades=draw(st.booleans()),
        growth=draw(growth_rules()),
    )


def member_days() -> st.SearchStrategy[MemberDay]:
    """Member days (会员日): a day of the month or an ISO weekday."""
    return st.one_of(
        st.builds(MemberDay, day_of_month=st.integers(1, 31)),
        st.builds(MemberDay, weekday=st.integers(1, 7)),
    )


def _birthday_gifts() -> st.SearchStrategy[BirthdayGift]:
    return st.one_of(
        st.builds(BirthdayGift, coupon_pack=_templates, points=st.integers(0, 500),
                  window=st.sampled_from(BirthdayWindow)),
        st.builds(BirthdayGift, points=st.integers(1, 500), window=st.sampled_from(BirthdayWindow)),
    )


def perks() -> st.SearchStrategy[Perks]:
    """Perk packs (权益包): member discount 0.80-1, free shipping, multiplier, gifts."""
    return st.builds(
        Perks,
        discount=st.none() | st.builds(MemberDiscount, rates("0.80", "1"), item_scopes()),
        free_shipping_threshold=st.none() | money(0, 20_000),
        points_multiplier=rates("1", "3", places=1),
        birthday_gift=st.none() | _birthday_gifts(),
        member_day_coupon=st.none() | _templates,
        member_week_coupon=st.none() | _templates,
        exclusive_scope=st.none() | item_scopes(),
        seckill_early_minutes=st.integers(0, 30),
    )


def benefit_policies() -> st.SearchStrategy[BenefitPolicy]:
    """Tier perks for some of `sirui.testing.TIERS`, a combine rule, member day and week."""
    return st.builds(
        BenefitPolicy,
        tiers=st.lists(
            st.builds(TierPerks, st.sampled_from(TIERS), perks()),
            max_size=len(TIERS), unique_by=lambda tp: tp.tier,
        ).map(tuple),
        combine=st.sampled_from(CombineRule),
        member_day=st.none() | member_days(),
        member_week=st.none() | st.builds(MemberWeek, st.integers(1, 28), st.integers(1, 7)),
    )


@st.composite
def card_plans(draw: st.DrawFn) -> CardPlan:
    """Paid card plans (付费会员卡): ¥0-¥299, 1-24 months or 1-800 days, perks, coupon packs,
    refund rule."""
    pack = draw(st.none() | _templates)
    days = draw(st.none() | st.sampled_from([7, 30, 90, 365, 366]) | st.integers(1, 800))
    return CardPlan(
        code=draw(_codes),
        price=draw(money(0, 29_900)),
        period_months=12 if days is not None else draw(st.integers(1, 24)),
        duration_days=days,
        name=draw(st.sampled_from(["", "年卡", "月卡"])),
        trial_days=draw(st.integers(0, 14)),
        perks=draw(perks()),
        coupon_pack=pack,
        coupon_pack_every_months=draw(st.integers(1, 3)),
        coupon_pack_value=draw(st.none() | money(0, 3_000)) if pack is not None else None,
        refund=draw(st.builds(CardRefundRule, st.sampled_from(RefundMode), st.integers(0, 30))),
    )


def rfm_policies() -> st.SearchStrategy[RfmPolicy]:
    """RFM policies: operator thresholds, or a quantile cut of the population."""
    return st.one_of(
        st.builds(RfmPolicy, quantile=rates("0", "1")),
        st.builds(
            RfmPolicy,
            thresholds=st.builds(RfmThresholds, st.integers(0, 180), st.integers(0, 10),
                                 money(0, 500_000)),
        ),
    )


def points_campaigns() -> st.SearchStrategy[PointsCampaign]:
    """Multiple-points campaigns (多倍积分) in a window and/or on member days."""
    return st.builds(
        PointsCampaign,
        multiplier=rates("1", "5", places=1),
        window=st.none() | windows(),
        member_day=st.none() | member_days(),
        name=st.sampled_from(["", "双倍积分日"]),
    )


def item_multipliers() -> st.SearchStrategy[ItemMultiplier]:
    """Per-category or per-SKU multipliers (品类多倍积分): 0.5x-5x, sometimes in a window."""
    return st.builds(
        ItemMultiplier,
        scope=item_scopes().filter(lambda s: not s.is_everything),
        multiplier=st.sampled_from(["0.5", "1.5", "2", "3"]).map(Decimal) | rates("0.1", "5", 1),
        window=st.none() | windows(),
        name=st.sampled_from(["", "奶粉双倍积分", "特价减半"]),
    )


def earn_rules() -> st.SearchStrategy[EarnRule]:
    """Earning rules (消费积分): 0.1-10 points per yuan, campaigns, stacking, caps, a minimum
    order and item multipliers combined best-of or multiplied."""
    return st.builds(
        EarnRule,
        points_per_yuan=rates("0.1", "10", places=1),
        rounding=st.sampled_from(Rounding),
        include_shipping=st.booleans(),
        scope=item_scopes(),
        campaigns=st.lists(points_campaigns(), max_size=2).map(tuple),
        stacking=st.sampled_from(MultiplierStacking),
        per_order_cap=st.none() | st.integers(1, 5_000),
        daily_cap=st.none() | st.integers(1, 10_000),
        min_order=st.none() | money(1, 30_000),
        item_multipliers=st.lists(item_multipliers(), max_size=3).map(tuple),
        combine=st.sampled_from(MultiplierCombine),
    )


def expiry_policies() -> st.SearchStrategy[ExpiryPolicy]:
    """Never, N days after earning, or at the end of a later month, quarter or year
    (积分有效期)."""
    return st.one_of(
        st.just(NeverExpire()),
        st.builds(ExpireAfterDays, st.integers(1, 730)),
        st.builds(ExpireAtMonthEnd, st.integers(0, 24)),
        st.builds(ExpireAtQuarterEnd, st.integers(0, 8)),
        st.builds(ExpireAtYearEnd, st.integers(0, 3)),
    )


def ledger_policies() -> st.SearchStrategy[LedgerPolicy]:
    """Points ledger rules: expiry, pending days for order points, refund handling."""
    return st.builds(
        LedgerPolicy,
        expiry=expiry_policies(),
        pending_days=st.integers(0, 30),
        refunds=st.builds(PointsRefundPolicy, st.sampled_from(Shortfall),
                          st.sampled_from(ReturnedExpiry), st.booleans()),
    )


@st.composite
def deduction_policies(draw: st.DrawFn) -> DeductionPolicy:
    """Points deduction (积分抵现): a rate such as 100 points = ¥1, units worth whole fen."""
    per_yuan = draw(st.sampled_from([1, 10, 20, 50, 100, 200, 1000]))
    # A unit is worth whole fen when unit * 100 is a multiple of per_yuan.
    step = per_yuan // math.gcd(per_yuan, 100)
    unit_points = draw(st.none() | st.integers(1, 20).map(lambda k: k * step))
    unit = per_yuan if unit_points is None else unit_points
    min_points = draw(st.just(0) | st.integers(0, 5 * unit))
    max_points = draw(st.none() | st.integers(max(unit, min_points), max(unit, min_points) * 20))
    return DeductionPolicy(
        points_per_yuan=per_yuan,
        unit_points=unit_points,
        min_points=min_points,
        max_points=max_points,
        max_share=draw(rates("0.05", "1")),
        scope=draw(item_scopes()),
    )


def signin_policies() -> st.SearchStrategy[SigninPolicy]:
    """Sign-in rules (日历签到): a ladder of 1-7 rungs, streak coupons, monthly rewards."""
    return st.builds(
        SigninPolicy,
        ladder=st.lists(st.integers(0, 50), min_size=1, max_size=7).map(tuple),
        after_ladder=st.sampled_from(AfterLadder),
        coupons=st.lists(st.builds(StreakCoupon, st.integers(1, 10), _templates),
                         max_size=3, unique_by=lambda c: c.day).map(tuple),
        monthly=st.lists(
            st.one_of(
                st.builds(MonthlyReward, st.integers(1, 31), st.integers(1, 200)),
                st.builds(MonthlyReward, st.integers(1, 31), st.integers(0, 200), _templates),
            ),
            max_size=3, unique_by=lambda m: m.days,
        ).map(tuple),
        makeup_cost=st.integers(0, 100),
        makeups_per_month=st.integers(0, 3),
    )


@st.composite
def stored_value_policies(draw: st.DrawFn, max_tiers: int = 4) -> StoredValuePolicy:
    """Stored value (储值): 充X送Y tiers rising in amount, each bonus below its top-up."""
    amounts = sorted(draw(st.sets(st.integers(1, 500).map(lambda y: y * 100),
                                  max_size=max_tiers)))
    tiers = tuple(TopUpTier(Money(a), Money(draw(st.integers(0, a // 5)))) for a in amounts)
    return StoredValuePolicy(
        tiers=tiers,
        spending_order=draw(st.sampled_from(SpendingOrder)),
        repeat=draw(st.booleans()),
        min_top_up=draw(st.none() | money(1, 10_000)),
        top_up_refundable=draw(st.booleans()),
    )

