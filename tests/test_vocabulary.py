"""One vocabulary: a public class has one name in the whole package and one import path.

The classes are enumerated from the package (every sirui module's
``__all__``), so a new class cannot be forgotten. A class's canonical import
path is the package its wire name names (`sirui.core.registry.wire_name`:
the shallowest public package on its own module path that exports it), and
every docs page, the README and the reference service import each class from
there. Renamed classes and moved names stay importable for one release with
a `DeprecationWarning`, and documents stored under an old wire name still
load.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest

import sirui
from sirui.config import dump, load, loads_json
from sirui.core import ConfigError
from sirui.core.registry import _derive_wire_name, wire_name

ROOT = Path(__file__).resolve().parents[1]
_SKIP = ("sirui.cli", "sirui.__main__", "sirui.money", "sirui.errors")  # last two: deprecated


def _public() -> dict[type[Any], set[str]]:
    """Every public sirui class, with the modules whose ``__all__`` export it."""
    found: dict[type[Any], set[str]] = {}
    for info in pkgutil.walk_packages(sirui.__path__, "sirui."):
        if info.name.startswith(_SKIP):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if inspect.isclass(obj) and obj.__module__.startswith("sirui."):
                found.setdefault(obj, set()).add(info.name)
    return found


PUBLIC = _public()


def canonical(cls: type[Any]) -> str:
    """The package a class is imported from: its wire path without the class name."""
    return "sirui." + _derive_wire_name(cls)[0].rpartition(".")[0]


def test_there_are_enough_classes_for_the_checks_to_mean_something() -> None:
    assert len(PUBLIC) > 500


def test_no_two_public_classes_share_a_name() -> None:
    by_name: dict[str, list[str]] = {}
    for cls in PUBLIC:
        by_name.setdefault(cls.__name__, []).append(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {n: sorted(v) for n, v in by_name.items() if len(v) > 1}
    assert clashes == {}, "rename one of each pair (keep the old name one release via renamed())"


def test_wire_names_are_unique_and_qualified() -> None:
    by_wire: dict[str, type[Any]] = {}
    for cls in PUBLIC:
        name = wire_name(cls)
        assert by_wire.setdefault(name, cls) is cls, f"{name} names two classes"
        assert "." in name, name


def test_each_class_is_exported_by_its_canonical_package() -> None:
    for cls, modules in PUBLIC.items():
        home = canonical(cls)
        assert home in modules, f"{cls.__qualname__}: {home} does not export it ({modules})"


# -- the docs import from the canonical path --------------------------------------------------

_IMPORT = re.compile(r"^[ \t]*from (sirui[\w.]*) import (?:\(([^()]*)\)|([^()\n]*))$", re.M)


def _imports(text: str) -> list[tuple[str, str]]:
    out = []
    for m in _IMPORT.finditer(text):
        body = re.sub(r"#[^\n]*", "", m.group(2) if m.group(2) is not None else m.group(3))
        for item in body.replace("\n", ",").split(","):
            if item.strip():
                out.append((m.group(1), item.split(" as ")[0].strip()))
    return out


_SOURCES = sorted(
    [*ROOT.glob("docs/**/*.md"), ROOT / "README.md", *ROOT.glob("examples/**/*.py")]
)


@pytest.mark.parametrize("path", _SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_import_every_class_from_its_canonical_path(path: Path) -> None:
    wrong = []
    for module, name in _imports(path.read_text(encoding="utf-8")):
        if module.startswith(_SKIP):
            continue
        obj = getattr(importlib.import_module(module), name, None)
        assert obj is not None, f"{path.name}: {module} has no {name}"
        home = canonical(obj) if inspect.isclass(obj) else module
        if inspect.isclass(obj) and module != home:
            wrong.append(f"from {module} import {name} -> from {canonical(obj)} import {name}")
    assert wrong == []


def test_the_docs_check_catches_a_private_path() -> None:
    text = "from sirui.core.money import Money\nfrom sirui.core import (\n    Cart,  # x\n)\n"
    assert _imports(text) == [("sirui.core.money", "Money"), ("sirui.core", "Cart")]
    from sirui.core.money import Money

    assert canonical(Money) == "sirui.core" != "sirui.core.money"


# -- old names: one release with a warning ----------------------------------------------------

RENAMED = {
    "sirui.campaigns.groupbuy": {"MemberJoined": "GroupMemberJoined"},
    "sirui.campaigns.assist": {"TaskCompleted": "AssistCompleted"},
    "sirui.campaigns.lottery": {"SimulationResult": "LotterySimulation"},
    "sirui.campaigns.seckill": {"Refund": "SeckillRefund"},
    "sirui.commission": {
        "Metric": "CompetitionMetric",
        "PaidLine": "CommissionOrderLine",
        "PaidOrder": "CommissionOrder",
        "Refund": "CommissionRefund",
        "Tier": "TargetTier",
        "TierLadder": "TargetLadder",
    },
    "sirui.loyalty.members": {"Metric": "TierMetric"},
    "sirui.loyalty.points": {"PaidLine": "EarningLine"},
    "sirui.simulate.experiments": {"Metric": "ExperimentMetric"},
    # Strategies named after the classes they draw.
    "sirui.testing.commission": {
        "paid_lines": "commission_order_lines", "paid_orders": "commission_orders",
    },
}


@pytest.mark.parametrize(
    ("package", "old", "new"),
    [(p, o, n) for p, names in RENAMED.items() for o, n in names.items()],
)
def test_a_renamed_class_keeps_its_old_name_one_release(package: str, old: str, new: str) -> None:
    module = importlib.import_module(package)
    said = re.escape(f"{package}.{old} is now {package}.{new}")
    with pytest.warns(DeprecationWarning, match=said):
        assert getattr(module, old) is getattr(module, new)
    assert old not in module.__all__


def test_a_document_stored_under_an_old_wire_name_still_loads() -> None:
    from sirui.commission import TargetTier

    doc = dump(TargetTier("0.8", "0.02"))
    assert doc["type"] == "commission.TargetTier"
    old = {**doc, "type": "commission.Tier"}
    assert load(old) == load(doc) == TargetTier("0.8", "0.02")
    assert load(old, TargetTier) == TargetTier("0.8", "0.02")
    with pytest.raises(ConfigError, match=r"commission\.Nope"):
        loads_json('{"type": "commission.Nope"}')


def test_moved_names_warn_and_name_their_new_home() -> None:
    with pytest.warns(DeprecationWarning, match=re.escape("sirui.Money is now sirui.core.Money")):
        from sirui import Money  # noqa: F401
    moved = re.escape("sirui.config.ConfigError is now sirui.core")
    with pytest.warns(DeprecationWarning, match=moved):
        from sirui.config import ConfigError as Old
    assert Old is ConfigError
    for shortcut in ("sirui.money", "sirui.errors"):
        import sys

        sys.modules.pop(shortcut, None)
        with pytest.warns(DeprecationWarning, match=re.escape(f"{shortcut} is deprecated")):
            importlib.import_module(shortcut)
