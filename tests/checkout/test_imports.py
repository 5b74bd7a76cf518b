"""Importing the checkout loads only what a quote needs, and nothing it did before is lost."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_importing_quote_loads_no_promotions_config_or_cattrs() -> None:
    loaded = _run(
        "import sys; from sirui.checkout import quote; "
        "print(sorted({m.split('.')[0] if m == 'cattrs' or m.startswith('cattrs.') else m "
        "for m in sys.modules if m.startswith(('cattrs', 'sirui.promotions', 'sirui.config', "
        "'sirui.rules.commandlog', 'sirui.rules.outcome'))}))"
    )
    assert loaded == "[]"


def test_the_config_still_finds_every_rules_type_and_the_reason_codec() -> None:
    # Whichever of the rules and the config loads first.
    for first in ("from sirui.rules import Reason", "import sirui.config"):
        out = _run(
            f"{first}; from sirui.rules import Reason; from sirui.config import dump, loads_json; "
            "print(dump(Reason('a.b', (('x', 1),)))['params'], "
            "loads_json('{\"type\": \"condition.tier_in\", \"tiers\": [\"gold\"]}'))"
        )
        assert out == "{'x': 1} TierIn(tiers=frozenset({'gold'}))", first


def test_rules_submodules_are_attributes_of_the_package() -> None:
    assert _run(
        "import sirui.rules as r; print(r.conditions.Always.__name__, r.commandlog.__name__)"
    ) == "Always sirui.rules.commandlog"


def test_refunds_load_when_first_named_and_their_policy_loads_from_a_document() -> None:
    out = _run(
        "import sys; from sirui.checkout import quote; "
        "print('sirui.checkout.refunds' in sys.modules); "
        "from sirui.checkout import RefundPolicy, refund; "
        "print(RefundPolicy.__module__, refund.__name__)"
    )
    assert out == "False\nsirui.checkout.refunds refund"
    # A fresh interpreter finds the refund policy's tag in a document without naming it.
    from sirui.checkout import RefundPolicy
    from sirui.config import dumps_json

    text = dumps_json(RefundPolicy(), indent=None)
    out = _run(f"from sirui.config import loads_json; print(type(loads_json({text!r})).__name__)")
    assert out == "RefundPolicy"
