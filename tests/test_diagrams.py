"""Every state diagram in the docs is the one drawn from its transition table today."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from sirui.rules.diagrams import state_diagram

ROOT = Path(__file__).resolve().parent.parent
DIAGRAMS = [
    ("docs/mechanics/coupons.md", "sirui.promotions", "TRANSITIONS"),
    ("docs/mechanics/groupbuy.md", "sirui.campaigns.groupbuy", "GROUP_TRANSITIONS"),
    ("docs/mechanics/bargain.md", "sirui.campaigns.bargain", "BARGAIN_TRANSITIONS"),
    ("docs/mechanics/bargain.md", "sirui.campaigns.assist", "ASSIST_TRANSITIONS"),
    ("docs/mechanics/seckill.md", "sirui.campaigns.seckill", "TRANSITIONS"),
    ("docs/mechanics/lottery.md", "sirui.campaigns.lottery", "CLAIM_TRANSITIONS"),
    ("docs/mechanics/settlement.md", "sirui.commission", "TRANSITIONS"),
    ("docs/mechanics/subscription.md", "sirui.campaigns.subscription", "PLAN_TRANSITIONS"),
    ("docs/mechanics/subscription.md", "sirui.campaigns.subscription", "DELIVERY_TRANSITIONS"),
]
MERMAID = re.compile(r"^```mermaid\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize(("page", "module", "name"), DIAGRAMS)
def test_docs_diagram_matches_the_table(page: str, module: str, name: str) -> None:
    expected = state_diagram(getattr(importlib.import_module(module), name))
    found = [m.group(1).rstrip("\n") for m in MERMAID.finditer((ROOT / page).read_text("utf-8"))]
    assert expected in found, f"{page}: regenerate with state_diagram({module}.{name})"


def test_targets_that_are_not_states_are_left_out() -> None:
    import enum

    class S(enum.Enum):
        A = "a"

    assert state_diagram({(S.A, "x"): S.A, (S.A, "y"): print}) == (
        "stateDiagram-v2\n    A --> A: x"
    )
