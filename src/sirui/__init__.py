"""sirui: private-domain retail rules (私域零售) as immutable, explainable policies.

``import sirui`` is cheap. Every public name has one import path, the
package its wire name names (`sirui.config.wire_name`): the nouns, `Money`
and the errors come from `sirui.core`, `Reason` from `sirui.rules`.
Mechanics live in subpackages (`sirui.promotions`, `sirui.loyalty`,
`sirui.campaigns`, `sirui.commission`, `sirui.checkout`).
"""

from __future__ import annotations

import importlib
import warnings
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

__all__ = ["__version__"]

if TYPE_CHECKING:
    from sirui.core.errors import SiruiError as SiruiError
    from sirui.core.money import Money as Money
    from sirui.core.money import Rounding as Rounding
    from sirui.core.nouns import Cart as Cart
    from sirui.core.nouns import Line as Line
    from sirui.core.nouns import Member as Member
    from sirui.core.nouns import Order as Order
    from sirui.core.nouns import Sku as Sku
    from sirui.core.windows import Window as Window
    from sirui.rules.reasons import Reason as Reason


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sirui' has no attribute {name!r}")
    home = module.rpartition(".")[0]  # the package that exports it: sirui.core, sirui.rules
    warnings.warn(
        f"sirui.{name} is now {home}.{name}; import it from there "
        "(the old path goes in the next release)",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(globals())
