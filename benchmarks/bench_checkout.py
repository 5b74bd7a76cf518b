"""Checkout benchmarks: quotes with promotions, best coupon combination, refunds, oscar peer.

``import_checkout`` times ``from sirui.checkout import quote`` in a fresh
interpreter against ``import pendulum, attrs, cattrs`` timed the same way:
the libraries sirui stands on. The child times its own import (start-up
excluded) in CPU time, the two imports are measured in alternating pairs,
so other work on the machine does not skew one side, and both run with
their bytecode cached, as an installed package runs (the cache lives in a
temporary directory, filled by one untimed run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import pendulum

from _harness import Case
from sirui.checkout import Quote, ShippingPolicy, quote, refund
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Member, Sku
from sirui.core.windows import DaysAfterClaim
from sirui.promotions import (
    AmountOffCoupon,
    Coupon,
    ExchangeCoupon,
    FreeShippingCoupon,
    FreeShippingOver,
    FullReduction,
    MemberPrice,
    NoThresholdCoupon,
    NthItemDiscount,
    PercentageDiscount,
    PercentOffCoupon,
    ReductionTier,
    TierRate,
)
from sirui.rules import ItemScope

NOW = pendulum.datetime(2026, 11, 11, 10, 5, tz="Asia/Shanghai")
MEMBER = Member("m001", tier="gold", paid_orders=3)
CATEGORIES = ("母婴/奶粉", "母婴/纸尿裤", "母婴/辅食", "洗护/沐浴")


def sample_cart() -> Cart:
    """20 lines of 1-3 units, 9.90 to 299 yuan, over four categories."""
    lines = []
    for i in range(20):
        price = Money(990 + (i * 1459) % 29000)
        sku = Sku(f"SKU{i:02d}", price, category=CATEGORIES[i % 4], name=f"item {i}")
        lines.append(Line(f"L{i:02d}", sku, 1 + i % 3))
    return Cart(MEMBER, tuple(lines), store="S01")


def five_promotions() -> list[Any]:
    y = Money.of
    return [
        MemberPrice("gold-98", rates=[TierRate("gold", "0.98")]),
        FullReduction(
            "tiered", tiers=[ReductionTier(y("199"), y("20")), ReductionTier(y("299"), y("40")),
                             ReductionTier(y("499"), y("80"))],
        ),
        NthItemDiscount(
            "diaper-2nd-half", n=2, rate="0.5",
            scope=ItemScope(categories=frozenset({"母婴/纸尿裤"})),
        ),
        PercentageDiscount(
            "food-95", rate="0.95", scope=ItemScope(categories=frozenset({"母婴/辅食"})),
        ),
        FreeShippingOver("ship-99", threshold=y("99")),
    ]


def wallet(n: int) -> list[Coupon]:
    """``n`` coupons of mixed kinds: store amount-off, percent, item, exchange, shipping."""
    y, v = Money.of, DaysAfterClaim(30)
    kinds: list[Callable[[int], Any]] = [
        lambda i: AmountOffCoupon(f"amt{i}", validity=v, off=y(str(10 + i * 5)),
                                  threshold=y(str(100 + i * 60))),
        lambda i: PercentOffCoupon(f"pct{i}", validity=v, rate=f"0.{90 + i % 9}",
                                   cap=y(str(30 + i))),
        lambda i: NoThresholdCoupon(
            f"item{i}", validity=v, off=y(str(5 + i)), slot="item",
            scope=ItemScope(categories=frozenset({CATEGORIES[i % 4]})),
        ),
        lambda i: ExchangeCoupon(f"ex{i}", validity=v, sku=f"SKU{(i * 7) % 20:02d}"),
        lambda i: FreeShippingCoupon(f"ship{i}", validity=v),
    ]
    claimed = NOW.subtract(days=2)
    return [
        Coupon.claimed(f"c{i:02d}", kinds[i % len(kinds)](i), MEMBER.id, claimed)
        for i in range(n)
    ]


def _quote_case(n_coupons: int) -> Callable[[], Callable[[], Quote]]:
    def setup() -> Callable[[], Quote]:
        cart, promos, coupons = sample_cart(), five_promotions(), wallet(n_coupons)
        ship = ShippingPolicy()
        quote(cart, NOW, promotions=promos, coupons=coupons, shipping=ship)  # warm caches
        return lambda: quote(cart, NOW, promotions=promos, coupons=coupons, shipping=ship)

    return setup


def _refund_case() -> Callable[[], object]:
    cart = sample_cart()
    q = quote(cart, NOW, promotions=five_promotions(), coupons=wallet(20),
              shipping=ShippingPolicy())
    first = refund(q, {"L03": 1})
    returns = {"L05": 1, "L11": 2}
    return lambda: refund(q, returns, [first])


def _oscar_case() -> Callable[[], object]:
    import _oscar_peer  # raises ImportError when django-oscar is not installed

    return _oscar_peer.setup(sample_cart())


_IMPORTS = {
    "checkout": "from sirui.checkout import quote",
    "deps": "import pendulum, attrs, cattrs",
}
_MEASURED: dict[str, list[float]] = {"checkout": [], "deps": []}
"""Times measured alongside the other import, waiting for the other case."""


def _import_time(which: str) -> float:
    code = (
        f"import time; t=time.process_time(); {_IMPORTS[which]}; "
        "print(time.process_time()-t)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "sirui-bench-pycache")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return float(out.stdout)


def _import_timer(which: str) -> Callable[[], float]:
    """Each repeat times both imports, one after the other, in alternating order.

    The other case's time is kept for it, so the two medians come from the
    same moments and a change in the machine's load cannot skew their ratio.
    """
    other = "deps" if which == "checkout" else "checkout"
    turn: list[int] = []

    def timer() -> float:
        if _MEASURED[which]:
            return _MEASURED[which].pop(0)
        if not turn:  # fill the bytecode caches, untimed
            _import_time(which)
            _import_time(other)
        turn.append(1)
        if len(turn) % 2:
            mine, theirs = _import_time(which), _import_time(other)
        else:
            theirs, mine = _import_time(other), _import_time(which)
        _MEASURED[other].append(theirs)
        return mine

    return timer


def cases(quick: bool) -> list[Case]:
    return [
        Case("quote_20_lines_5_promotions", setup=_quote_case(0)),
        Case("quote_best_of_20_coupons", setup=_quote_case(20)),
        Case("quote_best_of_50_coupons", setup=_quote_case(50)),
        Case("refund_partial", setup=_refund_case),
        Case("oscar_quote", setup=_oscar_case, repeats=3 if quick else 5),
        Case("import_checkout", timer=_import_timer("checkout"), repeats=5 if quick else 11),
        Case("import_deps", timer=_import_timer("deps"), repeats=5 if quick else 11),
    ]


def ratios(medians: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    sirui, oscar = medians.get("quote_20_lines_5_promotions"), medians.get("oscar_quote")
    if sirui and oscar:
        out["oscar_over_sirui_quote"] = oscar / sirui
    checkout, deps = medians.get("import_checkout"), medians.get("import_deps")
    if checkout and deps:
        out["import_checkout_over_deps"] = checkout / deps
    return out
