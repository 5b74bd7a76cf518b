"""Super guides over external staff; two-level staff distribution, by rate or per item."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sirui.commission import (
    CommissionPlan,
    DistributionDepthError,
    DistributionPlan,
    DistributionRate,
    RateRule,
    Role,
    SellerChain,
    SuperGuideShare,
    guide_commission,
    order_commission,
)
from sirui.core.errors import InvalidPolicyError
from sirui.core.money import Money, Rounding
from sirui.core.nouns import Guide, GuideKind, Member
from sirui.rules import ItemScope

from ._shop import DIAPER, MILK, NOW, paid_order, yuan

PLAN = CommissionPlan((RateRule("all", "0.03"),))
GUIDES = {
    "e1": Guide("e1", kind=GuideKind.EXTERNAL, super_guide="sg"),
    "e2": Guide("e2", kind=GuideKind.EXTERNAL),
    "g1": Guide("g1", store="S01"),
}


def order_by(promoter: str):  # type: ignore[no-untyped-def]
    return paid_order([(MILK, 1, "260"), (DIAPER, 1, "90")], member=Member("m1"),
                      share_by=promoter, shared_at=NOW.subtract(hours=1))


def rows(lines):  # type: ignore[no-untyped-def]
    return [(c.line_id, c.payee, c.role, c.amount) for c in lines]


def test_super_guide_takes_a_share_on_top_of_the_promoters_commission() -> None:
    lines = SuperGuideShare(share=Decimal("0.2")).apply(
        guide_commission(order_by("e1"), PLAN), GUIDES)
    assert rows(lines) == [
        ("L1", "e1", Role.GUIDE, yuan("7.80")),
        ("L1", "sg", Role.SUPER_GUIDE, yuan("1.56")),
        ("L2", "e1", Role.GUIDE, yuan("2.70")),
        ("L2", "sg", Role.SUPER_GUIDE, yuan("0.54")),
    ]


def test_super_guide_share_carved_out_of_the_promoters_commission() -> None:
    lines = SuperGuideShare(share=Decimal("0.2"), from_promoter=True).apply(
        guide_commission(order_by("e1"), PLAN), GUIDES)
    assert [c.amount for c in lines] == [yuan("6.24"), yuan("1.56"), yuan("2.16"), yuan("0.54")]
    assert lines[0].reason.code == "commission.carved_for_super_guide"


def test_super_guide_on_a_separate_rate() -> None:
    lines = SuperGuideShare(rate=Decimal("0.01")).apply(
        guide_commission(order_by("e1"), PLAN), GUIDES)
    assert [c.amount for c in lines if c.role is Role.SUPER_GUIDE] == [yuan("2.60"), yuan("0.90")]


def test_no_super_guide_for_staff_or_external_staff_without_one() -> None:
    share = SuperGuideShare(share=Decimal("0.2"))
    for who in ("e2", "g1"):
        lines = share.apply(guide_commission(order_by(who), PLAN), GUIDES)
        assert all(c.role is Role.GUIDE for c in lines)


def test_super_guide_needs_exactly_one_of_share_or_rate() -> None:
    with pytest.raises(InvalidPolicyError):
        SuperGuideShare()
    with pytest.raises(InvalidPolicyError):
        SuperGuideShare(share=Decimal("0.1"), rate=Decimal("0.1"))
    with pytest.raises(InvalidPolicyError):
        SuperGuideShare(share=Decimal("1.1"))


DIST = DistributionPlan((
    DistributionRate("milk", "0.05", "0.02", ItemScope(categories=frozenset({"母婴/奶粉"}))),
    DistributionRate("rest", "0.03"),
))


def test_direct_and_indirect_seller_rates_per_item() -> None:
    lines = DIST.compute(paid_order([(MILK, 1, "260"), (DIAPER, 1, "90")]),
                         SellerChain("s1", "s0"))
    assert rows(lines) == [
        ("L1", "s1", Role.DIRECT_SELLER, yuan("13.00")),
        ("L1", "s0", Role.INDIRECT_SELLER, yuan("5.20")),
        ("L2", "s1", Role.DIRECT_SELLER, yuan("2.70")),
        ("L2", "s0", Role.INDIRECT_SELLER, yuan("0")),
    ]


def test_one_level_plan_pays_only_the_direct_seller() -> None:
    plan = DistributionPlan(DIST.rates, levels=1)
    lines = plan.compute(paid_order([(MILK, 1, "260")]), SellerChain("s1", "s0"))
    assert rows(lines) == [("L1", "s1", Role.DIRECT_SELLER, yuan("13.00"))]


def test_three_levels_are_refused_by_construction() -> None:
    with pytest.raises(DistributionDepthError, match="two levels"):
        SellerChain.of(["s2", "s1", "s0"])
    with pytest.raises(DistributionDepthError):
        DistributionPlan(DIST.rates, levels=3)
    assert SellerChain.of(["s2", "s1"]) == SellerChain("s2", "s1")


def test_a_deep_recruitment_tree_pays_only_two_levels() -> None:
    recruited_by = {"s3": "s2", "s2": "s1", "s1": "s0"}
    assert SellerChain.for_seller("s3", recruited_by) == SellerChain("s3", "s2")


def test_rates_summing_above_one_are_refused() -> None:
    with pytest.raises(InvalidPolicyError):
        DistributionRate("x", "0.7", "0.4")


def test_order_commission_puts_it_all_together() -> None:
    lines = order_commission(
        order_by("e1"), PLAN, guides=GUIDES, super_guide=SuperGuideShare(share=Decimal("0.2")),
        distribution=DIST, sellers=SellerChain("s1"),
    )
    assert [(c.payee, c.role) for c in lines] == [
        ("e1", Role.GUIDE), ("sg", Role.SUPER_GUIDE), ("e1", Role.GUIDE),
        ("sg", Role.SUPER_GUIDE), ("s1", Role.DIRECT_SELLER), ("s1", Role.DIRECT_SELLER),
    ]
    assert len({c.key for c in lines}) == len(lines)


# -- fixed amounts per item for the levels, rounding per plan -------------------------------

PACKS = DistributionPlan((
    DistributionRate("diaper", direct_each=yuan("3"), indirect_each=yuan("1"),
                     scope=ItemScope(categories=frozenset({"母婴/纸尿裤"}))),
    DistributionRate("milk", "0.05", indirect_each=yuan("2"),
                     scope=ItemScope(categories=frozenset({"母婴/奶粉"}))),
))


def test_3_yuan_a_diaper_pack_to_the_seller_and_1_yuan_to_the_recruiter() -> None:
    lines = PACKS.compute(paid_order([(DIAPER, 2, "180"), (MILK, 1, "260")]),
                          SellerChain("s1", "s0"))
    assert rows(lines) == [
        ("L1", "s1", Role.DIRECT_SELLER, yuan("6.00")),
        ("L1", "s0", Role.INDIRECT_SELLER, yuan("2.00")),
        ("L2", "s1", Role.DIRECT_SELLER, yuan("13.00")),     # 5% of 260
        ("L2", "s0", Role.INDIRECT_SELLER, yuan("2.00")),    # 2 yuan per tin
    ]
    assert lines[0].reason.zh == "一级分销每件¥3.00，共2件：¥6.00"


def test_fixed_levels_together_never_pay_more_than_the_line() -> None:
    lines = PACKS.compute(paid_order([(DIAPER, 2, "7")]), SellerChain("s1", "s0"))
    assert [c.amount for c in lines] == [yuan("6.00"), yuan("1.00")]
    assert lines[1].reason.code == "commission.seller_fixed_capped"
    lines = PACKS.compute(paid_order([(DIAPER, 2, "5")]), SellerChain("s1", "s0"))
    assert [c.amount for c in lines] == [yuan("5.00"), yuan("0")]


def test_a_level_has_a_rate_or_a_fixed_amount_not_both() -> None:
    with pytest.raises(InvalidPolicyError, match="either"):
        DistributionRate("x", "0.05", direct_each=yuan("1"))


def test_distribution_and_super_guide_round_as_the_plan_says() -> None:
    # 5% of 9.99 = 0.4995: 0.50 half-up, 0.49 rounded down.
    order = paid_order([(MILK, 1, "9.99")])
    rates = (DistributionRate("all", "0.05"),)
    assert DistributionPlan(rates).compute(order, SellerChain("s1"))[0].amount == yuan("0.50")
    down = DistributionPlan(rates, rounding=Rounding.DOWN)
    assert down.compute(order, SellerChain("s1"))[0].amount == yuan("0.49")
    # The super guide's 25% of 2.70 is 0.675: the commission plan's rounding decides.
    for rounding, part in ((Rounding.HALF_UP, "0.68"), (Rounding.DOWN, "0.67")):
        plan = CommissionPlan(PLAN.rules, rounding=rounding)
        lines = order_commission(order_by("e1"), plan, guides=GUIDES,
                                 super_guide=SuperGuideShare(share=Decimal("0.25")))
        assert lines[-1].amount == yuan(part)


@given(st.integers(0, 100_000), st.integers(1, 5), st.integers(0, 5_000), st.integers(0, 5_000),
       st.sampled_from(Rounding))
def test_fixed_levels_stay_within_the_base(fen: int, qty: int, direct: int, indirect: int,
                                           rounding: Rounding) -> None:
    plan = DistributionPlan((DistributionRate("all", direct_each=Money(direct),
                                              indirect_each=Money(indirect)),),
                            rounding=rounding)
    order = paid_order([(DIAPER, qty, str(Money(fen).to_plain()))])
    lines = plan.compute(order, SellerChain("s1", "s0"))
    assert all(c.amount.minor >= 0 for c in lines)
    assert sum((c.amount for c in lines), Money(0)) <= Money(fen)
    assert lines[0].amount == min(Money(direct) * qty, Money(fen))


def test_zh_reasons_carry_no_ids() -> None:
    lines = order_commission(
        order_by("e1"), PLAN, guides=GUIDES,
        super_guide=SuperGuideShare(share=Decimal("0.2"), from_promoter=True),
        distribution=PACKS, sellers=SellerChain("s1", "s0"),
    )
    for c in lines:
        assert not re.search(r"[A-Za-z]", c.reason.zh), c.reason.zh
    assert lines[1].reason.zh == "外部员工佣金¥7.80的20%归超级导购"
