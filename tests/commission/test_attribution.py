"""Attribution: share link vs exclusive guide, link windows, self-purchase."""

from __future__ import annotations

from sirui.commission import (
    AttributionPolicy,
    AttributionSource,
    CommissionOrder,
    CommissionOrderLine,
    CommissionPlan,
    Precedence,
    RateRule,
    guide_commission,
)
from sirui.core.nouns import Guide, Member

from ._shop import MILK, NOW, paid_order, yuan


def test_share_link_beats_exclusive_guide_by_default() -> None:
    order = paid_order([(MILK, 1, "260")], share_by="g2", shared_at=NOW.subtract(days=3))
    who = AttributionPolicy().attribute(order)
    assert who.guide == "g2"
    assert who.source is AttributionSource.SHARE_LINK
    assert who.store == "S01"
    assert who.reason.code == "attribution.share_link"


def test_exclusive_guide_first_keeps_the_member() -> None:
    order = paid_order([(MILK, 1, "260")], share_by="g2", shared_at=NOW.subtract(days=3))
    who = AttributionPolicy(precedence=Precedence.EXCLUSIVE_FIRST).attribute(order)
    assert who.guide == "g1"
    assert who.reason.code == "attribution.exclusive_guide"


def test_a_link_older_than_the_window_falls_back_to_the_exclusive_guide() -> None:
    order = paid_order([(MILK, 1, "260")], share_by="g2", shared_at=NOW.subtract(days=8))
    assert AttributionPolicy(share_window_days=7).attribute(order).guide == "g1"
    assert AttributionPolicy(share_window_days=8).attribute(order).guide == "g2"


def test_expired_link_and_no_exclusive_guide_leaves_the_store() -> None:
    order = paid_order([(MILK, 1, "260")], member=Member("m9"), share_by="g2",
                       shared_at=NOW.subtract(days=30))
    who = AttributionPolicy(share_window_days=7).attribute(order)
    assert who.guide is None
    assert who.store == "S01"
    assert who.source is AttributionSource.STORE
    assert who.reason.code == "attribution.link_expired"


def test_no_guide_at_all_is_a_store_sale_with_zero_commission_lines() -> None:
    order = paid_order([(MILK, 1, "260")], member=Member("m9"))
    lines = guide_commission(order, CommissionPlan((RateRule("all", "0.03"),)))
    assert len(lines) == 1
    assert lines[0].payee is None
    assert lines[0].amount == yuan("0")
    assert lines[0].reason.code == "attribution.store_only"


def test_self_purchase_earns_nothing_unless_the_operator_allows_it() -> None:
    guides = {"g1": Guide("g1", store="S01", member_id="m1")}
    order = paid_order([(MILK, 1, "260")])
    who = AttributionPolicy().attribute(order, guides)
    assert who.guide is None
    assert who.self_purchase
    assert who.reason.code == "attribution.self_purchase"
    allowed = AttributionPolicy(self_purchase_earns=True).attribute(order, guides)
    assert allowed.guide == "g1"
    assert allowed.self_purchase


def test_a_line_shared_by_another_guide_goes_to_that_guide() -> None:
    base = paid_order([(MILK, 1, "260"), (MILK, 1, "260")])
    lines = (base.lines[0], CommissionOrderLine("L2", MILK, 1, yuan("260"), share_by="g7",
                                     shared_at=NOW.subtract(days=1)))
    order = CommissionOrder(base.order, lines, NOW)
    plan = CommissionPlan((RateRule("all", "0.03"),))
    out = guide_commission(order, plan)
    assert [(c.line_id, c.payee, c.amount) for c in out] == [
        ("L1", "g1", yuan("7.80")),
        ("L2", "g7", yuan("7.80")),
    ]
