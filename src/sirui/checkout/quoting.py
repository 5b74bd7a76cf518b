"""The quote (报价/结算): a cart priced through the pipeline, explained line by line.

Theory of operation. `quote` runs DESIGN.md's pipeline on a `PriceState`:

1. ``ACTIVITY``  activity prices (seckill, group-buy, limited-time),
2. ``MEMBER``    member prices,
3. ``PROMOTION`` order promotions (exclusion groups and exclusive
   promotions resolved by pricing every admissible choice exactly),
4. ``COUPON``    coupons: the best valid combination of the wallet
   (`sirui.checkout.combination`), or the caller's pinned choice,
5. ``POINTS``    points deduction and other extra steps,
6. ``SHIPPING``  the fee of the `ShippingPolicy`, then free-shipping
   promotions and coupons.

At each stage the promotions of that stage run (priority, then id), then
the caller's extra `PricingStep` objects of that stage in the order given:
that is the extension point for activity prices, member prices and points
deduction from other packages.

Two paths give the same quote. When every policy is built in (each has a
``price_fen`` twin of ``price``), amounts are in the cart's currency and no
extra step is given, the quote runs in fen (`sirui.checkout._compiled`,
`_fastsearch`, `_fastquote`): policies compiled once, ints throughout, and
lines, adjustments and reasons built when first read. Anything else runs the
straightforward path below, on `PriceState` objects; a property test holds
the two to identical quotes.

Invariants of a `Quote`: every adjustment's line shares sum exactly to it;
a line's ``paid`` is its original amount minus its shares and is >= 0;
``payable = goods_payable + shipping_fee - shipping_discount``; quoting
does not depend on the order of the cart's lines (states keep lines by id;
only the display keeps cart order); the same inputs give the same quote.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from sirui.checkout._compiled import compiled, fen_ready
from sirui.checkout._fastquote import fast_quote
from sirui.checkout._pipeline import (
    CouponLike,
    Plan,
    PromotionLike,
    admit_pinned,
    apply_coupon,
    fingerprint_of,
    shipping_payable,
)
from sirui.checkout._quote import LineShare, Quote, QuoteInputs, QuoteLine
from sirui.checkout.combination import CouponOption, Search
from sirui.checkout.delivery import Destination
from sirui.checkout.shipping import DESTINATION, REFUSALS, ShippingPolicy, ShippingStep
from sirui.checkout.stacking import StackingPolicy
from sirui.core.errors import InvalidValueError, invalid
from sirui.core.money import MAX_MINOR, Money, allocate_int
from sirui.core.nouns import Cart
from sirui.core.windows import DateTime, aware
from sirui.rules.pricing import (
    NotApplied,
    PriceState,
    PricingStep,
    Stage,
)
from sirui.rules.reasons import Reason

__all__ = ["LineShare", "Quote", "QuoteInputs", "QuoteLine", "quote"]

# -- the pipeline ---------------------------------------------------------------------


_DEFAULT_STACKING = StackingPolicy()
_OWN_EXTRAS = frozenset({"shipping_reason", REFUSALS})
"""Extras the quote shows as its own fields."""


def _pricing(obj: object) -> bool:
    # A structural check, much cheaper than isinstance() on a runtime Protocol.
    return callable(getattr(obj, "price", None)) and hasattr(obj, "stage")


def _check_wallet(coupons: Sequence[CouponLike]) -> tuple[CouponLike, ...]:
    seen: set[str] = set()
    for i, c in enumerate(coupons):
        if type(c) not in _WALLET_TYPES:
            if not (hasattr(c, "template") and hasattr(c, "member_id") and hasattr(c, "valid")):
                raise invalid(f"coupons[{i}]", c, "must be a claimed Coupon", cls=InvalidValueError)
            if attrs.has(type(c)):  # its fields are always set
                _WALLET_TYPES.add(type(c))
        if c.id in seen:
            raise invalid(
                f"coupons[{i}].id", c.id, "the same coupon is offered twice",
                "a coupon can be used once; pass each claimed coupon once",
                cls=InvalidValueError,
            )
        seen.add(c.id)
    return tuple(sorted(coupons, key=_BY_ID))


_WALLET_TYPES: set[type] = set()
"""Classes of coupons seen to have a template, an owner and a validity."""
_BY_ID = operator.attrgetter("id")


def _extra_items(
    extras: Mapping[str, Any] | None, destination: Destination | None
) -> tuple[tuple[str, Any], ...]:
    items = dict(extras or {})
    if destination is not None:
        if not isinstance(destination, Destination):
            raise invalid(
                "destination", destination, "must be a Destination",
                "pass Destination(distance_m=4200) or Destination(zone='east')",
                cls=InvalidValueError,
            )
        if DESTINATION in items and items[DESTINATION] != destination:
            raise invalid(
                "extras", sorted(items), "also names another destination",
                "pass the destination once, as destination=", cls=InvalidValueError,
            )
        items[DESTINATION] = destination
    return tuple(sorted(items.items()))


def _in_fen(cart: Cart, currencies: frozenset[str], wallet: Sequence[CouponLike]) -> bool:
    """Whether every amount is in the cart's currency and every coupon template prices in fen."""
    cur = {cart.currency}
    if not currencies <= cur:
        return False
    for c in wallet:
        ready = fen_ready(c.template)
        if ready is None or not ready <= cur:
            return False
    return sum(ln.unit_price.minor * ln.quantity for ln in cart.lines) <= MAX_MINOR


def quote(
    cart: Cart,
    now: DateTime,
    *,
    promotions: Iterable[Any] = (),
    coupons: Sequence[Any] = (),
    steps: Iterable[PricingStep] = (),
    stacking: StackingPolicy | None = None,
    shipping: ShippingPolicy | None = None,
    chosen_coupons: Sequence[str] | None = None,
    extras: Mapping[str, Any] | None = None,
    destination: Destination | None = None,
) -> Quote:
    """Price ``cart`` at ``now`` through the pipeline.

    Args:
        cart: what the member is buying.
        now: the pricing time (tz-aware).
        promotions: promotion policies of any stage.
        coupons: the member's available claimed coupons (the wallet).
        steps: extra pricing steps (activity price, member price, points
            deduction) run at their stage after its promotions.
        stacking: the stacking rules (default `StackingPolicy()`).
        shipping: the shipping fee rule; None means no shipping fee.
        chosen_coupons: coupon ids the shopper picked; None searches the
            best combination. Pinned coupons that cannot be used are
            reported in ``not_applied``, never silently dropped.
        extras: initial state extras (``{"gift_stock": {"gift-1": 5}}``).
        destination: where a delivery goes, measured by the host
            (``Destination(distance_m=4200)`` or ``Destination(zone="east")``);
            needed when the shipping policy prices delivery by distance or
            zone. A quote the policy refuses (below the delivery minimum, out
            of range) is still priced and says why in ``Quote.refusals``.

    Returns:
        The `Quote`.
    """
    now = aware(now, "now")
    pol = stacking if stacking is not None else _DEFAULT_STACKING
    if not isinstance(pol, StackingPolicy):
        raise invalid("stacking", pol, "must be a StackingPolicy", cls=InvalidValueError)
    fen_plan = compiled(pol, promotions, shipping)
    promos = fen_plan.promotions
    wallet = _check_wallet(coupons)
    step_list = tuple(steps)
    for i, s in enumerate(step_list):
        if not _pricing(s):
            raise invalid(f"steps[{i}]", s, "must be a PricingStep", cls=InvalidValueError)
    extra_items = _extra_items(extras, destination)
    if fen_plan.fen and not step_list and _in_fen(cart, fen_plan.currencies, wallet):
        return fast_quote(
            fen_plan, cart, now, wallet, shipping=shipping, extra_items=extra_items,
            chosen=chosen_coupons,
        )
    return _straight(
        cart, now, pol=pol, promos=promos, wallet=wallet, step_list=step_list,
        shipping=shipping, chosen_coupons=chosen_coupons, extra_items=extra_items,
    )


def _straight(
    cart: Cart,
    now: DateTime,
    *,
    pol: StackingPolicy,
    promos: tuple[PromotionLike, ...],
    wallet: tuple[CouponLike, ...],
    step_list: tuple[PricingStep, ...],
    shipping: ShippingPolicy | None,
    chosen_coupons: Sequence[str] | None,
    extra_items: tuple[tuple[str, Any], ...],
) -> Quote:
    """The straightforward path: every policy's ``price`` on `PriceState` objects."""
    ship_step = ShippingStep(shipping) if shipping is not None else None
    plan = Plan(pol, promos, step_list, ship_step)
    state = PriceState.start(cart, now)
    if extra_items:
        state = attrs.evolve(state, extras=extra_items)
    for stage in (Stage.ACTIVITY, Stage.MEMBER, Stage.PROMOTION):
        state = plan.run(state, stage)

    def finish(s: PriceState) -> PriceState:
        s = plan.run(s, Stage.COUPON)
        s = plan.run(s, Stage.POINTS)
        return plan.run(s, Stage.SHIPPING)

    def ship_finish(s: PriceState, opts: Sequence[CouponOption]) -> PriceState:
        for o in opts:
            s = apply_coupon(s, o.coupon, o.stacks)
        return s

    if chosen_coupons is None:
        search = Search(
            stacking=pol, start=state, coupons=wallet, finish=finish, ship_finish=ship_finish,
            bound_ok=not plan.steps.get(Stage.COUPON),
        )
        search.run()
        final = search.best_state if search.best_state is not None else finish(state)
        used = tuple(o.coupon for o in search.best_combo)
        saved = _coupon_savings(final, {c.id for c in used})
        not_used = search.explain(saved)
        exact, nodes = search.exact, search.nodes
    else:
        final, used, not_used = _pinned(pol, state, wallet, chosen_coupons, finish)
        exact, nodes = True, 0
    final = attrs.evolve(final, not_applied=(*final.not_applied, *not_used))
    inputs = QuoteInputs(cart, now, promos, used, step_list, pol, shipping, extra_items)
    return _build(final, inputs, exact, nodes)


def _coupon_savings(state: PriceState, used: set[str]) -> Money:
    return sum(
        (a.amount for a in state.adjustments if a.rule in used), Money.zero(state.currency)
    )


def _pinned(
    pol: StackingPolicy,
    state: PriceState,
    wallet: tuple[CouponLike, ...],
    chosen: Sequence[str],
    finish: Callable[[PriceState], PriceState],
) -> tuple[PriceState, tuple[CouponLike, ...], list[NotApplied]]:
    admitted, reports = admit_pinned(pol, wallet, chosen)
    used: list[CouponLike] = []

    def run(s: PriceState, stage: Stage) -> PriceState:
        for c in admitted:
            if c.template.stage is stage:
                n = len(s.adjustments)
                s = apply_coupon(s, c, pol.coupon_stacks(c.template.stacks_with_promotions))
                if len(s.adjustments) > n:
                    used.append(c)
        return s

    # Goods coupons, the rest of the pipeline, then pinned shipping coupons.
    s = run(finish(run(state, Stage.COUPON)), Stage.SHIPPING)
    return s, tuple(used), reports


def _line_points(state: PriceState, paid: dict[str, int]) -> dict[str, int]:
    ids = [pl.id for pl in state.lines]
    if state.points_used <= 0 or not ids:
        return dict.fromkeys(ids, 0)
    weights = [
        sum(a.share_of(i).minor for a in state.adjustments if a.stage is Stage.POINTS) for i in ids
    ]
    if not any(weights):
        weights = [paid[i] for i in ids]
    if not any(weights):
        weights = [1] * len(ids)
    return dict(zip(ids, allocate_int(state.points_used, weights), strict=True))


def _build(state: PriceState, inputs: QuoteInputs, exact: bool, nodes: int) -> Quote:
    cur = state.currency
    zero = Money.zero(cur)
    shares: dict[str, list[LineShare]] = {}
    totals: dict[Stage, Money] = {}
    for a in state.adjustments:
        totals[a.stage] = totals.get(a.stage, zero) + a.amount
        for lid, m in a.allocations:
            shares.setdefault(lid, []).append(LineShare(a.rule, a.stage, m, a.kind))
    paid = {pl.id: pl.amount.minor for pl in state.lines}
    points = _line_points(state, paid)
    by_id = {pl.id: pl for pl in state.lines}
    lines = []
    for ln in (*inputs.cart.lines, *state.gifts):
        pl = by_id.get(ln.id)
        lines.append(QuoteLine(
            ln.id, ln.sku.id, ln.sku.name, ln.quantity, ln.unit_price,
            ln.amount if not ln.gift else zero,
            tuple(shares.get(ln.id, ())),
            pl.amount if pl is not None else zero,
            points.get(ln.id, 0), ln.gift,
        ))
    goods = state.subtotal()
    fee = state.shipping_fee or zero
    ship_pay = shipping_payable(state)
    fps: dict[str, str] = {}
    for p in inputs.promotions:
        fp = fingerprint_of(p)
        if fp:
            fps[p.id] = fp
    for c in inputs.coupons:
        fp = fingerprint_of(c.template)
        if fp:
            fps[c.id] = fp
    fps["stacking.policy"] = fingerprint_of(inputs.stacking) or ""
    if inputs.shipping is not None:
        fps["shipping.policy"] = fingerprint_of(inputs.shipping) or ""
    ship_reason = state.extra("shipping_reason")
    refusals = state.extra(REFUSALS, ())
    return Quote(
        currency=cur,
        lines=tuple(lines),
        original=inputs.cart.amount,
        stage_totals=tuple(sorted(totals.items())),
        goods_payable=goods,
        shipping_fee=fee,
        shipping_discount=fee - ship_pay,
        payable=goods + ship_pay,
        points_used=state.points_used,
        adjustments=state.adjustments,
        not_applied=state.not_applied,
        coupons_used=tuple(sorted(c.id for c in inputs.coupons)),
        fingerprints=tuple(sorted(fps.items())),
        extras=tuple((k, v) for k, v in state.extras if k not in _OWN_EXTRAS),
        shipping_reason=ship_reason if isinstance(ship_reason, Reason) else None,
        refusals=tuple(refusals),
        search_exact=exact,
        search_nodes=nodes,
        inputs=inputs,
    )

