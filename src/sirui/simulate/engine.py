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
results; what couples members is settled across the whole history: coupon
total quotas (first come, first served in the timeline's order) and the
scenario's campaigns (`sirui.simulate.campaigns`, replayed before the
member pass). Assumptions, stated in every report:

* demand does not react to the rule change (no price elasticity unless an
  ``elasticity`` hook is passed, off by default);
* gift stock (满赠) is not carried between orders; a coupon template's total
  quota is, shared by every member, first come first served in the replay's
  order (`sirui.simulate.campaigns` replays campaign stocks the same way);
* the history's own prices are list prices: the scenario decides every
  discount.
"""

from __future__ import annotations

import datetime
import gc
import heapq
import html
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from sirui.campaigns.groupbuy import GroupBuyPolicy
from sirui.campaigns.lottery import LotteryCampaign
from sirui.campaigns.seckill import SeckillCampaign
from sirui.checkout import PaidOrder as CheckoutPaidOrder
from sirui.checkout import Quote, RefundResult, StackingPolicy, quote, refund
from sirui.checkout.shipping import ShippingPolicy
from sirui.commission import AttributionPolicy, CommissionOrder, CommissionOrderLine, CommissionPlan
from sirui.commission.rules import guide_commission
from sirui.config import fingerprint
from sirui.core.money import Money
from sirui.core.nouns import Cart, Member, Order
from sirui.core.registry import policy
from sirui.loyalty.members import (
    BenefitPolicy,
    MemberFacts,
    MemberPriceStep,
    MemberStanding,
    RecordOrder,
    RefundOrder,
    TierLadder,
    benefits_for,
)
from sirui.loyalty.points.earning import EarningLine, EarnRule, quote_earning
from sirui.promotions import (
    AfterPaymentGift,
    CouponQuota,
    CouponTemplate,
    IssueTrigger,
    LastOrderAged,
    MemberJoined,
    NewMemberGiftPack,
    OrderPaid,
    Promotion,
    RepurchaseIncentive,
    ReturnCoupon,
    UseCoupon,
    Wallet,
    claim_coupon,
)
from sirui.promotions.triggers import Decision
from sirui.rules.pricing import Stage
from sirui.simulate._display import rows_html, rows_text, summary_rows
from sirui.simulate._frames import is_polars, to_pandas, to_polars
from sirui.simulate._memo import PriceMemo
from sirui.simulate.inputs import ROW_COLUMNS, OrderRecord, Prepared

__all__ = ["ROW_COLUMNS", "Scenario", "SimulationResult", "run_prepared", "summarize"]



@policy("scenario.bundle")
@attrs.frozen(slots=True)
class Scenario:
    """A named bundle of policies to replay history through (方案).

    Load one from TOML or JSON with `sirui.config.load_path`; its
    ``fingerprint`` identifies the exact rule version in every report.
    Every part is optional: a scenario without a ladder keeps each member's
    tier from the members table; without points or commission those
    figures stay zero.
    """

    name: str
    promotions: tuple[Promotion, ...] = ()
    coupons: tuple[CouponTemplate, ...] = ()
    """Templates the triggers issue from; a total quota is shared by all members, first
    come first served."""
    triggers: tuple[IssueTrigger, ...] = ()
    """Issuing triggers replayed from the history's own signals: new-member gift
    packs (at join), after-payment gifts and repurchase incentives."""
    stacking: StackingPolicy = attrs.field(factory=StackingPolicy)
    shipping: ShippingPolicy | None = None
    ladder: TierLadder | None = None
    benefits: BenefitPolicy | None = None
    points: EarnRule | None = None
    commission: CommissionPlan | None = None
    attribution: AttributionPolicy = attrs.field(factory=AttributionPolicy)
    point_value_fen: Decimal = Decimal(1)
    """Liability value of one point in fen (100 points = 1 yuan gives 1)."""
    description: str = ""
    seckill: tuple[SeckillCampaign, ...] = ()
    """Flash sales (秒杀) replayed first come first served: stock, limits, the seckill price
    (`sirui.simulate.campaigns`)."""
    group_buys: tuple[GroupBuyPolicy, ...] = ()
    """Group-buys (拼团) over the history's ``group_id`` column: stock, limits, failed groups."""
    lotteries: tuple[LotteryCampaign, ...] = ()
    """Lotteries (抽奖) drawn on the paid orders: prize pools with their inventories."""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self)


@attrs.define
class _MemberRun:
    """One member's state through a run (mutable inside the engine only)."""

    member: Member
    paid_orders: int
    standing: MemberStanding | None
    wallet: Wallet
    last_paid_at: Any = None


@attrs.define
class _OrderRun:
    """One order's priced state, kept for its refunds."""

    rec: OrderRecord
    quote: Quote
    row: dict[str, Any]
    points_by_line: dict[str, int]
    commission_by_line: dict[str, int]
    refunds: list[RefundResult] = attrs.Factory(list)


def _month(at: Any, tz: str) -> str:
    local = at.in_timezone(tz)
    return f"{local.year:04d}-{local.month:02d}"


def _row(rec: OrderRecord, q: Quote, tier_before: str | None, tz: str) -> dict[str, Any]:
    return {
        "order_id": rec.order_id,
        "member_id": rec.member_id,
        "store_id": rec.store_id,
        "guide_id": rec.attribution.share_by or rec.attribution.guide,
        "paid_at": rec.paid_at.isoformat(),
        "month": _month(rec.paid_at, tz),
        "tier_before": tier_before,
        "tier_after": tier_before,
        "original_fen": q.original.minor,
        "activity_fen": q.stage_total(Stage.ACTIVITY).minor,
        "member_fen": q.stage_total(Stage.MEMBER).minor,
        "promotion_fen": q.stage_total(Stage.PROMOTION).minor,
        "coupon_fen": q.stage_total(Stage.COUPON).minor,
        "points_deduction_fen": q.stage_total(Stage.POINTS).minor,
        "shipping_fen": q.shipping_payable.minor,
        "payable_fen": q.payable.minor,
        "goods_paid_fen": q.goods_payable.minor,
        "discount_fen": q.original.minor - q.goods_payable.minor,
        "gift_value_fen": 0,
        "refund_fen": 0,
        "points_earned": 0,
        "points_spent": q.points_used,
        "coupons_used": len(q.coupons_used),
        "coupons_issued": 0,
        "commission_fen": 0,
        "rules": ";".join(sorted({a.rule for a in q.adjustments})),
        "reasons": ";".join(
            sorted({a.reason.code for a in q.adjustments} | {n.reason.code for n in q.not_applied}
                   | {r.code for r in q.refusals})  # below the delivery minimum, out of range
        ),
    }


class _Run:
    """The member pass of one scenario over a set of members' orders."""

    def __init__(
        self, scenario: Scenario, members: Mapping[str, Member], tz: str, memo: bool = True,
        *,
        refused: frozenset[str] | None = None,
        campaigns: Any = None,
    ) -> None:
        self.sc = scenario
        self.campaigns = campaigns
        """What the campaigns decided (`sirui.simulate.campaigns.CampaignReplay`), if any."""
        self.members = members
        self.tz = tz
        self.runs: dict[str, _MemberRun] = {}
        self.orders: dict[str, _OrderRun] = {}
        self.rows: list[dict[str, Any]] = []
        self.gift_skus = {p.id: p for p in scenario.promotions if hasattr(p, "gift")}
        self.memo = PriceMemo(
            (
                scenario.promotions,
                scenario.stacking,
                scenario.shipping,
                scenario.benefits,
                scenario.points,
            ),
            size=50_000 if memo else 0,
        )
        self.templates = {t.id: t for t in scenario.coupons}
        # A template's total quota is shared by every member: first come, first served in
        # the order the timeline replays the claims (`claim_coupon` keeps it). With
        # ``refused`` a driver decides instead (over several runs): those claims are
        # refused, the others issued, and every claim is noted in ``quota_claims``.
        self.quota = CouponQuota()
        self.refused = refused
        self.quota_claims: list[tuple[tuple[Any, ...], str, str]] = []

    def member_run(self, member_id: str) -> _MemberRun:
        run = self.runs.get(member_id)
        if run is None:
            base = self.members[member_id]
            standing = None
            if self.sc.ladder is not None:
                known = {t.code for t in self.sc.ladder.tiers}
                standing = (
                    MemberStanding(member_id, base.tier)
                    if base.tier in known
                    else MemberStanding.new(member_id, self.sc.ladder)
                )
            run = self.runs[member_id] = _MemberRun(
                base, base.paid_orders, standing, Wallet(member_id)
            )
        return run

    def _claim(
        self, run: _MemberRun, decision: Any, at: Any, key: tuple[Any, ...]
    ) -> int:
        issued = 0
        for i, claim in enumerate(decision.claims(self.templates)):
            if claim.template.total_quota is None:
                outcome = run.wallet.handle(claim, now=at)
                if outcome.ok:
                    run.wallet = outcome.state
                    issued += 1
                continue
            if self.refused is None:
                both = claim_coupon(self.quota, run.wallet, claim, now=at)
                if both.ok:
                    self.quota, run.wallet = both.state.quota, both.state.wallet
                    issued += 1
                continue
            if run.wallet.claim_refusal(claim, at) is not None:
                continue
            self.quota_claims.append(((*key, i), claim.coupon_id, claim.template.id))
            if claim.coupon_id not in self.refused:
                # The driver has counted this claim within the quota: a quota of its own.
                run.wallet = claim_coupon(CouponQuota(), run.wallet, claim, now=at).state.wallet
                issued += 1
        return issued

    def _decide(
        self, run: _MemberRun, trigger: IssueTrigger, signal: Any, now: Any,
        key: tuple[Any, ...],
    ) -> int:
        decision = trigger.decide(signal, now=now)
        if decision.decision is Decision.NOT_YET and decision.at is not None and decision.at <= now:
            # The host would have looked again at ``at``: issue as of then.
            now = decision.at
            decision = trigger.decide(signal, now=now)
        return self._claim(run, decision, now, key) if decision.issue else 0

    def before_order(self, run: _MemberRun, rec: OrderRecord) -> int:
        """Coupons the history's signals would have issued before this order."""
        issued = 0
        at = (_epoch_ns(rec.paid_at), rec.order_id, 0)
        looked = (
            t for t in self.sc.triggers if isinstance(t, NewMemberGiftPack | RepurchaseIncentive)
        )
        for k, trig in enumerate(looked):
            if isinstance(trig, NewMemberGiftPack) and run.last_paid_at is None:
                joined = run.member.joined_at
                if joined is not None and joined <= rec.paid_at:
                    issued += self._decide(run, trig, MemberJoined(run.member), joined, (*at, k))
            elif isinstance(trig, RepurchaseIncentive) and run.last_paid_at is not None:
                issued += self._decide(
                    run, trig, LastOrderAged(run.member.id, run.last_paid_at), rec.paid_at,
                    (*at, k),
                )
        return issued

    def after_payment(self, run: _MemberRun, order: Order, q: Quote) -> int:
        issued = 0
        assert order.paid_at is not None
        at = (_epoch_ns(order.paid_at), order.id, 1)
        gifts = (t for t in self.sc.triggers if isinstance(t, AfterPaymentGift))
        for k, trig in enumerate(gifts):
            issued += self._decide(
                run, trig, OrderPaid(order, q.goods_payable), order.paid_at, (*at, k)
            )
        return issued

    def tier_of(self, run: _MemberRun) -> str | None:
        return run.standing.tier if run.standing is not None else run.member.tier

    def order(
        self, rec: OrderRecord, elasticity: Callable[[OrderRecord, Any], OrderRecord | None] | None
    ) -> None:
        run = self.member_run(rec.member_id)
        issued = self.before_order(run, rec)
        tier = self.tier_of(run)
        member = attrs.evolve(run.member, tier=tier, paid_orders=run.paid_orders)
        cart = Cart(member, rec.lines, rec.store_id, rec.attribution.channel, rec.fulfillment)
        coupons = run.wallet.available(rec.paid_at)
        extra = () if self.campaigns is None else self.campaigns.steps.get(rec.order_id, ())
        if extra:  # campaign prices are the order's own: no memo
            priced = self._price(cart, rec, coupons, extra)
        else:
            key = self.memo.key(cart, rec.paid_at, coupons)
            priced = self.memo.get(key)
            if priced is None:
                priced = self._price(cart, rec, coupons)
                self.memo.put(key, priced)
        q, earn = priced
        if elasticity is not None and elasticity(rec, q) is None:
            return
        row = _row(rec, q, tier, self.tz)
        row["gift_value_fen"] = self._gift_value(q)
        for cid in q.coupons_used:
            run.wallet = run.wallet.handle(
                UseCoupon(f"{rec.order_id}/use/{cid}", cid, rec.order_id), now=rec.paid_at
            ).state
        order = Order(
            rec.order_id,
            member,
            rec.lines,
            rec.placed_at,
            rec.paid_at,
            rec.store_id,
            rec.fulfillment,
            rec.attribution,
        )
        points: dict[str, int] = {}
        if earn is not None:
            points = dict(earn.by_line)
            row["points_earned"] = earn.points
        commission = self._commission(order, q)
        row["commission_fen"] = sum(commission.values())
        if run.standing is not None and self.sc.ladder is not None:
            outcome = run.standing.handle(
                RecordOrder(
                    rec.order_id,
                    q.goods_payable,
                    first_order=run.paid_orders == 0,
                    points=row["points_earned"],
                    at=rec.paid_at,
                ),
                self.sc.ladder,
                now=rec.paid_at,
            )
            run.standing = outcome.state
            row["tier_after"] = run.standing.tier
        run.paid_orders += 1
        run.last_paid_at = rec.paid_at
        row["coupons_issued"] = issued + self.after_payment(run, order, q)
        if rec.refunds:  # only orders with refunds need their quote again
            self.orders[rec.order_id] = _OrderRun(rec, q, row, points, commission)
        self.rows.append(row)

    def _price(
        self, cart: Cart, rec: OrderRecord, coupons: Any, extra: tuple[Any, ...] = ()
    ) -> tuple[Quote, Any]:
        """The quote and the points it earns: everything the memo may reuse.

        ``extra``: the order's campaign price steps (seckill, group seats).
        """
        steps: tuple[Any, ...] = extra
        mult = Decimal(1)
        if self.sc.benefits is not None:
            m = cart.member
            facts = MemberFacts(m.id, tier=m.tier, birthday=m.birthday, tags=m.tags)
            benefits = benefits_for(self.sc.benefits, facts, rec.paid_at)
            steps = (*extra, MemberPriceStep(benefits))
            mult = benefits.points_multiplier
        q = quote(
            cart,
            rec.paid_at,
            promotions=self.sc.promotions,
            steps=steps,
            coupons=coupons,
            stacking=self.sc.stacking,
            shipping=self.sc.shipping,
        )
        earn = None
        if self.sc.points is not None:
            # Gift lines pay nothing and earn nothing; only cart lines are offered.
            earn = quote_earning(
                self.sc.points,
                [EarningLine(ln.id, ln.sku, q.line(ln.id).paid) for ln in cart.lines],
                now=rec.paid_at,
                tier_multiplier=mult,
            )
        return q, earn

    def _gift_value(self, q: Quote) -> int:
        """Gifts given with the order (满赠), at the gift's cost if known, else its price."""
        total = 0
        for key, value in q.extras:
            if key != "gift_used":
                continue
            promo_id, _sku, qty = value
            gift = getattr(self.gift_skus.get(promo_id), "gift", None)
            if gift is not None:
                total += (gift.cost or gift.price).minor * qty
        return total

    def _commission(self, order: Order, q: Quote) -> dict[str, int]:
        plan = self.sc.commission
        if plan is None:
            return {}
        lines = [
            CommissionOrderLine(ln.id, ln.sku, ln.quantity, q.line(ln.id).paid)
            for ln in order.lines
        ]
        paid = CommissionOrder(order, lines, order.paid_at or order.placed_at)
        return {
            c.line_id: c.amount.minor for c in guide_commission(paid, plan, self.sc.attribution)
        }

    def refund(self, order_id: str, line_id: str, qty: int, at: Any) -> None:
        orun = self.orders.get(order_id)
        if orun is None:  # the order itself was dropped (elasticity)
            return
        paid: Any = orun.quote
        if self.campaigns is not None and order_id in self.campaigns.steps:
            # The campaign's price steps name the order's lines; re-pricing what is left
            # (for lost thresholds, which the default refund policy does not deduct) would
            # ask for a line the refund took away.
            paid = CheckoutPaidOrder.of_quote(paid)
        result = refund(paid, {line_id: qty}, orun.refunds)
        orun.refunds.append(result)
        row = orun.row
        row["refund_fen"] += result.amount.minor
        line = orun.quote.line(line_id)
        back = _units_share(
            orun.points_by_line.get(line_id, 0),
            line.quantity,
            qty,
            _returned_before(orun.refunds[:-1], line_id),
        )
        row["points_earned"] -= back
        row["commission_fen"] -= _units_share(
            orun.commission_by_line.get(line_id, 0),
            line.quantity,
            qty,
            _returned_before(orun.refunds[:-1], line_id),
        )
        run = self.runs[orun.rec.member_id]
        for cid in result.coupons_returned:
            outcome = run.wallet.handle(
                ReturnCoupon(f"{order_id}/return/{cid}", cid, order_id), now=at
            )
            if outcome.ok:
                run.wallet = outcome.state
        if run.standing is not None and self.sc.ladder is not None:
            refunded = run.standing.handle(
                RefundOrder(f"{order_id}/refund/{len(orun.refunds)}", order_id, result.goods),
                self.sc.ladder,
                now=at,
            )
            run.standing = refunded.state
            row["tier_after"] = run.standing.tier


def _lost_row(
    rec: OrderRecord, code: str, prepared: Prepared, scenario: Scenario, tz: str
) -> dict[str, Any]:
    from sirui.simulate.campaigns import lost_row

    member = prepared.members[rec.member_id]
    return lost_row(
        order_id=rec.order_id, member_id=rec.member_id, store_id=rec.store_id,
        guide_id=rec.attribution.share_by or rec.attribution.guide,
        paid_at=rec.paid_at.isoformat(), month=_month(rec.paid_at, tz),
        tier=start_tiers({rec.member_id: member.tier}, scenario)[rec.member_id], code=code,
    )


def _epoch_ns(at: Any) -> int:
    """An instant as nanoseconds since the epoch (the columnar engine's clock)."""
    delta = at - _EPOCH
    return int((delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000)


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _returned_before(refunds: Sequence[RefundResult], line_id: str) -> int:
    return sum(rl.quantity for r in refunds for rl in r.lines if rl.id == line_id)


def _units_share(amount: int, quantity: int, returned: int, before: int) -> int:
    """The part of ``amount`` that units ``before..before+returned`` carry (exact per unit)."""
    if amount == 0:
        return 0
    per_unit = Money(amount).split(quantity)
    return sum(m.minor for m in per_unit[before : before + returned])


def run_prepared(
    prepared: Prepared,
    scenario: Scenario,
    *,
    tz: str = "Asia/Shanghai",
    progress: bool = False,
    elasticity: Callable[[OrderRecord, Any], OrderRecord | None] | None = None,
    memo: bool = True,
    gc_batch: bool = True,
    refused: frozenset[str] | None = None,
    quota_claims: list[tuple[tuple[Any, ...], str, str]] | None = None,
    campaigns: Any = None,
) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
    """The member pass over checked records: result rows and each member's final tier.

    Coupon total quotas are kept here, over these members; a driver running
    several passes over parts of the members passes ``refused`` (the claims
    it refuses) and a list for ``quota_claims`` (every claim of a template
    with a quota, to decide the next ``refused``). ``campaigns``
    (`sirui.simulate.campaigns.CampaignReplay`): the orders campaigns refused
    (a row with zero figures each) and the others' campaign price steps.

    Orders and their refunds are replayed on one timeline, so a refund
    lands between the orders it fell between. With ``gc_batch`` (the
    default) the garbage collector's first threshold is raised for the
    run and restored after it: a replay allocates millions of short-lived,
    acyclic values, and the default thresholds spend about a third of the
    run rescanning the long-lived ones. Pass ``gc_batch=False`` to leave the
    process's collector alone.
    """
    saved = gc.get_threshold()
    if gc_batch:
        gc.set_threshold(max(saved[0], 50_000), max(saved[1], 20), max(saved[2], 100))
    try:
        rows, tiers, claims = _run_timeline(
            prepared, scenario, tz=tz, progress=progress, elasticity=elasticity, memo=memo,
            refused=refused, campaigns=campaigns,
        )
        if quota_claims is not None:
            quota_claims.extend(claims)
        return rows, tiers
    finally:
        if gc_batch:
            gc.set_threshold(*saved)


def _run_timeline(
    prepared: Prepared,
    scenario: Scenario,
    *,
    tz: str,
    progress: bool,
    elasticity: Callable[[OrderRecord, Any], OrderRecord | None] | None,
    memo: bool,
    refused: frozenset[str] | None,
    campaigns: Any,
) -> tuple[list[dict[str, Any]], dict[str, str | None], list[tuple[tuple[Any, ...], str, str]]]:
    run = _Run(scenario, prepared.members, tz, memo, refused=refused, campaigns=campaigns)
    timeline: list[tuple[Any, int, str, int, OrderRecord | None, str, int]] = []
    for i, rec in enumerate(prepared.orders):
        timeline.append((rec.paid_at, 0, rec.order_id, i, rec, "", 0))
        for j, (line_id, qty, at) in enumerate(rec.refunds):
            timeline.append((at, 1, rec.order_id, j, None, line_id, qty))
    heapq.heapify(timeline)
    events: Iterable[Any] = (heapq.heappop(timeline) for _ in range(len(timeline)))
    if progress:
        from tqdm.auto import tqdm  # a widget in notebooks, text in terminals

        events = tqdm(events, total=len(timeline), desc=scenario.name, unit="event")
    lost = {} if campaigns is None else campaigns.lost
    for at, kind, order_id, _, rec, line_id, qty in events:
        if order_id in lost:  # a campaign refused it: it did not happen
            if kind == 0:
                assert rec is not None
                run.rows.append(_lost_row(rec, lost[order_id], prepared, scenario, tz))
            continue
        if kind == 0:
            assert rec is not None
            run.order(rec, elasticity)
        else:
            run.refund(order_id, line_id, qty, at)
    tiers = {mid: run.tier_of(r) for mid, r in run.runs.items()}
    return run.rows, tiers, run.quota_claims


@attrs.frozen
class SimulationResult:
    """Per-order results, the summary, and the rejected rows.

    ``orders`` and ``rejected`` are pandas DataFrames, or polars DataFrames
    when the orders given to `simulate` were polars (`to_polars` and
    `to_pandas` switch). Amounts in them are integer fen; the reprs show
    yuan and percentages.
    """

    name: str
    fingerprint: str
    orders: Any
    summary: Mapping[str, Any]
    rejected: Any
    engine: str = "exact"
    """Which engine priced the orders: ``"exact"`` or ``"columnar"``."""

    @property
    def is_polars(self) -> bool:
        """True when the frames are polars DataFrames."""
        return is_polars(self.orders)

    def to_polars(self) -> SimulationResult:
        """The same result with polars frames (values unchanged)."""
        return attrs.evolve(self, orders=to_polars(self.orders), rejected=to_polars(self.rejected))

    def to_pandas(self) -> SimulationResult:
        """The same result with pandas frames (values unchanged)."""
        return attrs.evolve(self, orders=to_pandas(self.orders), rejected=to_pandas(self.rejected))

    def points_by_month(self) -> Any:
        """Points outstanding at each month end (issued minus spent, cumulative).

        A pandas Series indexed by month; with polars frames, a polars
        DataFrame of ``month`` and ``points_outstanding``.
        """
        g = to_pandas(self.orders).groupby("month")[["points_earned", "points_spent"]].sum()
        out = (g["points_earned"] - g["points_spent"]).cumsum()
        return to_polars(out.rename("points_outstanding").to_frame()) if self.is_polars else out

    def _title(self) -> str:
        return f"{self.name} ({self.engine} engine)"

    def to_text(self) -> str:
        """The summary for terminals: money in yuan, rates as percentages."""
        return f"{self._title()}\n{rows_text(summary_rows(self.summary))}"

    def __repr__(self) -> str:
        return f"<SimulationResult {self.to_text()}>"

    def _repr_html_(self) -> str:
        return f"<h4>{html.escape(self._title())}</h4>{rows_html(summary_rows(self.summary))}"


def _per_tier(tiers: Mapping[str, str | None], scenario: Scenario) -> dict[str, int]:
    """Members per tier, in ladder order (lowest first) when the scenario has a ladder."""
    import pandas as pd

    found = pd.Series(list(tiers.values()), dtype=object).astype(str).value_counts(sort=False)
    counts = {str(k): int(v) for k, v in found.items()}
    order = [t.code for t in scenario.ladder.tiers] if scenario.ladder is not None else []
    rank = {code: i for i, code in enumerate(order)}
    return dict(sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


def summarize(
    rows: Any,
    scenario: Scenario,
    tiers: Mapping[str, str | None],
    rejected: int = 0,
    campaigns: Any = None,
) -> dict[str, Any]:
    """GMV, discount cost and rate, points issued and outstanding, commission, tiers, reasons.

    ``rows`` is the per-order result: a DataFrame of `ROW_COLUMNS`, or a
    sequence of row mappings.
    """
    import pandas as pd

    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(
        list(rows), columns=list(ROW_COLUMNS)
    )

    def total(column: str) -> int:
        return int(frame[column].sum()) if len(frame) else 0

    gmv = total("original_fen")
    discount = gmv - total("goods_paid_fen")
    payable = total("payable_fen")
    refunded = total("refund_fen")
    issued = total("points_earned")
    spent = total("points_spent")
    reasons: Counter[str] = Counter()
    for text, count in frame["reasons"].value_counts(sort=False).items():
        for code in str(text).split(";"):
            if code:
                reasons[code] += int(count)
    outstanding = issued - spent
    return {
        "orders": len(frame),
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
        "commission_fen": total("commission_fen"),
        "gift_value_fen": total("gift_value_fen"),
        "coupons_issued": total("coupons_issued"),
        "coupons_used": total("coupons_used"),
        "members_per_tier": _per_tier(tiers, scenario),
        "orders_by_reason": dict(sorted(reasons.items())),
        **_campaign_summary(frame, scenario, campaigns),
    }


def _campaign_summary(frame: Any, scenario: Scenario, campaigns: Any) -> dict[str, Any]:
    """Orders campaigns refused, every attempt by outcome, and what the lotteries gave."""
    from sirui.simulate.campaigns import has_campaigns, lottery_summary

    if not has_campaigns(scenario):
        return {}
    out: dict[str, Any] = {
        "orders_lost": 0 if campaigns is None else len(campaigns.lost),
        "campaign_outcomes": {} if campaigns is None else dict(campaigns.outcomes),
    }
    out.update(lottery_summary(scenario, frame))
    return out


def final_tiers(prepared: Prepared, scenario: Scenario) -> dict[str, str | None]:
    """Each member's tier before any order: from the table, or the ladder's base."""
    return start_tiers({mid: m.tier for mid, m in prepared.members.items()}, scenario)


def start_tiers(
    tiers: Mapping[str, str | None], scenario: Scenario
) -> dict[str, str | None]:
    """The members table's tiers as the run starts them: a tier the ladder lacks is its base."""
    if scenario.ladder is None:
        return dict(tiers)
    known = {t.code for t in scenario.ladder.tiers}
    base = scenario.ladder.base.code
    return {mid: (t if t in known else base) for mid, t in tiers.items()}
