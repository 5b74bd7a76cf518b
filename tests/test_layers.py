"""The layering of DESIGN.md: imports only go downward; the domain does no I/O.

Layers: core (0) < rules (1) < mechanics (2) < checkout (3) < edges (4).
Mechanics do not import each other. Rules and mechanics read no clock, no
global random generator, no files.
"""

from __future__ import annotations

import ast
import re
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


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


_MODULE_PATH = re.compile(r"^sirui(\.[A-Za-z_]\w*)*$")


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (SRC.parent / rel).is_dir() or (SRC.parent / rel.with_suffix(".py")).is_file()


@pytest.mark.parametrize(
    "path", [p for p in MODULES if _unit(_module_name(p)) in ("sirui.core", "sirui.config")],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_core_names_no_higher_package_by_string(path: Path) -> None:
    """The core and the codec find the packages above them through entry points, never by a
    hard-coded name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in skip and _MODULE_PATH.match(node.value)
                and _is_module(node.value)):
            assert LAYERS[_unit(node.value)] == 0, (
                f"{_module_name(path)}:{node.lineno} names {node.value!r}; declare it as an "
                "entry point in pyproject.toml instead"
            )


def test_the_core_string_check_can_fail() -> None:
    tree = ast.parse('"""doc naming sirui.promotions"""\nX = {"promotion": "sirui.promotions"}\n')
    skip = _docstrings(tree)
    named = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
             and id(n) not in skip and _MODULE_PATH.match(str(n.value)) and _is_module(n.value)]
    assert named == ["sirui.promotions"]
    assert LAYERS[_unit("sirui.promotions")] > 0


def test_every_policy_prefix_has_an_entry_point() -> None:
    from sirui.core import registry

    modules = registry.policy_modules()
    registry.load_builtins()
    prefixes = {tag.split(".", 1)[0] for tag in registry.policy_types()}
    assert prefixes <= set(modules), prefixes - set(modules)


def test_the_schema_export_covers_every_domain_package() -> None:
    """`sirui schema --all` walks the packages of the ``sirui.schemas`` entry points: every
    package of layers 0 to 3 (the shortcut modules aside), and not the analyst's edge."""
    from importlib.metadata import entry_points

    from sirui.config._schema import SCHEMA_GROUP

    declared = {p.value for p in entry_points(group=SCHEMA_GROUP)}
    domain = {u for u, level in LAYERS.items() if level <= 3 and _is_package(u)}
    assert declared == domain


def _is_package(name: str) -> bool:
    return (SRC.parent / Path(*name.split("."))).is_dir()


def _all_imports(path: Path) -> set[str]:
    """Every sirui module a file imports, at any depth (TYPE_CHECKING and function bodies too)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:  # `from sirui.checkout import _render` imports the submodule
                sub = f"{node.module}.{a.name}"
                out.add(sub if _is_module(sub) else node.module)
    return {m for m in out if m.startswith("sirui")}


def _two_module_circles(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    def is_package_of(a: str, b: str) -> bool:  # a package importing its own parts is no circle
        return b.startswith(a + ".") or a.startswith(b + ".")

    return sorted(
        (a, b) for a, deps in graph.items() for b in deps
        if a < b and a in graph.get(b, set()) and not is_package_of(a, b)
    )


def test_no_two_modules_import_each_other() -> None:
    graph = {_module_name(p): _all_imports(p) for p in MODULES}
    assert _two_module_circles(graph) == []


def test_the_circle_check_can_fail() -> None:
    graph = {"sirui.a.x": {"sirui.a.y"}, "sirui.a.y": {"sirui.a.x"}, "sirui.a": {"sirui.a.x"}}
    assert _two_module_circles(graph) == [("sirui.a.x", "sirui.a.y")]
