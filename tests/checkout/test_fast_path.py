"""The fen fast path gives the very quote the straightforward path gives.

Every built-in policy prices in fen (`price_fen`) as well as on `PriceState`
(`price`); a quote of built-in policies in one currency runs in fen and
builds its lines, adjustments and reasons when they are first read. These
tests hold the two paths to the same quote, field by field and reason by
reason, on random carts, promotions, stacking rules, shipping rules and
wallets.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout._shop import GOLD, MONTH, NOW, cart, claim, straightforward, y
from checkout.test_combination import TWO_STORE, wallets_of_modelled_kinds
from sirui.checkout import (
    DeliveryZone,
    DistanceTier,
    ExclusionGroup,
    MinOrderBasis,
    OrderMinimum,
    Quote,
    RulePriority,
    ShippingPolicy,
    SlotLimit,
    StackingPolicy,
    quote,
)
from sirui.checkout._compiled import compiled
from sirui.checkout._fastquote import LAZY_FIELDS
from sirui.checkout._fastsearch import apply_coupon_fen, solos_in_fen
from sirui.checkout._pipeline import precheck
from sirui.core.errors import InvalidValueError
from sirui.core.money import Money
from sirui.core.nouns import Fulfillment
from sirui.promotions import (
    AmountOffCoupon,
    Coupon,
    ExchangeCoupon,
    FreeShippingCoupon,
    FullReduction,
    GiftWithPurchase,
    LimitedTimePrice,
    MemberPrice,
    NoThresholdCoupon,
    PercentOffCoupon,
    Promotion,
    ReductionTier,
    TierRate,
)
from sirui.promotions.base import prices_in_fen
from sirui.rules import Always, ItemScope, PriceState, Stage
from sirui.rules.pricing import FenCart, FenState
from sirui.testing import carts, members
from sirui.testing.checkout import destinations
from sirui.testing.promotions import coupon_templates, promotions

SHIPPINGS = (
    None,
    ShippingPolicy(),
    ShippingPolicy(free_over=Money(50_000), tier_free_over={"gold": Money(9_900)}),
    ShippingPolicy(free_over=None, base_fee=Money(1_200)),
    ShippingPolicy(minimums=[OrderMinimum(Money(3_000)), OrderMinimum(Money(20_000), store="S02"),
                             OrderMinimum(Money(5_000), fulfillment=Fulfillment.PICKUP)]),
)
#: Shipping rules priced by where the delivery goes (a quote needs a destination).
ROUTED = (
    ShippingPolicy(minimums=Money(2_000), distance_tiers=[
        DistanceTier(3_000, Money(500)), DistanceTier(5_000, Money(800))]),
    ShippingPolicy(free_over=None, minimums=Money(9_000),
                   min_order_basis=MinOrderBasis.GOODS_AT_LIST_PRICE,
                   zones=[DeliveryZone("east", Money(600)), DeliveryZone("west", Money(900))]),
)


FIXED_SHIPPINGS = st.sampled_from((*SHIPPINGS, *ROUTED))


@st.composite
def stackings(draw: st.DrawFn, ids: list[str]) -> StackingPolicy:
    picked = st.sets(st.sampled_from(ids), max_size=3) if ids else st.just(set())
    return StackingPolicy(
        priorities=[RulePriority(i, draw(st.integers(-3, 3))) for i in draw(picked)],
        exclusion_groups=[ExclusionGroup("policy-group", r) for r in [draw(picked)] if r],
        exclusive=frozenset(draw(picked)),
        coupons_with_promotions=draw(st.booleans()),
        slot_limits=draw(st.sampled_from([
            (SlotLimit({"store"}, 1), SlotLimit({"item", "exchange"}, 1),
             SlotLimit({"shipping"}, 1)),
            (SlotLimit({"store"}, 2), SlotLimit({"item", "exchange"}, 2)),
        ])),
        max_coupons=draw(st.none() | st.integers(1, 3)),
    )


def _plain(policy: Any) -> Any:
    """The policy with no condition, schedule, scope or exclusion: one that applies often."""
    changes: dict[str, Any] = {"condition": Always(), "scope": ItemScope()}
    if isinstance(policy, Promotion):
        changes.update(group=None, exclusive=False)
        if not isinstance(policy, LimitedTimePrice):
            changes["window"] = None
    else:
        changes["validity"] = MONTH
    return attrs.evolve(policy, **changes)


def _often_plain(policies: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(policies, policies.map(_plain))


@st.composite
def orders(
    draw: st.DrawFn,
    shippings: st.SearchStrategy[ShippingPolicy | None] = FIXED_SHIPPINGS,
) -> dict[str, Any]:
    member = draw(members())
    c = draw(carts(max_lines=6, member=st.just(member)))
    promos = draw(st.lists(
        _often_plain(promotions(live_at=NOW)), max_size=6, unique_by=lambda p: p.id
    ))
    templates = draw(st.lists(_often_plain(coupon_templates(live_at=NOW)), max_size=5))
    owners = st.sampled_from([member.id, member.id, member.id, member.id, "m-other"])
    wallet = []
    for i in range(draw(st.integers(1, 8)) if templates else 0):
        t = draw(st.sampled_from(templates))
        claimed = NOW.subtract(hours=draw(st.integers(0, 24 * 40)))
        wallet.append(Coupon.claimed(f"c{i}", t, draw(owners), claimed))
    gifts = [p.id for p in promos if isinstance(p, GiftWithPurchase)]
    stock = draw(st.fixed_dictionaries({g: st.integers(0, 3) for g in gifts})) if gifts else {}
    shipping = draw(shippings)
    destination = None
    if shipping is not None:
        needs = shipping.routed and c.fulfillment is Fulfillment.DELIVERY
        destination = draw(destinations(shipping) if needs else st.none() | destinations(shipping))
    pins = st.lists(st.sampled_from([*(cp.id for cp in wallet), "c-missing"]), unique=True,
                    max_size=4)
    return {
        "cart": c,
        "promotions": promos,
        "coupons": wallet,
        "chosen_coupons": draw(st.none() | st.none() | pins),
        "stacking": draw(stackings([p.id for p in promos])),
        "shipping": shipping,
        "destination": destination,
        "extras": {"gift_stock": stock} if stock and draw(st.booleans()) else None,
    }


def _in_fen(q: Quote) -> bool:
    return object.__getattribute__(q, "_pending") is not None


def _same(fast: Quote, slow: Quote) -> None:
    for a in attrs.fields(Quote):
        if a.name not in ("_pending", "search_nodes", "inputs"):
            assert getattr(fast, a.name) == getattr(slow, a.name), a.name
    assert fast == slow
    assert repr(fast) == repr(slow)
    assert fast.to_dict() == slow.to_dict()
    assert fast._repr_html_() == slow._repr_html_()
    fi, si = fast.inputs, slow.inputs
    assert fi is not None and si is not None
    for a in attrs.fields(type(fi)):
        assert getattr(fi, a.name) == getattr(si, a.name), a.name


def same_both_ways(c: Any, **kwargs: Any) -> Quote:
    """The fen quote of ``c``, after checking it runs in fen and the straightforward path
    gives the very same quote."""
    fast = quote(c, NOW, **kwargs)
    assert _in_fen(fast)
    with straightforward():
        _same(fast, quote(c, NOW, **kwargs))
    return fast


@given(orders())
def test_fen_and_straightforward_quotes_are_identical(order: dict[str, Any]) -> None:
    same_both_ways(order["cart"], **{k: v for k, v in order.items() if k != "cart"})


@given(orders(), st.permutations(sorted(LAZY_FIELDS)))
def test_explanations_do_not_depend_on_what_is_read_first(
    order: dict[str, Any], fields: list[str]
) -> None:
    kwargs = {k: v for k, v in order.items() if k != "cart"}
    fast = quote(order["cart"], NOW, **kwargs)
    assert _in_fen(fast)
    for name in fields:
        getattr(fast, name)
    with straightforward():
        _same(fast, quote(order["cart"], NOW, **kwargs))


@given(
    wallets_of_modelled_kinds(),
    st.lists(promotions(live_at=NOW).map(_plain), max_size=3, unique_by=lambda p: p.id),
    st.lists(st.builds(FreeShippingCoupon, st.sampled_from(["f1", "f2"]), validity=st.just(MONTH),
                       threshold=st.integers(0, 20_000).map(Money)), max_size=2),
    st.sampled_from(SHIPPINGS),
    st.sampled_from([StackingPolicy(), StackingPolicy(max_coupons=2), TWO_STORE]),
)
def test_fen_and_straightforward_combinations_are_identical(
    case: tuple[Any, list[Coupon]],
    promos: list[Any],
    shipping_templates: list[Any],
    shipping: ShippingPolicy | None,
    stacking: StackingPolicy,
) -> None:
    c, wallet = case
    wallet = [*wallet, *(claim(f"s{i}", t) for i, t in enumerate(shipping_templates))]
    kwargs: dict[str, Any] = {
        "promotions": promos, "coupons": wallet, "shipping": shipping, "stacking": stacking,
    }
    same_both_ways(c, **kwargs)


# -- examples -------------------------------------------------------------------------

GOLD_95 = MemberPrice("gold-95", rates=[TierRate("gold", "0.95")])
FR = FullReduction("fr", tiers=[ReductionTier(y(199), y(20)), ReductionTier(y(499), y(80))])


def _wallet() -> list[Coupon]:
    return [
        claim("c1", AmountOffCoupon("a", validity=MONTH, off=y(30), threshold=y(300))),
        claim("c2", PercentOffCoupon("p", validity=MONTH, rate="0.9", cap=y(50))),
    ]


def test_a_fast_quote_builds_its_explanations_when_read() -> None:
    q = quote(cart(("A", 300, 2), ("B", 50, 1)), NOW, promotions=[GOLD_95, FR],
              coupons=_wallet(), shipping=ShippingPolicy())
    for name in LAZY_FIELDS:
        with pytest.raises(AttributeError):
            object.__getattribute__(q, name)
    assert q.payable == q.goods_payable + q.shipping_payable
    assert q.coupons_used == ("c2",)
    assert q.why_not("c1").code == "stacking.slot_full"  # type: ignore[union-attr]
    assert [s.rule for s in q.line("L-A").shares] == ["gold-95", "fr", "c2"]


def test_a_fast_quote_copies_pickles_and_evolves_like_any_quote() -> None:
    q = quote(cart(("A", 300, 2)), NOW, promotions=[GOLD_95, FR], coupons=_wallet())
    assert _in_fen(q)
    back = pickle.loads(pickle.dumps(q))
    assert back == q
    assert object.__getattribute__(back, "_pending") is None
    assert copy.deepcopy(q) == q
    assert attrs.evolve(q, search_exact=False).adjustments == q.adjustments
    with pytest.raises(AttributeError):
        q.no_such_field  # type: ignore[attr-defined]  # noqa: B018


def test_policies_compile_once_and_misuse_is_refused_every_time() -> None:
    pol = StackingPolicy()
    assert compiled(pol, [GOLD_95, FR], None) is compiled(pol, (GOLD_95, FR), None)
    assert compiled(pol, [FR, GOLD_95], None) is not compiled(pol, [GOLD_95, FR], None)
    for _ in range(2):
        with pytest.raises(InvalidValueError):
            quote(cart(("A", 1, 1)), NOW, promotions=[FR, FR])


@attrs.frozen(slots=True)
class _Halved(FullReduction):
    """A host's own pricing on a built-in policy: it has no fen twin."""

    def price(self, state: PriceState) -> PriceState:
        return super().price(state)


def test_a_policy_without_its_fen_twin_takes_the_straightforward_path() -> None:
    odd = _Halved("odd", tiers=[ReductionTier(y(100), y(10))])
    assert prices_in_fen(FR) and not prices_in_fen(odd)
    q = quote(cart(("A", 300, 1), member=GOLD), NOW, promotions=[odd])
    assert not _in_fen(q)
    assert q.payable == y(290)


# -- a coupon's saving on its own ------------------------------------------------------


def _start(order: dict[str, Any]) -> FenState:
    """``order``'s state after the promotion stage."""
    plan = compiled(order["stacking"], order["promotions"], order["shipping"])
    fs = FenState(FenCart(order["cart"], NOW), ())
    for stage in (Stage.ACTIVITY, Stage.MEMBER, Stage.PROMOTION):
        fs = plan.run(fs, stage)
    return fs


@given(orders())
def test_a_coupons_solo_shortcut_is_what_pricing_it_alone_takes_off(
    order: dict[str, Any]
) -> None:
    start = _start(order)
    member = order["cart"].member.id
    for c in order["coupons"]:
        t = c.template
        if t.stage is not Stage.COUPON or precheck(c, member, NOW) is not None:
            continue
        probe = start.dry_copy()
        apply_coupon_fen(probe, c, True)
        taken = sum(a.amount for a in probe.adjustments[len(start.adjustments):])
        quick = t.solo_fen(start, c) if solos_in_fen(t) else None
        # A number is exactly the probe's; None only where the probe is needed.
        assert quick is None or quick == taken
        if taken == 0:
            assert quick is None
        elif isinstance(t.condition, Always) and solos_in_fen(t):
            assert quick == taken


def test_the_solo_shortcut_answers_for_every_built_in_goods_coupon() -> None:
    c = cart(("A", 300, 2), ("B", 80, 1), member=GOLD)
    fs = FenState(FenCart(c, NOW), ())
    kinds = [
        AmountOffCoupon("a", validity=MONTH, off=y(20), threshold=y(200)),
        PercentOffCoupon("p", validity=MONTH, rate="0.9", cap=y(30)),
        NoThresholdCoupon("n", validity=MONTH, off=y(5)),
        ExchangeCoupon("x", validity=MONTH, sku="A"),
        # No more than the lines it covers: B is 80 yuan.
        NoThresholdCoupon("b", validity=MONTH, off=y(100), scope=ItemScope(skus=frozenset({"B"}))),
    ]
    assert [t.solo_fen(fs, claim(t.id, t)) for t in kinds] == [
        2_000, 3_000, 500, 30_000, 8_000,
    ]
    assert all(solos_in_fen(t) for t in kinds)
    # Below the threshold it takes nothing, and only pricing it says why.
    big = AmountOffCoupon("big", validity=MONTH, off=y(50), threshold=y(1_000))
    assert big.solo_fen(fs, claim("big", big)) is None


@attrs.frozen(slots=True)
class _OwnExchange(ExchangeCoupon):
    """A host's own fen pricing of a built-in coupon, without its own solo shortcut."""

    def price_fen(self, fs: FenState, coupon: Coupon) -> None:
        super().price_fen(fs, coupon)


def test_a_coupon_that_prices_in_fen_its_own_way_is_not_asked_for_a_shortcut() -> None:
    assert not solos_in_fen(_OwnExchange("o", validity=MONTH, sku="A"))
    assert solos_in_fen(ExchangeCoupon("x", validity=MONTH, sku="A"))
