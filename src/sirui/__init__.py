"""sirui: private-domain retail rules (私域零售) as immutable, explainable policies.

``import sirui`` is cheap: the most used names are loaded on first access.
Mechanics live in subpackages (`sirui.promotions`, `sirui.loyalty`,
`sirui.campaigns`, `sirui.commission`, `sirui.checkout`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Money": "sirui.core.money",
    "Rounding": "sirui.core.money",
    "SiruiError": "sirui.core.errors",
    "Window": "sirui.core.windows",
    "Member": "sirui.core.nouns",
    "Sku": "sirui.core.nouns",
    "Line": "sirui.core.nouns",
    "Cart": "sirui.core.nouns",
    "Order": "sirui.core.nouns",
    "Reason": "sirui.rules.reasons",
}

__all__ = ["__version__", *sorted(_LAZY)]

if TYPE_CHECKING:
    from sirui.core.errors import SiruiError
    from sirui.core.money import Money, Rounding
    from sirui.core.nouns import Cart, Line, Member, Order, Sku
    from sirui.core.windows import Window
    from sirui.rules.reasons import Reason


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sirui' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
