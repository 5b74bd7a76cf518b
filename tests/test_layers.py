"""The layering of DESIGN.md: imports only go downward; the domain does no I/O.

Layers: core (0) < rules (1) < mechanics (2) < checkout (3) < edges (4).
Mechanics do not import each other. Rules and mechanics read no clock, no
global random generator, no files.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "sirui"

LAYERS = {
    "sirui.core": 0,
    "sirui.config": 0,
    "sirui.errors": 0,
    "sirui.money": 0,
    "sirui.rules": 1,
    "sirui.promotions": 2,
    "sirui.loyalty": 2,
    "sirui.campaigns": 2,
    "sirui.commission": 2,
    "sirui.checkout": 3,
    "sirui.simulate": 4,
    "sirui.cli": 4,
    "sirui._demo": 4,
    "sirui.testing": 4,
    "sirui": 4,
}
MECHANICS = ("sirui.promotions", "sirui.loyalty", "sirui.campaigns", "sirui.commission")
DOMAIN_LAYERS = {1, 2, 3}
FORBIDDEN_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("pendulum", "now"),
    ("pendulum", "today"),
    ("time", "time"),
    ("random", "random"),
    ("random", "randint"),
    ("random", "choice"),
    ("random", "shuffle"),
    ("random", "uniform"),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _unit(name: str) -> str:
    best = "sirui"
    for key in LAYERS:
        if (name == key or name.startswith(key + ".")) and len(key) > len(best):
            best = key
    return best


def _mechanic(name: str) -> str | None:
    for m in MECHANICS:
        if name == m or name.startswith(m + "."):
            return m
    return None


MODULES = sorted(SRC.rglob("*.py"))


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_only_go_down(path: Path) -> None:
    name = _module_name(path)
    own = LAYERS[_unit(name)]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for lineno, target in _imports(tree):
        if not target.startswith("sirui"):
            continue
        their = LAYERS[_unit(target)]
        assert their <= own, f"{name}:{lineno} imports {target} from a higher layer"
        mine, theirs = _mechanic(name), _mechanic(target)
        if mine and theirs:
            assert mine == theirs, f"{name}:{lineno}: mechanics must not import each other"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_domain_reads_no_clock_randomness_or_files(path: Path) -> None:
    name = _module_name(path)
    if LAYERS[_unit(name)] not in DOMAIN_LAYERS:
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            base_name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
            assert (base_name, node.func.attr) not in FORBIDDEN_CALLS, (
                f"{name}:{node.lineno} calls {base_name}.{node.func.attr}; pass now/rng instead"
            )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id != "open", f"{name}:{node.lineno} opens a file"
