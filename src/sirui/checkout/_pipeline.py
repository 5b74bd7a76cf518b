"""The stage runner: promotions resolved per stage, coupons applied one at a time.

Internal to the checkout. A `Plan` holds what a quote runs at each stage:
the promotions of that stage (sorted by priority, then id, so the cart's
or the caller's order never matters) and the caller's extra steps (run
after the promotions of their stage, in the order given). The shipping
step, when a policy is given, runs first at `Stage.SHIPPING`.

Within a stage, promotions that conflict (an exclusion group, an exclusive
promotion) are resolved exactly: every admissible choice is priced from the
same starting state and the one that saves most at that stage wins (ties go
to the first choice in priority order). The promotions that lost get a
`NotApplied` with their own skip reason, or a stacking reason with figures.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from sirui.checkout.shipping import ShippingStep
from sirui.checkout.stacking import (
    EXCLUDED_BY_EXCLUSIVE,
    EXCLUDED_BY_GROUP,
    EXCLUSIVE_SAVES_LESS,
    ORDER_LIMIT,
    PINNED_OVER_LIMIT,
    StackingPolicy,
    slot_label_zh,
    stacking_options,
)
from sirui.core.errors import InvalidValueError, invalid
from sirui.core.money import Money
from sirui.core.registry import tag_of
from sirui.core.windows import DateTime, Window
from sirui.core.zh import zh_datetime
from sirui.rules.pricing import SHIPPING_LINE, NotApplied, PriceState, PricingStep, Stage
from sirui.rules.reasons import reason_code

__all__ = [
    "CouponLike", "CouponTemplateLike", "Plan", "PromotionLike", "admit_pinned", "fingerprint_of",
]

OTHER_MEMBER = reason_code(
    "checkout.coupon_other_member",
    zh="该券属于其他会员，不能使用",
    en="This coupon belongs to another member ({owner})",
)
NOT_YET_VALID = reason_code(
    "checkout.coupon_not_yet_valid", zh="券未到使用时间（{start_zh}起）",
    en="Not valid before {start}",
)
EXPIRED = reason_code("checkout.coupon_expired", zh="券已过期（{end_zh}）", en="Expired at {end}")

NOT_IN_WALLET = reason_code(
    "checkout.coupon_not_in_wallet",
    zh="券{coupon}不在可用券列表中",
    en="Coupon {coupon} is not among the available coupons",
)
NOT_CHOSEN = reason_code(
    "checkout.coupon_not_chosen", zh="未选择使用该券", en="Not chosen for this order"
)


@runtime_checkable
class PromotionLike(Protocol):
    """What the checkout needs of a promotion (see `sirui.promotions.Promotion`)."""

    @property
    def id(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def group(self) -> str | None: ...
    @property
    def exclusive(self) -> bool: ...
    @property
    def stage(self) -> Stage: ...
    def price(self, state: PriceState) -> PriceState: ...


@runtime_checkable
class CouponTemplateLike(Protocol):
    """What the checkout needs of a coupon template (see `sirui.promotions.CouponTemplate`)."""

    @property
    def id(self) -> str: ...
    @property
    def slot(self) -> str: ...
    @property
    def stage(self) -> Stage: ...
    @property
    def stacks_with_promotions(self) -> bool: ...
    def price(self, state: PriceState, coupon: Any) -> PriceState: ...


@runtime_checkable
class CouponLike(Protocol):
    """What the checkout needs of a claimed coupon (see `sirui.promotions.Coupon`)."""

    @property
    def id(self) -> str: ...
    @property
    def template(self) -> CouponTemplateLike: ...
    @property
    def member_id(self) -> str: ...
    @property
    def claimed_at(self) -> DateTime: ...
    @property
    def valid(self) -> Window: ...


def fingerprint_of(obj: object) -> str | None:
    """The config fingerprint of a registered policy, or None otherwise (memoised by identity)."""
    hit = _FINGERPRINTS.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    fp = _fingerprint()(obj) if tag_of(type(obj)) is not None else None
    if len(_FINGERPRINTS) >= 4096:  # pragma: no mutate (equivalent: only bounds the memo)
        _FINGERPRINTS.clear()
    _FINGERPRINTS[id(obj)] = (obj, fp)
    return fp


_FINGERPRINTS: dict[int, tuple[object, str | None]] = {}


@functools.cache
def _fingerprint() -> Callable[[object], str]:
    # Imported on first use: the config codec is not needed to import the checkout.
    from sirui.config import fingerprint

    return fingerprint


def kind_of(obj: object) -> str:
    return tag_of(type(obj)) or type(obj).__name__


def _shipping_fen(state: PriceState) -> int:
    fee = state.shipping_fee.minor if state.shipping_fee is not None else 0
    return fee - sum(
        m.minor for a in state.adjustments if a.stage is Stage.SHIPPING
        for lid, m in a.allocations if lid == SHIPPING_LINE
    )


def shipping_payable(state: PriceState) -> Money:
    return Money(_shipping_fen(state), state.currency)


def cost(state: PriceState) -> int:
    """What the best-combination search minimises: goods before points plus shipping, in fen.

    Points deduction is the shopper's own value, so it neither helps nor
    hurts a combination.
    """
    # Plain ints: this runs at every leaf of the search.
    return (
        sum(pl.amount.minor for pl in state.lines)
        + sum(a.amount.minor for a in state.adjustments if a.stage is Stage.POINTS)
        + _shipping_fen(state)
    )


def precheck(coupon: CouponLike, member_id: str, now: DateTime) -> NotApplied | None:
    """Coupon-level checks the checkout owns: whose wallet, and the validity window."""
    t = coupon.template
    reason = None
    valid = coupon.valid
    if coupon.member_id != member_id:
        reason = OTHER_MEMBER(owner=coupon.member_id)
    elif now < valid.start:
        reason = NOT_YET_VALID(start=valid.start, start_zh=zh_datetime(valid.start))
    elif valid.end is not None and now >= valid.end:
        reason = EXPIRED(end=valid.end, end_zh=zh_datetime(valid.end))
    return None if reason is None else NotApplied(coupon.id, t.stage, reason, kind_of(t))


def apply_coupon(state: PriceState, coupon: CouponLike, stacks: bool) -> PriceState:
    """Price one coupon; a non-stacking coupon only sees lines no promotion touched."""
    template = coupon.template
    if stacks:
        return template.price(state, coupon)
    touched = {
        lid for a in state.adjustments if a.stage is Stage.PROMOTION for lid, _ in a.allocations
    }
    if not touched:
        return template.price(state, coupon)
    view = attrs.evolve(
        state,
        lines=tuple(
            attrs.evolve(pl, blocked=pl.blocked | {Stage.COUPON}) if pl.id in touched else pl
            for pl in state.lines
        ),
    )
    res = template.price(view, coupon)
    out = state
    for adj in res.adjustments[len(view.adjustments):]:
        out = out.apply(adj)
    return attrs.evolve(
        out,
        not_applied=(*out.not_applied, *res.not_applied[len(view.not_applied):]),
        extras=(*out.extras, *res.extras[len(view.extras):]),
        gifts=res.gifts,
        points_used=res.points_used,
        shipping_fee=res.shipping_fee,
    )


def admit_pinned(
    pol: StackingPolicy, wallet: Sequence[CouponLike], chosen: Sequence[str]
) -> tuple[list[CouponLike], list[NotApplied]]:
    """The shopper's pinned coupons that the slot limits admit, in application order.

    Admission follows the shopper's order (the first pick of a full slot
    wins); application follows the slot order like any combination. The
    reports name every pin refused and every wallet coupon not chosen.
    """
    if isinstance(chosen, str):
        raise invalid(
            "chosen_coupons", chosen, "must be a list of coupon ids, not one string",
            cls=InvalidValueError,
        )
    if len(set(chosen)) != len(chosen):
        raise invalid(
            "chosen_coupons", list(chosen), "names a coupon twice", "a coupon can be used once",
            cls=InvalidValueError,
        )
    by_id = {c.id: c for c in wallet}
    reports: list[NotApplied] = []
    picked: list[CouponLike] = []
    for cid in chosen:
        if cid in by_id:
            picked.append(by_id[cid])
        else:
            reports.append(NotApplied(cid, Stage.COUPON, NOT_IN_WALLET(coupon=cid)))
    counts: dict[frozenset[str], int] = {}
    total = 0
    admitted: list[CouponLike] = []
    for c in picked:
        slots, limit = pol.limit_group(c.template.slot)
        t = c.template
        if counts.get(slots, 0) >= limit:
            taken = [a.id for a in admitted if pol.limit_group(a.template.slot)[0] == slots]
            reason = PINNED_OVER_LIMIT(
                slot="/".join(sorted(slots)), slot_zh=slot_label_zh(slots), limit=limit,
                chosen=",".join(taken),
            )
            reports.append(NotApplied(c.id, t.stage, reason, kind_of(t)))
            continue
        if pol.max_coupons is not None and total >= pol.max_coupons:
            reason = ORDER_LIMIT(limit=pol.max_coupons)
            reports.append(NotApplied(c.id, t.stage, reason, kind_of(t)))
            continue
        counts[slots] = counts.get(slots, 0) + 1
        total += 1
        admitted.append(c)
    admitted.sort(key=lambda c: (c.template.stage, pol.slot_rank(c.template.slot), c.id))
    picked_ids = {c.id for c in picked}
    for c in wallet:
        if c.id not in picked_ids:
            reports.append(NotApplied(c.id, c.template.stage, NOT_CHOSEN(), kind_of(c.template)))
    return admitted, reports


def sort_key(stacking: StackingPolicy, p: PromotionLike) -> tuple[int, str]:
    return (-stacking.priority_of(p.id, p.priority), p.id)


class Plan:
    """What runs at each stage, resolved once per quote."""

    __slots__ = ("promos", "shipping", "stacking", "steps")

    def __init__(
        self,
        stacking: StackingPolicy,
        promotions: Iterable[PromotionLike],
        steps: Iterable[PricingStep],
        shipping: ShippingStep | None,
    ) -> None:
        self.stacking = stacking
        by_stage: dict[Stage, list[PromotionLike]] = {}
        for p in promotions:
            by_stage.setdefault(p.stage, []).append(p)
        self.promos: dict[Stage, tuple[PromotionLike, ...]] = {
            s: tuple(sorted(ps, key=lambda p: sort_key(stacking, p)))
            for s, ps in by_stage.items()
        }
        st: dict[Stage, list[PricingStep]] = {}
        for step in steps:
            st.setdefault(step.stage, []).append(step)
        self.steps = {s: tuple(v) for s, v in st.items()}
        self.shipping = shipping

    def run(self, state: PriceState, stage: Stage) -> PriceState:
        """Run the fixed part of ``stage``: shipping fee, promotions, then extra steps."""
        if stage is Stage.SHIPPING and self.shipping is not None:
            state = self.shipping.price(state)
        promos = self.promos.get(stage, ())
        if promos:
            state = self._promotions(state, stage, promos)
        for step in self.steps.get(stage, ()):
            state = step.price(state)
        return state

    # -- conflict resolution ------------------------------------------------------------

    def _promotions(
        self, state: PriceState, stage: Stage, promos: Sequence[PromotionLike]
    ) -> PriceState:
        found = stacking_options(promos, self.stacking)
        if found is None:
            for p in promos:
                state = p.price(state)
            return state
        options, exclusive, conflicting = list(found.options), found.exclusive, found.conflicting
        base_total = state.stage_total(stage).minor
        results = []
        for opt in options:
            s = state
            for p in opt:
                s = p.price(s)
            results.append((s.stage_total(stage).minor - base_total, s))
        best_i = max(range(len(results)), key=lambda i: (results[i][0], -i))
        best_saving, best_state = results[best_i]
        chosen_opt = options[best_i]
        n_shared = len(options) - len(exclusive)
        best_shared = max((results[i][0] for i in range(n_shared)), default=0)
        cur = state.currency
        return self._explain(
            start=state, best=best_state, chosen=chosen_opt, options=options, results=results,
            exclusive=exclusive, conflicting=conflicting, promos=promos,
            saving=Money(best_saving, cur),
            shared_saving=Money(best_shared, cur), stage=stage,
        )

    def _explain(
        self,
        *,
        start: PriceState,
        best: PriceState,
        chosen: tuple[PromotionLike, ...],
        options: list[tuple[PromotionLike, ...]],
        results: list[tuple[int, PriceState]],
        exclusive: Sequence[PromotionLike],
        conflicting: Sequence[tuple[PromotionLike, frozenset[str]]],
        promos: Sequence[PromotionLike],
        saving: Money,
        shared_saving: Money,
        stage: Stage,
    ) -> PriceState:
        cur = start.currency
        n0, k0 = len(start.not_applied), len(start.adjustments)
        chosen_ids = {p.id for p in chosen}
        chosen_exclusive = len(chosen) == 1 and chosen[0] in exclusive
        extra: list[NotApplied] = []
        for p in promos:
            if p.id in chosen_ids:
                continue
            # The option that did best with p in it tells its own story.
            idx = max(
                (i for i, opt in enumerate(options) if p in opt),
                key=lambda i: (results[i][0], -i),
            )
            own_saving, own_state = results[idx]
            applied = any(a.rule == p.id for a in own_state.adjustments[k0:])
            if not applied:
                mine = [na for na in own_state.not_applied[n0:] if na.rule == p.id]
                if mine:
                    extra.append(mine[-1])
                    continue
            saves = Money(own_saving, cur)
            kind = kind_of(p)
            if chosen_exclusive:
                reason = EXCLUDED_BY_EXCLUSIVE(
                    chosen=chosen[0].id, chosen_saves=saving, saves=saves
                )
            elif p in exclusive:
                reason = EXCLUSIVE_SAVES_LESS(saves=saves, chosen_saves=shared_saving)
            else:
                groups = self.stacking.groups_of(p.id, p.group)
                winners = [
                    q.id for q, g in conflicting if q.id in chosen_ids and g & groups
                ]
                reason = EXCLUDED_BY_GROUP(
                    group=",".join(sorted(groups)),
                    chosen=",".join(winners) or "-",
                    chosen_saves=saving,
                    saves=saves,
                )
            extra.append(NotApplied(p.id, stage, reason, kind))
        # Promotions not in the chosen option were never priced in it; record why.
        return attrs.evolve(best, not_applied=(*best.not_applied, *extra))
