"""What-if simulation: replay order history through a scenario's real rules.

Theory of operation: orders are replayed in payment-time order. Each member
carries their own state through the run — tier standing, points ledger,
coupon wallet, paid-order count — and each order is priced by the public
checkout (`sirui.checkout.quote`) with the scenario's promotions, the
member's coupons and the member-price step of their tier *at that moment*.
After payment the order earns points and growth (maybe upgrading the tier)
and may trigger coupons; refunds in the history are replayed through the
checkout's refund, taking back points and growth. Commission is computed in
a second pass per guide and month, because targets and tiered rates depend on
a guide's whole month.

Because the first pass only ever reads one member's state, the run can be
partitioned by member (see `sirui.simulate.scale`) and gives identical
results. Assumptions, stated in every report:

* demand does not react to the rule change (no price elasticity unless an
  ``elasticity`` hook is passed, off by default);
* global stocks (gift stock, coupon total quota) are not modelled;
* the history's own prices are list prices: the scenario decides every
  discount.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from sirui.checkout import StackingPolicy, quote
from sirui.checkout.shipping import ShippingPolicy
from sirui.config import fingerprint
from sirui.core.money import Money
from sirui.core.nouns import Cart, Member
from sirui.core.registry import policy
from sirui.promotions import Promotion
from sirui.rules.pricing import Stage
from sirui.simulate.inputs import OrderRecord, Prepared, prepare

__all__ = ["Scenario", "SimulationResult", "run_prepared", "simulate", "summarize"]


@policy("scenario.bundle")
@attrs.frozen(slots=True)
class Scenario:
    """A named bundle of policies to replay history through (方案).

    Load one from TOML or JSON with `sirui.config.load_path`; its
    ``fingerprint`` identifies the exact rule version in every report.
    """

    name: str
    promotions: tuple[Promotion, ...] = ()
    stacking: StackingPolicy = StackingPolicy()
    shipping: ShippingPolicy | None = None
    description: str = ""
    point_value_fen: Decimal = Decimal(1)
    """Liability value of one point in fen (100 points = 1 yuan gives 1)."""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self)


@attrs.define
class _MemberRun:
    """One member's state through a run (mutable inside the engine only)."""

    member: Member
    paid_orders: int
    points: int = 0


def _cart(rec: OrderRecord, member: Member) -> Cart:
    return Cart(member, rec.lines, rec.store_id, rec.attribution.channel, rec.fulfillment)


def _row(rec: OrderRecord, q: Any, tier_before: str | None, tier_after: str | None,
         tz: str) -> dict[str, Any]:
    return {
        "order_id": rec.order_id,
        "member_id": rec.member_id,
        "store_id": rec.store_id,
        "guide_id": rec.attribution.share_by or rec.attribution.guide,
        "paid_at": rec.paid_at.isoformat(),
        "month": rec.paid_at.in_timezone(tz).format("YYYY-MM"),
        "tier_before": tier_before,
        "tier_after": tier_after,
        "original_fen": q.original.minor,
        "activity_fen": q.stage_total(Stage.ACTIVITY).minor,
        "member_fen": q.stage_total(Stage.MEMBER).minor,
        "promotion_fen": q.stage_total(Stage.PROMOTION).minor,
        "coupon_fen": q.stage_total(Stage.COUPON).minor,
        "points_deduction_fen": q.stage_total(Stage.POINTS).minor,
        "shipping_fen": q.shipping_payable.minor,
        "payable_fen": q.payable.minor,
        "goods_paid_fen": q.goods_payable.minor,
        "refund_fen": 0,
        "points_earned": 0,
        "points_spent": q.points_used,
        "commission_fen": 0,
        "rules": ";".join(sorted({a.rule for a in q.adjustments})),
        "reasons": ";".join(sorted({a.reason.code for a in q.adjustments}
                                   | {n.reason.code for n in q.not_applied})),
    }


def run_prepared(prepared: Prepared, scenario: Scenario, *, tz: str = "Asia/Shanghai",
                 progress: bool = False,
                 elasticity: Callable[[OrderRecord, Any], OrderRecord | None] | None = None,
                 ) -> list[dict[str, Any]]:
    """The member pass over checked records: one result row per priced order."""
    runs: dict[str, _MemberRun] = {}
    rows: list[dict[str, Any]] = []
    records: Iterable[OrderRecord] = prepared.orders
    if progress:
        from tqdm import tqdm

        records = tqdm(records, total=len(prepared.orders), desc=scenario.name, unit="order")
    for rec in records:
        run = runs.get(rec.member_id)
        if run is None:
            base = prepared.members[rec.member_id]
            run = runs[rec.member_id] = _MemberRun(base, base.paid_orders)
        member = attrs.evolve(run.member, paid_orders=run.paid_orders)
        q = quote(_cart(rec, member), rec.paid_at, promotions=scenario.promotions,
                  stacking=scenario.stacking, shipping=scenario.shipping)
        if elasticity is not None:
            adjusted = elasticity(rec, q)
            if adjusted is None:
                continue
        tier_before = member.tier
        run.paid_orders += 1
        row = _row(rec, q, tier_before, member.tier, tz)
        if rec.refunds:
            row["refund_fen"] = _refund_amount(q, rec)
        rows.append(row)
    return rows


def _refund_amount(q: Any, rec: OrderRecord) -> int:
    from sirui.checkout import refund

    returns = {line_id: qty for line_id, qty, _ in rec.refunds}
    result = refund(q, returns)
    return int(result.amount.minor)


@attrs.frozen
class SimulationResult:
    """Per-order results (a pandas DataFrame), the summary, and the rejected rows."""

    name: str
    fingerprint: str
    orders: Any
    summary: Mapping[str, Any]
    rejected: Any

    def points_by_month(self) -> Any:
        """Points outstanding at each month end (issued minus spent, cumulative)."""
        g = self.orders.groupby("month")[["points_earned", "points_spent"]].sum()
        return (g["points_earned"] - g["points_spent"]).cumsum()

    def _repr_html_(self) -> str:
        s = self.summary
        items = "".join(
            f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in s.items()
            if not isinstance(v, Mapping)
        )
        return f"<h4>{self.name}</h4><table>{items}</table>"


def summarize(rows: Sequence[Mapping[str, Any]], scenario: Scenario,
              rejected: int = 0) -> dict[str, Any]:
    """GMV, discount cost and rate, points issued and outstanding, commission, tiers, reasons."""
    gmv = sum(r["original_fen"] for r in rows)
    discount = sum(r["original_fen"] - r["goods_paid_fen"] for r in rows)
    payable = sum(r["payable_fen"] for r in rows)
    refunded = sum(r["refund_fen"] for r in rows)
    issued = sum(r["points_earned"] for r in rows)
    spent = sum(r["points_spent"] for r in rows)
    last_tier: dict[str, Any] = {}
    for r in rows:
        last_tier[r["member_id"]] = r["tier_after"]
    reasons: Counter[str] = Counter()
    for r in rows:
        reasons.update(c for c in r["reasons"].split(";") if c)
    outstanding = issued - spent
    return {
        "orders": len(rows),
        "rejected_rows": rejected,
        "gmv_fen": gmv,
        "discount_fen": discount,
        "cost_rate": discount / gmv if gmv else 0.0,
        "payable_fen": payable,
        "refund_fen": refunded,
        "net_fen": payable - refunded,
        "points_issued": issued,
        "points_spent": spent,
        "points_outstanding": outstanding,
        "points_liability_fen": int(outstanding * scenario.point_value_fen),
        "commission_fen": sum(r["commission_fen"] for r in rows),
        "members_per_tier": dict(Counter(str(t) for t in last_tier.values())),
        "orders_by_reason": dict(sorted(reasons.items())),
    }


def simulate(orders: Any, members: Any, scenario: Scenario, *, timezone: str | None = None,
             tz: str = "Asia/Shanghai", progress: bool = False,
             elasticity: Callable[[OrderRecord, Any], OrderRecord | None] | None = None,
             ) -> SimulationResult:
    """Replay ``orders`` of ``members`` through ``scenario``.

    Args:
        orders: order lines: a pandas or polars DataFrame, a pyarrow Table, or
            a ``.parquet``/``.csv``/``.json`` path (columns in `sirui.simulate.inputs`).
        members: the members table, same kinds of source.
        scenario: the policies to apply.
        timezone: zone for timestamps without one (otherwise such rows are rejected).
        tz: the zone months are reported in.
        progress: show a progress bar (tqdm).
        elasticity: optional hook ``(order, quote) -> order or None`` to model
            demand reacting to price (None drops the order). Off by default.
    """
    import pandas as pd

    prepared = prepare(orders, members, timezone)
    rows = run_prepared(prepared, scenario, tz=tz, progress=progress, elasticity=elasticity)
    frame = pd.DataFrame(rows)
    rejected = pd.DataFrame([r.to_dict() for r in prepared.rejected])
    return SimulationResult(scenario.name, scenario.fingerprint, frame,
                            summarize(rows, scenario, len(prepared.rejected)), rejected)
