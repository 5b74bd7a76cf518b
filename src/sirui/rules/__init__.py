"""The rules core: reasons, outcomes, conditions and item scopes.

Every mechanic speaks these: a `Condition` decides eligibility and says why
not; an `ItemScope` says which items a rule covers; a `Reason` explains any
decision in Chinese and English; an `Outcome` is what a state-machine command
returns.

Names and modules load on first access, so ``import sirui.rules.pricing``
costs only what pricing needs. What the config relies on is loaded whenever
the config is (with this package if the config is already loaded, else right
after it): the condition and scope policy types, which the registry finds
among loaded modules, and `sirui.rules.outcome`, which registers the
`Reason` codec, so a `Reason` never reaches the config without its codec.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "sirui.rules.commandlog": (
        "CommandLog", "LoggedCommand", "LogPruned", "PruneLog", "command_id", "transition",
    ),
    "sirui.rules.conditions": (
        "AllOf", "Always", "AmountAtLeast", "AnyOf", "CategoryIn", "ChannelIn", "Condition",
        "Facts", "FulfillmentIs", "HasTag", "InMemberWeek", "NewCustomer", "Not", "OnMemberDay",
        "QuantityAtLeast", "SkuIn", "StoreIn", "TierIn", "Verdict", "WithinWindow",
    ),
    "sirui.rules.diagrams": ("state_diagram",),
    "sirui.rules.outcome": ("Accepted", "Event", "Outcome", "Rejected", "event_to_dict"),
    "sirui.rules.pricing": (
        "SHIPPING_LINE", "Adjustment", "NotApplied", "PricedLine", "PriceState", "PricingStep",
        "Stage", "allocate_off",
    ),
    "sirui.rules.reasons": ("CATALOGUE", "Reason", "ReasonCode", "reason_code"),
    "sirui.rules.scope": ("ItemScope",),
}
_LAZY = {name: module for module, names in _EXPORTS.items() for name in names}

if TYPE_CHECKING:
    from sirui.rules.commandlog import (
        CommandLog,
        LoggedCommand,
        LogPruned,
        PruneLog,
        command_id,
        transition,
    )
    from sirui.rules.conditions import (
        AllOf,
        Always,
        AmountAtLeast,
        AnyOf,
        CategoryIn,
        ChannelIn,
        Condition,
        Facts,
        FulfillmentIs,
        HasTag,
        InMemberWeek,
        NewCustomer,
        Not,
        OnMemberDay,
        QuantityAtLeast,
        SkuIn,
        StoreIn,
        TierIn,
        Verdict,
        WithinWindow,
    )
    from sirui.rules.diagrams import state_diagram
    from sirui.rules.outcome import Accepted, Event, Outcome, Rejected, event_to_dict
    from sirui.rules.pricing import (
        SHIPPING_LINE,
        Adjustment,
        NotApplied,
        PricedLine,
        PriceState,
        PricingStep,
        Stage,
        allocate_off,
    )
    from sirui.rules.reasons import CATALOGUE, Reason, ReasonCode, reason_code
    from sirui.rules.scope import ItemScope

__all__ = [
    "CATALOGUE",
    "SHIPPING_LINE",
    "Accepted",
    "Adjustment",
    "AllOf",
    "Always",
    "AmountAtLeast",
    "AnyOf",
    "CategoryIn",
    "ChannelIn",
    "CommandLog",
    "Condition",
    "Event",
    "Facts",
    "FulfillmentIs",
    "HasTag",
    "InMemberWeek",
    "ItemScope",
    "LogPruned",
    "LoggedCommand",
    "NewCustomer",
    "Not",
    "NotApplied",
    "OnMemberDay",
    "Outcome",
    "PriceState",
    "PricedLine",
    "PricingStep",
    "PruneLog",
    "QuantityAtLeast",
    "Reason",
    "ReasonCode",
    "Rejected",
    "SkuIn",
    "Stage",
    "StoreIn",
    "TierIn",
    "Verdict",
    "WithinWindow",
    "allocate_off",
    "command_id",
    "event_to_dict",
    "reason_code",
    "state_diagram",
    "transition",
]

_WITH_CONFIG = ("sirui.rules.conditions", "sirui.rules.scope", "sirui.rules.outcome")
"""What the config needs of this package: the condition and scope policy types
(the registry finds a tag's class among loaded modules) and the `Reason` codec."""


def _load_for_config() -> None:
    for module in _WITH_CONFIG:
        importlib.import_module(module)


class _AfterConfig(importlib.abc.MetaPathFinder):
    """Runs `_load_for_config` as soon as `sirui.config` has loaded, then steps aside."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "sirui.config":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module: Any) -> None:
            run(module)
            _load_for_config()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if "sirui.config" in sys.modules:
    _load_for_config()
elif not any(isinstance(f, _AfterConfig) for f in sys.meta_path):
    sys.meta_path.insert(0, _AfterConfig())

_SUBMODULES = frozenset(
    {"commandlog", "conditions", "diagrams", "outcome", "pricing", "reasons", "scope"}
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sirui.rules' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
