"""sirui's quote against a hand-written integer pricer of the same rules, in one process.

The rules: a 20-line cart, gold members pay 95%, 满199减20 / 满299减40 /
满499减80, then the best of 8 claimed coupons of mixed kinds (store amount-off
and percent-off, item coupons by category, an exchange coupon; one store and
one item-or-exchange coupon per order), every discount allocated to lines by
largest remainder. The hand-written pricer is what a competent engineer
writes for exactly these rules; it must give the same payable and per-line
paid amounts as sirui (checked once at setup), so the ratio compares equal
work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from _harness import Case
from bench_checkout import CATEGORIES, MEMBER, NOW, sample_cart
from sirui.checkout import quote
from sirui.core.money import Money
from sirui.core.nouns import Cart
from sirui.core.windows import DaysAfterClaim
from sirui.promotions import (
    AmountOffCoupon,
    Coupon,
    ExchangeCoupon,
    FullReduction,
    MemberPrice,
    NoThresholdCoupon,
    PercentOffCoupon,
    ReductionTier,
    TierRate,
)
from sirui.rules import ItemScope

TIERS = ((19900, 2000), (29900, 4000), (49900, 8000))
# (kind, id, threshold, off or rate %, cap, category or sku)
COUPONS: tuple[tuple[str, str, int, int, int, str], ...] = (
    ("amount", "c00", 10000, 1000, 0, ""),
    ("amount", "c01", 50000, 6000, 0, ""),
    ("amount", "c02", 200000, 15000, 0, ""),
    ("percent", "c03", 0, 92, 12000, ""),
    ("percent", "c04", 300000, 85, 20000, ""),
    ("item", "c05", 0, 1500, 0, CATEGORIES[0]),
    ("item", "c06", 0, 800, 0, CATEGORIES[3]),
    ("exchange", "c07", 0, 0, 0, "SKU07"),
)
ITEM_COUPONS = (None, *(c for c in COUPONS if c[0] in ("item", "exchange")))
STORE_COUPONS = (None, *(c for c in COUPONS if c[0] in ("amount", "percent")))


def promotions() -> list[Any]:
    return [
        MemberPrice("gold-95", rates=[TierRate("gold", "0.95")]),
        FullReduction(
            "tiered", tiers=[ReductionTier(Money(t), Money(o)) for t, o in TIERS],
        ),
    ]


def wallet() -> list[Coupon]:
    v, claimed = DaysAfterClaim(30), NOW.subtract(days=2)
    templates: list[Any] = []
    for kind, cid, threshold, x, cap, target in COUPONS:
        if kind == "amount":
            t: Any = AmountOffCoupon(cid, validity=v, off=Money(x), threshold=Money(threshold))
        elif kind == "percent":
            t = PercentOffCoupon(cid, validity=v, rate=f"0.{x}", cap=Money(cap),
                                 threshold=Money(threshold))
        elif kind == "item":
            t = NoThresholdCoupon(cid, validity=v, off=Money(x), slot="item",
                                  scope=ItemScope(categories=frozenset({target})))
        else:
            t = ExchangeCoupon(cid, validity=v, sku=target)
        templates.append(t)
    return [Coupon.claimed(t.id, t, MEMBER.id, claimed) for t in templates]


# -- the hand-written pricer ---------------------------------------------------------


def _split(total: int, weights: list[int]) -> list[int]:
    s = sum(weights)
    parts = [total * w // s for w in weights]
    left = total - sum(parts)
    if left:
        order = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % s))
        for i in order[:left]:
            parts[i] += 1
    return parts


def _take(amounts: list[int], idx: list[int], off: int) -> None:
    for i, p in zip(idx, _split(off, [amounts[i] for i in idx]), strict=True):
        amounts[i] -= p


def _item_off(c: tuple[str, str, int, int, int, str], amounts: list[int],
              by_cat: dict[str, list[int]], by_sku: dict[str, list[int]],
              qty: list[int]) -> tuple[int, list[int]]:
    kind, _, _, off, _, target = c
    if kind == "exchange":
        idx = [i for i in by_sku.get(target, ()) if amounts[i] > 0]
        if not idx:
            return 0, idx
        i = max(idx, key=lambda i: amounts[i] * 1_000_000 // qty[i])
        return (amounts[i] if qty[i] == 1 else _split(amounts[i], [1, qty[i] - 1])[0]), [i]
    idx = [i for i in by_cat.get(target, ()) if amounts[i] > 0]
    return min(off, sum(amounts[i] for i in idx)), idx


def _store_off(c: tuple[str, str, int, int, int, str], base: int) -> int:
    kind, _, threshold, x, cap, _ = c
    if base < threshold:
        return 0
    off = min(base - (base * x + 50) // 100, cap) if kind == "percent" else x
    return min(off, base)


def handwritten(cart: Cart) -> tuple[int, dict[str, int]]:
    lines = sorted(cart.lines, key=lambda ln: ln.id)
    by_cat: dict[str, list[int]] = {}
    by_sku: dict[str, list[int]] = {}
    for i, ln in enumerate(lines):
        by_cat.setdefault(ln.sku.category_path, []).append(i)
        by_sku.setdefault(ln.sku.id, []).append(i)
    qty = [ln.quantity for ln in lines]
    amounts = [ln.unit_price.minor * ln.quantity for ln in lines]
    if cart.member.tier == "gold":
        amounts = [(a * 95 + 50) // 100 for a in amounts]
    base = sum(amounts)
    off = 0
    for threshold, tier_off in TIERS:
        if base >= threshold:
            off = tier_off
    if off:
        _take(amounts, list(range(len(amounts))), off)
        base -= off
    best, best_item, best_store = 0, None, None
    for item in ITEM_COUPONS:
        item_off = 0
        if item is not None:
            item_off = _item_off(item, amounts, by_cat, by_sku, qty)[0]
            if not item_off:
                continue
        for store in STORE_COUPONS:
            store_off = _store_off(store, base - item_off) if store is not None else 0
            if store is not None and not store_off:
                continue
            if item_off + store_off > best:
                best, best_item, best_store = item_off + store_off, item, store
    if best_item is not None:
        off, idx = _item_off(best_item, amounts, by_cat, by_sku, qty)
        _take(amounts, idx, off)
        base -= off
    if best_store is not None:
        _take(amounts, [i for i in range(len(amounts)) if amounts[i] > 0],
              _store_off(best_store, base))
    return sum(amounts), {ln.id: a for ln, a in zip(lines, amounts, strict=True)}


# -- cases ------------------------------------------------------------------------------


def _setup() -> tuple[Cart, list[Any], list[Coupon]]:
    cart, promos, coupons = sample_cart(), promotions(), wallet()
    q = quote(cart, NOW, promotions=promos, coupons=coupons)
    payable, paid = handwritten(cart)
    theirs = (q.payable.minor, {ln.id: ln.paid.minor for ln in q.lines})
    if (payable, paid) != theirs:
        raise AssertionError(f"hand-written {payable} {paid} != sirui {theirs}")
    return cart, promos, coupons


def _sirui() -> Callable[[], object]:
    cart, promos, coupons = _setup()
    return lambda: quote(cart, NOW, promotions=promos, coupons=coupons)


def _handwritten() -> Callable[[], object]:
    cart, _, _ = _setup()
    return lambda: handwritten(cart)


def cases(quick: bool) -> list[Case]:
    return [
        Case("quote_8_coupons_sirui", setup=_sirui),
        Case("quote_8_coupons_handwritten", setup=_handwritten),
    ]


def ratios(medians: dict[str, float]) -> dict[str, float]:
    sirui = medians.get("quote_8_coupons_sirui")
    hand = medians.get("quote_8_coupons_handwritten")
    return {"sirui_over_handwritten_quote": sirui / hand} if sirui and hand else {}
