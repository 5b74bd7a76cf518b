"""Public surfaces: __all__ lists exactly what a package exports, and it all exists."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = [
    "sirui",
    "sirui.core",
    "sirui.rules",
    "sirui.config",
    "sirui.testing",
]
OPTIONAL = [
    "sirui.promotions",
    "sirui.checkout",
    "sirui.loyalty.members",
    "sirui.loyalty.points",
    "sirui.commission",
    "sirui.simulate",
    "sirui.campaigns.lottery",
    "sirui.campaigns.red_packet",
    "sirui.campaigns.seckill",
    "sirui.campaigns.limited_time",
    "sirui.campaigns.groupbuy",
    "sirui.campaigns.bargain",
    "sirui.campaigns.subscription",
    "sirui.campaigns.assist",
]


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return False
        raise
    return True


@pytest.mark.parametrize("name", PACKAGES + OPTIONAL)
def test_all_names_exist(name: str) -> None:
    if not _importable(name):
        pytest.skip(f"{name} is not built yet")
    mod = importlib.import_module(name)
    exported = getattr(mod, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ has duplicates"
    for attr in exported:
        assert hasattr(mod, attr), f"{name}.__all__ names missing {attr}"


def test_import_sirui_is_lazy_and_cheap() -> None:
    code = (
        "import sys, sirui; "
        "print(sorted(m for m in sys.modules if m.startswith(('pendulum', 'cattrs'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    import sirui

    with pytest.raises(AttributeError):
        _ = sirui.Nope  # type: ignore[attr-defined]
    assert sirui.__all__ == ["__version__"]  # names come from their packages (test_vocabulary)
