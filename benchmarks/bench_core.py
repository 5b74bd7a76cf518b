"""Foundation benchmarks: money, conditions, config loading, import time."""

from __future__ import annotations

import subprocess
import sys

import pendulum

from _harness import Case
from sirui.config import dump, load_document
from sirui.core.money import Money
from sirui.core.nouns import Cart, Line, Member, Sku
from sirui.core.windows import Window
from sirui.rules import AmountAtLeast, CategoryIn, Facts, NewCustomer, TierIn, WithinWindow


def _condition_case() -> object:
    member = Member("m1", tier="gold", paid_orders=2)
    lines = tuple(
        Line(f"L{i}", Sku(f"s{i}", Money(1000 + i), category="母婴/奶粉"), 1) for i in range(20)
    )
    cart = Cart(member, lines, store="S01")
    now = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
    window = Window(now.subtract(days=1), now.add(days=1))
    rule = (
        TierIn(frozenset({"gold", "diamond"}))
        & AmountAtLeast(Money.of("199"))
        & CategoryIn(frozenset({"母婴/奶粉"}))
        & WithinWindow(window)
    ) | NewCustomer()
    facts = Facts.of_cart(cart, now)
    return lambda: rule.evaluate(facts)


def _config_doc() -> list[dict[str, object]]:
    now = pendulum.datetime(2026, 11, 11, tz="Asia/Shanghai")
    policies = []
    for i in range(50):
        rule = (
            TierIn(frozenset({"gold", f"t{i}"}))
            & AmountAtLeast(Money(100 * i))
            & WithinWindow(Window(now, now.add(days=i + 1)))
        ) | NewCustomer()
        policies.append(dump(rule))
    return policies


def _config_case() -> object:
    doc = {"policies": _config_doc()}
    return lambda: load_document(doc)


def _import_time() -> float:
    """``import sirui`` in a fresh interpreter, timed by the child (start-up excluded)."""
    code = "import time; t=time.perf_counter(); import sirui; print(time.perf_counter()-t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def cases(quick: bool) -> list[Case]:
    a, b = Money.of("123.45"), Money.of("67.89")
    weights = [Money(100 * i + 7) for i in range(1, 21)]
    forty = Money.of("40")
    return [
        Case("money_add", fn=lambda: a + b),
        Case("money_allocate_20", fn=lambda: forty.allocate(weights)),
        Case("condition_evaluate", setup=_condition_case),  # type: ignore[arg-type]
        Case("config_load_50_policies", setup=_config_case),  # type: ignore[arg-type]
        Case("import_sirui", timer=_import_time),
    ]
