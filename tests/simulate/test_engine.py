"""simulate() runs the real rules: it equals pricing each order through the public API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pandas as pd
import pytest

from sirui.checkout import quote, refund
from sirui.config import dump, dumps_toml, load, loads_toml
from sirui.core import Cart
from sirui.loyalty.members import (
    MemberFacts,
    MemberPriceStep,
    MemberStanding,
    RecordOrder,
    RefundOrder,
    benefits_for,
)
from sirui.loyalty.points.earning import EarningLine, quote_earning
from sirui.rules import Stage
from sirui.simulate import Scenario, compare, prepare, simulate


def test_scenarios_are_data(baseline: Any, proposal: Any) -> None:
    assert loads_toml(dumps_toml(baseline)) == baseline
    assert load(dump(proposal)) == proposal
    assert baseline.fingerprint != proposal.fingerprint
    assert baseline.fingerprint == load(dump(baseline)).fingerprint


def test_simulate_equals_one_by_one_pricing(tiny: dict[str, Any], baseline: Any) -> None:
    """The engine's figures for every order equal a hand-driven replay through the public API.

    Coupons issued by triggers are checked separately (below); here the
    scenario keeps promotions, tiers, member prices, points and refunds.
    """
    baseline = attrs.evolve(baseline, coupons=(), triggers=())
    result = simulate(tiny["orders"], tiny["members"], baseline)
    prepared = prepare(tiny["orders"], tiny["members"])
    ladder, sc = baseline.ladder, baseline
    standing: dict[str, MemberStanding] = {}
    paid_orders: dict[str, int] = {}
    expected = {}
    events = sorted(
        [(o.paid_at, 0, o.order_id, o) for o in prepared.orders]
        + [(at, 1, o.order_id, (o, lid, q)) for o in prepared.orders for lid, q, at in o.refunds],
        key=lambda e: (e[0], e[1], e[2]),
    )
    quotes: dict[str, Any] = {}
    refunds: dict[str, list[Any]] = {}
    for at, kind, oid, payload in events:
        if kind == 0:
            o = payload
            base = prepared.members[o.member_id]
            st = standing.get(o.member_id) or MemberStanding(o.member_id, base.tier)
            n = paid_orders.get(o.member_id, base.paid_orders)
            member = type(base)(
                base.id,
                tier=st.tier,
                tags=base.tags,
                birthday=base.birthday,
                home_store=base.home_store,
                guide=base.guide,
                paid_orders=n,
                joined_at=base.joined_at,
            )
            facts = MemberFacts(member.id, tier=st.tier, birthday=member.birthday, tags=member.tags)
            ben = benefits_for(sc.benefits, facts, o.paid_at)
            cart = Cart(member, o.lines, o.store_id, o.attribution.channel, o.fulfillment)
            q = quote(
                cart,
                o.paid_at,
                promotions=sc.promotions,
                steps=(MemberPriceStep(ben),),
                stacking=sc.stacking,
                shipping=sc.shipping,
            )
            earn = quote_earning(
                sc.points,
                [EarningLine(ln.id, ln.sku, q.line(ln.id).paid) for ln in o.lines],
                now=o.paid_at,
                tier_multiplier=ben.points_multiplier,
            )
            st = st.handle(
                RecordOrder(
                    oid, q.goods_payable, first_order=n == 0, points=earn.points, at=o.paid_at
                ),
                ladder,
                now=o.paid_at,
            ).state
            standing[o.member_id], paid_orders[o.member_id] = st, n + 1
            quotes[oid] = q
            expected[oid] = {
                "payable_fen": q.payable.minor,
                "tier_before": member.tier,
                "refund_fen": 0,
                "discount_fen": q.discount.minor - q.stage_total(Stage.SHIPPING).minor,
            }
        else:
            o, lid, qty = payload
            r = refund(quotes[oid], {lid: qty}, refunds.get(oid, []))
            refunds.setdefault(oid, []).append(r)
            expected[oid]["refund_fen"] += r.amount.minor
            st = standing[o.member_id]
            standing[o.member_id] = st.handle(
                RefundOrder(f"{oid}/refund/{len(refunds[oid])}", oid, r.goods),
                ladder,
                now=at,
            ).state
    got = result.orders.set_index("order_id")
    for oid, exp in expected.items():
        row = got.loc[oid]
        assert row["payable_fen"] == exp["payable_fen"], oid
        assert row["refund_fen"] == exp["refund_fen"], oid
        assert row["tier_before"] == exp["tier_before"], oid
        assert row["discount_fen"] == exp["discount_fen"], oid
    finals = {m: s.tier for m, s in standing.items()}
    assert all(
        result.orders[result.orders.member_id == m]["tier_after"].iloc[-1] == t
        for m, t in finals.items()
    )


def test_summary_adds_up(tiny: dict[str, Any], baseline: Any) -> None:
    r = simulate(tiny["orders"], tiny["members"], baseline)
    s, o = r.summary, r.orders
    assert s["orders"] == len(o) == tiny["orders"]["order_id"].nunique()
    assert s["gmv_fen"] == int(
        (tiny["orders"]["unit_price_fen"] * tiny["orders"]["quantity"]).sum()
    )
    assert s["payable_fen"] == s["gmv_fen"] - s["discount_fen"] + int(o["shipping_fen"].sum())
    assert s["net_fen"] == s["payable_fen"] - s["refund_fen"]
    assert 0 < s["cost_rate"] < 1
    assert sum(s["members_per_tier"].values()) == len(tiny["members"])
    assert (o["refund_fen"] <= o["payable_fen"]).all()
    assert (o["payable_fen"] >= 0).all() and (o["points_earned"] >= 0).all()
    assert s["points_outstanding"] == int(o["points_earned"].sum())
    assert s["commission_fen"] == int(o["commission_fen"].sum()) > 0


def test_fully_refunded_orders_take_everything_back(tiny: dict[str, Any], baseline: Any) -> None:
    o = tiny["orders"].copy()
    o["refunded_quantity"] = o["quantity"]
    o["refunded_at"] = pd.to_datetime(o["paid_at"]).map(
        lambda t: (t + pd.Timedelta(days=1)).isoformat()
    )
    r = simulate(o, tiny["members"], baseline)
    assert (r.orders["refund_fen"] == r.orders["payable_fen"]).all()
    assert (r.orders["points_earned"] == 0).all()
    assert (r.orders["commission_fen"] == 0).all()


def test_compare_with_itself_is_zero(
    tiny: dict[str, Any], baseline: Any, proposal: Any, tmp_path: Any
) -> None:
    a = simulate(tiny["orders"], tiny["members"], baseline)
    b = simulate(tiny["orders"], tiny["members"], baseline)
    same = compare(a, b)
    assert same.is_zero
    assert (same.overall["delta"] == 0).all()
    other = compare(a, simulate(tiny["orders"], tiny["members"], proposal))
    assert not other.is_zero
    assert other.overall.loc["gmv_fen", "delta"] == 0
    html = other.to_html(tmp_path / "r.html")
    assert (tmp_path / "r.html").exists() and "data:image/png;base64," in html
    assert "cost rate" in other.to_text() and "<table>" in other._repr_html_()
    assert set(other.by_tier.index) <= {"normal", "silver", "gold", "diamond"}
    assert len(other.top_changes) <= 20


def test_elasticity_hook_can_drop_orders(tiny: dict[str, Any], baseline: Any) -> None:
    r = simulate(
        tiny["orders"],
        tiny["members"],
        baseline,
        elasticity=lambda rec, q: None if q.payable.minor > 50000 else rec,
    )
    assert (r.orders["payable_fen"] <= 50000).all()


def test_empty_scenario_charges_list_price(tiny: dict[str, Any]) -> None:
    r = simulate(tiny["orders"], tiny["members"], Scenario("list", point_value_fen=Decimal(1)))
    assert r.summary["discount_fen"] == 0 and r.summary["points_issued"] == 0
    assert r.summary["payable_fen"] == r.summary["gmv_fen"]


def test_points_by_month_is_cumulative(tiny: dict[str, Any], baseline: Any) -> None:
    r = simulate(tiny["orders"], tiny["members"], baseline)
    series = r.points_by_month()
    assert list(series) == sorted(series)
    with pytest.raises(ValueError, match="same orders"):
        compare(r, simulate(tiny["orders"].head(20), tiny["members"], baseline))


def test_triggered_coupons_are_issued_used_once_and_returned(
    tiny: dict[str, Any], baseline: Any
) -> None:
    r = simulate(tiny["orders"], tiny["members"], baseline)
    o = r.orders
    assert r.summary["coupons_issued"] == int(o["coupons_issued"].sum()) > 0
    assert 0 < r.summary["coupons_used"] <= r.summary["coupons_issued"]
    assert (o.loc[o["coupons_used"] > 0, "coupon_fen"] > 0).all()
    assert (o.loc[o["coupons_used"] == 0, "coupon_fen"] == 0).all()
    # A member's first order in the history can only use a coupon issued before it.
    firsts = o.groupby("member_id").head(1)
    assert (firsts["coupons_used"] == 0).all()


def test_collector_thresholds_are_restored(tiny: dict[str, Any], baseline: Any) -> None:
    import gc

    from sirui.simulate.engine import run_prepared

    before = gc.get_threshold()
    prepared = prepare(tiny["orders"].head(30), tiny["members"])
    rows_a, _ = run_prepared(prepared, baseline)
    assert gc.get_threshold() == before
    rows_b, _ = run_prepared(prepared, baseline, gc_batch=False)
    assert gc.get_threshold() == before
    assert rows_a == rows_b


def test_gifts_given_are_valued_at_cost(tiny: dict[str, Any], baseline: Any) -> None:
    from sirui.core import Money, Sku
    from sirui.promotions import GiftWithPurchase

    bib = Sku("GIFT-BIB", Money.of("29"), cost=Money.of("8.5"), category="赠品")
    gift = GiftWithPurchase("bib-over-399", threshold=Money.of("399"), gift=bib)
    scenario = attrs.evolve(baseline, promotions=(*baseline.promotions, gift))
    r = simulate(tiny["orders"], tiny["members"], scenario)
    given = r.orders[r.orders["gift_value_fen"] > 0]
    assert len(given) > 0
    assert (given["gift_value_fen"] == 850).all()
    assert r.summary["gift_value_fen"] == 850 * len(given)
    assert simulate(tiny["orders"], tiny["members"], baseline).summary["gift_value_fen"] == 0
