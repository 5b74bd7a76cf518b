"""A quote priced in fen, explained when read.

Theory of operation. `fast_quote` runs a `FenPlan` on the cart's lines as
ints: the activity, member and promotion stages, then either the
best-combination search (`FenSearch`), whose best leaf holds the rest of the
pipeline, or the shopper's pinned coupons around the rest of it. The
`Quote` it returns carries its figures (totals, payable, coupons used)
from the start; its lines, adjustments, reasons, fingerprints, extras and
inputs are built from the fen records the first time each is read
(`Quote.__getattr__` fills an empty slot from ``_pending``), and are then
exactly what the straightforward path would have built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sirui.checkout._compiled import FenPlan
from sirui.checkout._fastsearch import FenSearch, apply_coupon_fen, finish_fen, not_applied
from sirui.checkout._pipeline import CouponLike, admit_pinned, fingerprint_of
from sirui.checkout._quote import LAZY_FIELDS, LineShare, Quote, QuoteInputs, QuoteLine
from sirui.checkout.shipping import REFUSALS, ShippingPolicy
from sirui.checkout.stacking import StackingPolicy
from sirui.core.money import Money
from sirui.core.nouns import Cart
from sirui.core.windows import DateTime
from sirui.rules.pricing import (
    SHIPPING_INDEX,
    SHIPPING_LINE,
    Adjustment,
    FenCart,
    FenState,
    NotApplied,
    Stage,
    reason_of,
)
from sirui.rules.reasons import Reason

__all__ = ["Details", "fast_quote"]



_OWN_EXTRAS = frozenset({"shipping_reason", REFUSALS})
"""Extras the quote shows as its own fields."""


def _fingerprint(policy_obj: object) -> str:
    from sirui.config import fingerprint

    return fingerprint(policy_obj)


class Details:
    """What a fast quote needs to build its lazy fields (one method per field)."""

    __slots__ = (
        "cart", "coupons", "explain", "extra_items", "final", "left", "now", "plan", "shipping",
        "stacking",
    )

    def __init__(
        self,
        *,
        plan: FenPlan,
        final: FenState,
        explain: Callable[[Money], Sequence[NotApplied]],
        cart: Cart,
        now: DateTime,
        coupons: tuple[CouponLike, ...],
        stacking: StackingPolicy,
        shipping: ShippingPolicy | None,
        extra_items: tuple[tuple[str, Any], ...],
    ) -> None:
        self.plan = plan
        self.final = final
        self.explain = explain
        """Why each coupon not used was not, given what the used ones saved."""
        self.cart = cart
        self.now = now
        self.coupons = coupons
        self.stacking = stacking
        self.shipping = shipping
        self.extra_items = extra_items
        self.left = len(LAZY_FIELDS)

    def build(self, q: Quote, name: str) -> Any:
        """Build field ``name`` of ``q`` into its slot; forget the records once all are built."""
        value = getattr(self, name)()
        object.__setattr__(q, name, value)
        self.left -= 1
        if not self.left:
            object.__setattr__(q, "_pending", None)
        return value

    def lines(self) -> tuple[QuoteLine, ...]:
        fs = self.final
        cur = fs.currency
        zero = Money.zero(cur)
        shares: dict[int, list[LineShare]] = {}
        for a in fs.adjustments:
            for i, fen in a.shares:
                if i != SHIPPING_INDEX:
                    shares.setdefault(i, []).append(
                        LineShare(a.rule, a.stage, Money._raw(fen, cur), a.kind)
                    )
        index = {lid: i for i, lid in enumerate(fs.base.ids)}
        out = []
        for ln in self.cart.lines:
            i = index[ln.id]
            out.append(QuoteLine(
                ln.id, ln.sku.id, ln.sku.name, ln.quantity, ln.unit_price,
                zero if ln.gift else Money._raw(fs.base.originals[i], cur),
                tuple(shares.get(i, ())), Money._raw(fs.amounts[i], cur), 0, ln.gift,
            ))
        for ln in fs.gifts:
            out.append(QuoteLine(
                ln.id, ln.sku.id, ln.sku.name, ln.quantity, ln.unit_price, zero, (), zero, 0,
                ln.gift,
            ))
        return tuple(out)

    def adjustments(self) -> tuple[Adjustment, ...]:
        fs = self.final
        cur, ids = fs.currency, fs.base.ids
        return tuple(
            Adjustment(
                a.rule, a.stage, Money._raw(a.amount, cur),
                tuple(
                    (SHIPPING_LINE if i == SHIPPING_INDEX else ids[i], Money._raw(fen, cur))
                    for i, fen in a.shares
                ),
                reason_of(a.reason), a.kind, _fingerprint(a.policy), a.blocks, a.activity,
            )
            for a in fs.adjustments
        )

    def not_applied(self) -> tuple[NotApplied, ...]:
        fs = self.final
        used = {c.id for c in self.coupons}
        saved = sum(a.amount for a in fs.adjustments if a.rule in used)
        return (
            *(not_applied(na) for na in fs.not_applied),
            *self.explain(Money._raw(saved, fs.currency)),
        )

    def fingerprints(self) -> tuple[tuple[str, str], ...]:
        fps: dict[str, str] = {}
        for p in self.plan.promotions:
            fp = fingerprint_of(p)
            if fp:
                fps[p.id] = fp
        for c in self.coupons:
            fp = fingerprint_of(c.template)
            if fp:
                fps[c.id] = fp
        fps["stacking.policy"] = fingerprint_of(self.stacking) or ""
        if self.shipping is not None:
            fps["shipping.policy"] = fingerprint_of(self.shipping) or ""
        return tuple(sorted(fps.items()))

    def extras(self) -> tuple[tuple[str, Any], ...]:
        return tuple((k, v) for k, v in self.final.extras if k not in _OWN_EXTRAS)

    def refusals(self) -> tuple[Reason, ...]:
        return tuple(reason_of(r) for r in self.final.extra(REFUSALS, ()))

    def shipping_reason(self) -> Reason | None:
        found = self.final.extra("shipping_reason")
        return None if found is None else reason_of(found)

    def inputs(self) -> QuoteInputs:
        return QuoteInputs(
            self.cart, self.now, self.plan.promotions, self.coupons, (), self.stacking,
            self.shipping, self.extra_items,
        )


def fast_quote(
    plan: FenPlan,
    cart: Cart,
    now: DateTime,
    wallet: Sequence[CouponLike],
    *,
    shipping: ShippingPolicy | None,
    extra_items: tuple[tuple[str, Any], ...],
    chosen: Sequence[str] | None = None,
) -> Quote:
    """Price ``cart`` through ``plan`` in fen; see the module doc."""
    fs = FenState(FenCart(cart, now), extra_items)
    for stage in (Stage.ACTIVITY, Stage.MEMBER, Stage.PROMOTION):
        fs = plan.run(fs, stage)
    if chosen is None and not wallet:
        # No coupon to choose: the search would visit its one leaf.
        final = finish_fen(plan, fs)
        return _quote(Details(
            plan=plan, final=final, explain=_none, cart=cart, now=now, coupons=(),
            stacking=plan.stacking, shipping=shipping, extra_items=extra_items,
        ), True, 1)
    if chosen is None:
        search = FenSearch(plan, fs, wallet)
        search.run()
        final = search.best_state if search.best_state is not None else search.finish(fs)
        coupons = tuple(o.coupon for o in search.best_combo)
        return _quote(Details(
            plan=plan, final=final, explain=search.explain, cart=cart, now=now,
            coupons=coupons, stacking=plan.stacking, shipping=shipping, extra_items=extra_items,
        ), search.exact, search.nodes)
    final, coupons, reports = _pinned(plan, fs, wallet, chosen)
    return _quote(Details(
        plan=plan, final=final, explain=lambda _: reports, cart=cart, now=now,
        coupons=coupons, stacking=plan.stacking, shipping=shipping, extra_items=extra_items,
    ), True, 0)


def _none(_: Money) -> list[NotApplied]:
    return []


def _pinned(
    plan: FenPlan, fs: FenState, wallet: Sequence[CouponLike], chosen: Sequence[str]
) -> tuple[FenState, tuple[CouponLike, ...], list[NotApplied]]:
    """`quoting._pinned` in fen: the shopper's coupons, then the rest of the pipeline."""
    pol = plan.stacking
    admitted, reports = admit_pinned(pol, wallet, chosen)
    used: list[CouponLike] = []

    def run(s: FenState, stage: Stage) -> FenState:
        for c in admitted:
            if c.template.stage is stage:
                n = len(s.adjustments)
                apply_coupon_fen(s, c, pol.coupon_stacks(c.template.stacks_with_promotions))
                if len(s.adjustments) > n:
                    used.append(c)
        return s

    # Goods coupons, the rest of the pipeline, then pinned shipping coupons.
    s = run(fs, Stage.COUPON)
    for stage in (Stage.COUPON, Stage.POINTS, Stage.SHIPPING):
        s = plan.run(s, stage)
    return run(s, Stage.SHIPPING), tuple(used), reports


def _quote(details: Details, exact: bool, nodes: int) -> Quote:
    """The quote's figures now; the rest from ``details`` when read."""
    final, coupons = details.final, details.coupons
    cur = final.currency
    totals: dict[Stage, int] = {}
    for a in final.adjustments:
        totals[a.stage] = totals.get(a.stage, 0) + a.amount
    goods = final.subtotal()
    fee = final.shipping_fee or 0
    ship_pay = final.shipping_left()
    q = object.__new__(Quote)
    for name, value in (
        ("currency", cur),
        # At most MAX_MINOR: `quoting._in_fen` checked.
        ("original", Money._raw(sum(final.base.originals), cur)),
        ("stage_totals", tuple((s, Money._raw(totals[s], cur)) for s in sorted(totals))),
        ("goods_payable", Money._raw(goods, cur)),
        ("shipping_fee", Money._raw(fee, cur)),
        ("shipping_discount", Money._raw(fee - ship_pay, cur)),
        ("payable", Money._raw(goods + ship_pay, cur)),
        ("points_used", 0),
        ("coupons_used", tuple(sorted(c.id for c in coupons))),
        ("search_exact", exact),
        ("search_nodes", nodes),
        ("_pending", details),
    ):
        object.__setattr__(q, name, value)
    return q
