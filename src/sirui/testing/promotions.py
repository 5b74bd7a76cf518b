"""Hypothesis strategies for promotions, coupon templates, claimed coupons and triggers.

Host apps use them to property-test their own checkout integration::

    from hypothesis import given
    from sirui.testing import carts, aware_datetimes
    from sirui.testing.promotions import promotions

    @given(carts(), promotions(), aware_datetimes())
    def test_never_negative(cart, promo, now):
        state = promo.price(PriceState.start(cart, now))
        assert all(pl.amount.minor >= 0 for pl in state.lines)

Every strategy builds valid policies only (they all load back from their
config form). Amounts are CNY and sized like the carts of `sirui.testing`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from sirui.core.money import Money
from sirui.core.nouns import Sku
from sirui.core.windows import DateTime, DaysAfterClaim, FixedValidity, Validity, Window
from sirui.promotions import (
    AfterPaymentGift,
    AmountOffCoupon,
    BundlePrice,
    BuyNGetMFree,
    Coupon,
    CouponTemplate,
    ExchangeCoupon,
    FreeShippingCoupon,
    FreeShippingOver,
    FullReduction,
    GiftWithPurchase,
    InviteReward,
    IssueTrigger,
    LimitedTimePrice,
    MemberPrice,
    NewCustomerReduction,
    NewMemberGiftPack,
    NoThresholdCoupon,
    NthItemDiscount,
    PercentageDiscount,
    PercentOffCoupon,
    Promotion,
    QuantityReduction,
    QuantityTier,
    ReductionTier,
    RepeatingReduction,
    RepurchaseIncentive,
    RoundingScope,
    ShareToGet,
    SkuPrice,
    TierRate,
    TierSkuPrice,
    UnpaidOrderReminder,
)
from sirui.rules.conditions import Always, Condition
from sirui.rules.scope import ItemScope
from sirui.testing import CATEGORIES, TIERS, aware_datetimes, conditions, money, rates, windows

__all__ = [
    "coupon_templates",
    "coupons",
    "item_scopes",
    "promotions",
    "quantity_tiers",
    "reduction_tiers",
    "sku_ids",
    "triggers",
    "validities",
    "windows_around",
]

sku_ids = st.integers(1, 40).map(lambda i: f"sku{i}")
"""SKU ids as `sirui.testing.skus` generates them, so scopes hit carts."""

_ids = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)
_pay_rates = rates("0.05", "0.99")


def item_scopes() -> st.SearchStrategy[ItemScope]:
    """Everything (often), or SKUs / categories / tags with some exclusions."""
    return st.one_of(
        st.just(ItemScope()),
        st.builds(ItemScope, skus=st.frozensets(sku_ids, min_size=1, max_size=8)),
        st.builds(
            ItemScope,
            categories=st.frozensets(st.sampled_from(CATEGORIES), min_size=1, max_size=3),
            exclude_tags=st.frozensets(st.sampled_from(("特价", "新品")), max_size=1),
        ),
        st.builds(ItemScope, tags=st.frozensets(st.sampled_from(("爆款", "9.9专区")), min_size=1)),
    )


def _conditions() -> st.SearchStrategy[Condition]:
    return st.one_of(st.just(Always()), st.just(Always()), conditions(max_leaves=3))


def _windows(live_at: DateTime | None) -> st.SearchStrategy[Window]:
    if live_at is None:
        return windows()
    return st.one_of(windows_around(live_at), windows_around(live_at), windows())


def _common(
    live_at: DateTime | None = None, stage_window: bool = True
) -> dict[str, st.SearchStrategy[Any]]:
    w = _windows(live_at)
    return {
        "name": st.sampled_from(["", "双11", "会员日"]),
        "priority": st.integers(-5, 5),
        "group": st.none() | st.sampled_from(["g1", "g2"]),
        "exclusive": st.booleans(),
        "condition": _conditions(),
        "scope": item_scopes(),
        "window": (st.none() | w) if stage_window else w,
        "stacks_with_coupons": st.booleans(),
    }


@st.composite
def reduction_tiers(draw: st.DrawFn, max_tiers: int = 4) -> tuple[ReductionTier, ...]:
    """Strictly rising thresholds and discounts, each discount within its threshold."""
    n = draw(st.integers(1, max_tiers))
    thresholds = sorted(draw(st.sets(st.integers(100, 200_000), min_size=n, max_size=n)))
    offs: list[int] = []
    for t in thresholds:
        low = offs[-1] + 1 if offs else 1
        if low > t:
            break
        offs.append(draw(st.integers(low, min(t, low + t // 2))))
    return tuple(ReductionTier(Money(t), Money(o)) for t, o in zip(thresholds, offs, strict=False))


@st.composite
def quantity_tiers(draw: st.DrawFn, max_tiers: int = 3) -> tuple[QuantityTier, ...]:
    """满N件减X元 tiers: strictly rising item counts (1-10) and strictly rising amounts off."""
    n = draw(st.integers(1, max_tiers))
    counts = sorted(draw(st.sets(st.integers(1, 10), min_size=n, max_size=n)))
    offs = sorted(draw(st.sets(st.integers(1, 20_000), min_size=n, max_size=n)))
    return tuple(QuantityTier(c, Money(o)) for c, o in zip(counts, offs, strict=True))


#: Per-order limits of 买N送M: unlimited as often as limited (每单限1-3次).
_max_sets = st.none() | st.integers(1, 3)


@st.composite
def _repeating(draw: st.DrawFn, live_at: DateTime | None) -> RepeatingReduction:
    every = draw(st.integers(100, 50_000))
    off = draw(st.integers(1, every))
    cap = draw(st.none() | st.integers(off, off * 10))
    return RepeatingReduction(
        draw(_ids), every=Money(every), off=Money(off),
        cap=None if cap is None else Money(cap),
        **{k: draw(v) for k, v in _common(live_at).items()},
    )


def _gift_skus() -> st.SearchStrategy[Sku]:
    return st.builds(
        lambda i, p: Sku(f"gift{i}", Money(p), name=f"赠品{i}"),
        st.integers(1, 5), st.integers(1, 5_000),
    )


def promotions(live_at: DateTime | None = None) -> st.SearchStrategy[Promotion]:
    """Every built-in promotion kind with valid, often-applicable parameters.

    Their options are drawn too: 买N送M with and without a per-order limit
    (``max_sets``), percentages rounded per order or per line
    (``rounding_scope``), and 满件减 (`QuantityReduction`) over `quantity_tiers`.

    With ``live_at``, most scheduled promotions are open at that moment, so
    a property test at ``live_at`` exercises the arithmetic, not only the
    "outside window" path.
    """
    c = _common(live_at)
    return st.one_of(
        st.builds(FullReduction, _ids, tiers=reduction_tiers(), **c),
        _repeating(live_at),
        st.builds(PercentageDiscount, _ids, rate=_pay_rates,
                  cap=st.none() | money(1, 50_000),
                  rounding_scope=st.sampled_from(RoundingScope), **c),
        st.builds(BundlePrice, _ids, n=st.integers(2, 5), price_per_bundle=money(100, 50_000),
                  max_bundles=st.none() | st.integers(1, 3), **c),
        st.builds(NthItemDiscount, _ids, n=st.integers(2, 4), rate=_pay_rates,
                  per_sku=st.booleans(), rounding_scope=st.sampled_from(RoundingScope), **c),
        st.builds(BuyNGetMFree, _ids, buy=st.integers(1, 3), free=st.integers(1, 2),
                  per_sku=st.booleans(), max_sets=_max_sets, **c),
        st.builds(QuantityReduction, _ids, tiers=quantity_tiers(), **c),
        st.builds(GiftWithPurchase, _ids, threshold=money(1, 100_000), gift=_gift_skus(),
                  quantity=st.integers(1, 3), repeat=st.booleans(),
                  max_sets=st.none() | st.integers(1, 3), stock=st.none() | st.integers(0, 5), **c),
        st.builds(FreeShippingOver, _ids, threshold=money(0, 50_000), **c),
        st.builds(NewCustomerReduction, _ids, off=money(1, 2_000), **c),
        st.builds(
            MemberPrice, _ids,
            rates=st.lists(st.builds(TierRate, st.sampled_from(TIERS), _pay_rates), min_size=1,
                           max_size=4, unique_by=lambda r: r.tier).map(tuple),
            prices=st.lists(
                st.builds(TierSkuPrice, st.sampled_from(TIERS), sku_ids, money(1, 50_000)),
                min_size=1, max_size=6, unique_by=lambda p: (p.tier, p.sku),
            ).map(tuple),
            **c,
        ),
        st.builds(
            LimitedTimePrice, _ids,
            prices=st.lists(st.builds(SkuPrice, sku_ids, money(1, 50_000)), min_size=1,
                            max_size=6, unique_by=lambda p: p.sku).map(tuple),
            limit_per_order=st.none() | st.integers(1, 3),
            **_common(live_at, stage_window=False),
        ),
    )


def validities(live_at: DateTime | None = None) -> st.SearchStrategy[Validity]:
    """Fixed windows (mostly open at ``live_at`` if given) or N days after claim."""
    return st.one_of(
        st.builds(FixedValidity, _windows(live_at)),
        st.builds(DaysAfterClaim, st.integers(1, 60), claim_day_counts=st.booleans(),
                  starts_after_days=st.integers(0, 2)),
    )


@st.composite
def _amount_off(draw: st.DrawFn, live_at: DateTime | None) -> AmountOffCoupon:
    threshold = draw(st.just(0) | st.integers(100, 100_000))
    off = draw(st.integers(1, threshold if threshold else 20_000))
    return AmountOffCoupon(draw(_ids), off=Money(off), threshold=Money(threshold),
                           **{k: draw(v) for k, v in _template_common(live_at).items()})


def _template_common(live_at: DateTime | None = None) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "validity": validities(live_at),
        "name": st.sampled_from(["", "新人券", "满减券"]),
        "scope": item_scopes(),
        "condition": _conditions(),
        "total_quota": st.none() | st.integers(1, 1000),
        "per_member_limit": st.none() | st.integers(1, 5),
        "stacks_with_promotions": st.booleans(),
        "sale_price": st.none() | money(0, 1_000),
    }


def coupon_templates(live_at: DateTime | None = None) -> st.SearchStrategy[CouponTemplate]:
    """Every built-in template kind, valid by construction (mostly valid at ``live_at``)."""
    c = _template_common(live_at)
    return st.one_of(
        _amount_off(live_at),
        st.builds(NoThresholdCoupon, _ids, off=money(1, 5_000), **c),
        st.builds(PercentOffCoupon, _ids, rate=_pay_rates, cap=st.none() | money(1, 20_000),
                  threshold=money(0, 50_000), **c),
        st.builds(FreeShippingCoupon, _ids, threshold=money(0, 20_000),
                  cap=st.none() | money(1, 2_000), **c),
        st.builds(ExchangeCoupon, _ids, sku=sku_ids, quantity=st.integers(1, 2), **c),
    )


def coupons(
    member_id: str = "m1",
    templates: st.SearchStrategy[CouponTemplate] | None = None,
    claimed_at: st.SearchStrategy[DateTime] | None = None,
) -> st.SearchStrategy[Coupon]:
    """Coupons claimed by ``member_id``, valid by their template from the claim time."""
    return st.builds(
        Coupon.claimed,
        st.integers(1, 10**6).map(lambda i: f"cp{i}"),
        templates if templates is not None else coupon_templates(),
        st.just(member_id),
        claimed_at if claimed_at is not None else aware_datetimes(),
    )


def triggers() -> st.SearchStrategy[IssueTrigger]:
    """Every built-in issuing trigger."""
    tpl = st.lists(_ids, min_size=1, max_size=3).map(tuple)
    return st.one_of(
        st.builds(NewMemberGiftPack, _ids, templates=tpl, within_hours=st.integers(1, 72)),
        st.builds(AfterPaymentGift, _ids, templates=tpl, min_paid=money(0, 50_000)),
        st.builds(ShareToGet, _ids, templates=tpl, max_per_day=st.integers(1, 5)),
        st.integers(1, 60).flatmap(
            lambda a: st.builds(UnpaidOrderReminder, _ids, templates=tpl, after_minutes=st.just(a),
                                close_after_minutes=st.integers(a + 1, a + 120))
        ),
        st.builds(RepurchaseIncentive, _ids, templates=tpl, after_days=st.integers(1, 60),
                  window_days=st.integers(1, 30)),
        st.builds(InviteReward, _ids, templates=tpl, on_first_order=st.booleans()),
    )


def windows_around(now: DateTime) -> st.SearchStrategy[Window]:
    """Windows that contain ``now`` (for promotions that must be live)."""
    return st.builds(
        lambda before, after: Window(now.subtract(minutes=before), now.add(minutes=after)),
        st.integers(0, 60 * 24 * 30), st.integers(1, 60 * 24 * 30),
    )
