"""Every public attrs class of sirui saves to JSON text and loads back equal.

The classes are enumerated from the package (every module's ``__all__``),
so a new class cannot be forgotten. Values come from three sources:

* the docs: every ```python block of ``docs/`` and the README is run, page
  by page, and every attrs value reachable from the page's namespace is
  collected (through attrs fields, tuples, mappings, persistent maps, command
  logs, outcomes);
* the `sirui.testing` strategies, drawn deterministically;
* the machine conformance cases (``tests/machine_cases_*.py``): their states
  and commands, and the outcomes of their commands;
* for a class none of those produce (most often a command or an event no
  example shows), values built from its field types (`built_from_types`),
  with the values above for nested classes.

A class that no source produces fails `test_every_public_class_has_values`
with its name, unless `NOT_PRODUCED` lists it with the reason;
`BUILT_ONLY` lists those only the last source reaches (each one a doc
example or a strategy to write).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import importlib
import inspect
import io
import json
import pkgutil
import re
import typing
import warnings
from collections import defaultdict
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import sirui
from sirui import testing as sirui_st
from sirui.config import (
    dump,
    dumps_json,
    json_schema,
    load,
    loads_json,
    tag_of,
    wire_name,
)
from sirui.core import ConfigError
from sirui.core.money import Money
from sirui.core.persistent import PMap, SortedRun
from sirui.core.registry import families, members_of, resolve_wire
from sirui.core.windows import DateTime
from sirui.rules import CommandLog, Reason, reason_code

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)
SKIP_MODULES = ("sirui.__main__", "sirui.money", "sirui.errors")  # deprecated shortcuts
CASE_MODULES = (
    "machine_cases_promotions",
    "machine_cases_loyalty",
    "machine_cases_campaigns",
    "machine_cases_commission",
)

#: Abstract bases: only their registered subclasses exist as values.
NOT_PRODUCED: dict[str, str] = {
    "sirui.promotions.PromotionBase": "abstract base of the promotion policies",
    "sirui.promotions.CouponTemplateBase": "abstract base of the coupon templates",
}

#: The analyst's edge: results that hold pandas frames or numpy arrays, built
#: and read in a notebook or a Dask worker, never stored through the codec.
NOT_JSON: dict[str, str] = {
    "sirui.simulate.SimulationResult": "holds pandas DataFrames",
    "sirui.simulate.ExperimentResult": "holds pandas DataFrames",
    "sirui.simulate.SampleData": "holds pandas DataFrames",
    "sirui.simulate.columnar.Batch": "holds numpy arrays",
    "sirui.simulate.columnar.ColumnarPlan": "a plan of numpy kernels",
    "sirui.simulate.columnar.ColumnarRun": "holds a pandas frame and numpy arrays",
    "sirui.simulate.inputs.Prepared": "holds pandas DataFrames",
}


# -- the classes ----------------------------------------------------------------------------


@cache
def public_classes() -> dict[type[Any], str]:
    """Every class in a sirui module's ``__all__``, with its shortest public path."""
    found: dict[type[Any], str] = {}
    for info in pkgutil.walk_packages(sirui.__path__, "sirui."):
        if info.name.startswith(SKIP_MODULES):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if inspect.isclass(obj) and obj.__module__.startswith("sirui."):
                path = f"{info.name}.{name}"
                if obj not in found or len(path) < len(found[obj]):
                    found[obj] = path
    return found


def attrs_classes() -> dict[type[Any], str]:
    return {c: p for c, p in public_classes().items() if attrs.has(c)}


# -- the corpus -----------------------------------------------------------------------------


def _walk(value: Any, out: dict[type[Any], list[Any]], seen: dict[int, Any]) -> None:
    stack = [value]
    while stack:
        v = stack.pop()
        if id(v) in seen or isinstance(v, str | int | float | bytes | type | None):
            continue
        seen[id(v)] = v  # held, so that no later object reuses the id
        t = type(v)
        if attrs.has(t) and t.__module__.startswith("sirui."):
            out[t].append(v)
            stack.extend(getattr(v, a.name) for a in attrs.fields(t))
        elif isinstance(v, tuple | list | frozenset | set | SortedRun | CommandLog):
            stack.extend(v)
        elif isinstance(v, Mapping | PMap):
            stack.extend(x for kv in v.items() for x in kv)


def _doc_pages() -> list[Path]:
    pages = sorted(p for p in DOCS.rglob("*.md") if BLOCK.search(p.read_text(encoding="utf-8")))
    return [*pages, DOCS.parent / "README.md"]


def _from_docs(out: dict[type[Any], list[Any]], seen: dict[int, Any]) -> None:
    for page in _doc_pages():
        namespace: dict[str, Any] = {"__name__": f"corpus_{page.stem}"}
        text = page.read_text(encoding="utf-8")
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for match in BLOCK.finditer(text):
                try:
                    exec(compile(match.group(1), str(page), "exec"), namespace)
                except Exception:  # test_docs_examples reports a broken page
                    break
        _walk([v for k, v in namespace.items() if not k.startswith("__")], out, seen)


def strategies() -> dict[str, st.SearchStrategy[Any]]:
    """Every strategy of `sirui.testing` that needs no argument, by name."""
    found: dict[str, st.SearchStrategy[Any]] = {}
    for module_name in ("sirui.testing", *(
        f"sirui.testing.{m.name}" for m in pkgutil.iter_modules(
            importlib.import_module("sirui.testing").__path__)
    )):
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if isinstance(obj, st.SearchStrategy):
                found[f"{module_name}.{name}"] = obj
            elif callable(obj) and not inspect.isclass(obj):
                with contextlib.suppress(TypeError):
                    made = obj()
                    if isinstance(made, st.SearchStrategy):
                        found[f"{module_name}.{name}"] = made
    return found


def _draws(strategy: st.SearchStrategy[Any], share: int) -> list[Any]:
    """Values Hypothesis generates for ``strategy``, the same every run.

    As many as the active profile's example count divided by ``share``
    (5 per strategy in the ``ci`` profile): the profile decides.
    """
    out: list[Any] = []
    n = max(2, settings.default.max_examples // share)

    @settings(derandomize=True, database=None, phases=[Phase.generate], max_examples=n,
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out


def _from_strategies(out: dict[type[Any], list[Any]], seen: dict[int, Any]) -> None:
    for strategy in strategies().values():
        _walk(_draws(strategy, share=12), out, seen)


def _from_machine_cases(out: dict[type[Any], list[Any]], seen: dict[int, Any]) -> None:
    for name in CASE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        for case in module.CASES:
            found: list[Any] = [case.state, case.accept, case.conflict, case.reject, case.illegal]
            for command in (case.accept, case.reject, case.illegal):
                if command is not None:
                    with contextlib.suppress(Exception):
                        found.append(case.run(case.state, command))
            _walk(found, out, seen)


@cache
def corpus() -> dict[type[Any], list[Any]]:
    """Values of every class the sources produce (at most a few per class, varied)."""
    out: dict[type[Any], list[Any]] = defaultdict(list)
    seen: dict[int, Any] = {}
    _from_docs(out, seen)
    _from_strategies(out, seen)
    _from_machine_cases(out, seen)
    found = {cls: _varied(values) for cls, values in out.items()}
    for cls, path in attrs_classes().items():
        if cls not in found and path not in NOT_PRODUCED and path not in NOT_JSON:
            built = built_from_types(cls, found)
            if built:
                found[cls] = built
                BUILT_ONLY.add(cls)
    return found


#: Classes only `built_from_types` produced values for.
BUILT_ONLY: set[type[Any]] = set()

_TEXT = st.sampled_from(["m1", "o1", "L1", "S01", "gold", "sku-1", "c1", "g1"])
_SAMPLE_REASON = reason_code("codec.sample", zh="样例{n}", en="sample {n}")


def _strategy_of(t: Any, found: dict[type[Any], list[Any]], depth: int) -> st.SearchStrategy[Any]:
    """Values of field type ``t``: sirui.testing where it has them, the corpus for classes."""
    origin, args = typing.get_origin(t), typing.get_args(t)
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: _TEXT, int: st.integers(0, 500), bool: st.booleans(),
        Money: sirui_st.money(0, 100_000), Decimal: sirui_st.rates(),
        DateTime: sirui_st.aware_datetimes(), dt.datetime: sirui_st.aware_datetimes(),
        dt.date: st.dates(dt.date(2024, 1, 1), dt.date(2030, 1, 1)),
        dt.time: st.times(), dt.timedelta: st.integers(0, 10**6).map(lambda n: dt.timedelta(
            seconds=n)),
        Reason: st.integers(1, 9).map(lambda n: _SAMPLE_REASON(n=n)),
        CommandLog: st.just(CommandLog()),
        Any: st.sampled_from(["x", 3, True, None, Money(1230), _SAMPLE_REASON(n=1)]),
    }
    if isinstance(t, typing.TypeVar):
        t = Any
    if t in simple:
        return simple[t]
    if origin in (typing.Union, __import__("types").UnionType):
        return st.one_of([_strategy_of(a, found, depth) for a in args])
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is tuple and args and args[-1] is not Ellipsis:
        return st.tuples(*(_strategy_of(a, found, depth) for a in args))
    if origin in (tuple, frozenset, set, list) or t in (tuple, frozenset):
        item = _strategy_of(args[0] if args else Any, found, depth)
        make = frozenset if origin in (frozenset, set) else tuple
        return st.lists(item, max_size=3).map(make)
    if origin in (dict, Mapping, PMap) or t is PMap:
        k, v = (args if len(args) == 2 else (str, Any))
        pairs = st.dictionaries(_strategy_of(k, found, depth), _strategy_of(v, found, depth),
                                max_size=3)
        return pairs.map(lambda d: PMap.from_items(d.items())) if origin is PMap else pairs
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return st.sampled_from(list(t))
    if isinstance(t, type) and t in families():
        members = [v for c in members_of(t).values() for v in found.get(c, ())[:2]]
        return st.sampled_from(members) if members else st.nothing()
    if isinstance(t, type) and attrs.has(t):
        if found.get(t):
            return st.sampled_from(found[t])
        return _builds(t, found, depth + 1) if depth < 3 else st.nothing()
    return st.nothing()


def _builds(cls: type[Any], found: dict[type[Any], list[Any]],
            depth: int = 0) -> st.SearchStrategy[Any]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception:
        return st.nothing()
    fields = [a for a in attrs.fields(cls) if a.init]
    required = {a.name: _strategy_of(hints.get(a.name, Any), found, depth)
                for a in fields if a.default is attrs.NOTHING}
    optional = {a.name: _strategy_of(hints.get(a.name, Any), found, depth)
                for a in fields if a.default is not attrs.NOTHING}
    names = {a.name: (a.alias or a.name) for a in fields}

    def make(kwargs: dict[str, Any]) -> Any:
        try:
            return cls(**{names[k]: v for k, v in kwargs.items()})
        except Exception:  # a validator refused the draw: try another
            return None

    return st.fixed_dictionaries(required, optional=optional).map(make).filter(
        lambda v: v is not None
    )


def built_from_types(cls: type[Any], found: dict[type[Any], list[Any]]) -> list[Any]:
    """A few values of ``cls`` built from its field types (the same every run)."""
    with contextlib.suppress(Exception):
        return _varied(_draws(_builds(cls, found), share=6), keep=3)
    return []


def _varied(values: list[Any], keep: int = 6) -> list[Any]:
    """Up to ``keep`` values, the first of each distinct repr, largest first."""
    by_repr: dict[str, Any] = {}
    for v in values:
        with contextlib.suppress(Exception):
            by_repr.setdefault(repr(v)[:2000], v)
    ordered = sorted(by_repr.values(), key=lambda v: -len(repr(v)))
    return ordered[:keep]


# -- equality, also for classes compared by identity ----------------------------------------


def same(a: Any, b: Any) -> bool:
    """``a == b``; where a class compares by identity (``eq=False``), field by field."""
    t = type(a)
    if type(b) is not t:
        return False
    if a == b:
        return True
    if attrs.has(t):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in attrs.fields(t)
                   if f.eq or t.__eq__ is object.__eq__)
    if isinstance(a, tuple) and not attrs.has(t):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and not attrs.has(t):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


# -- the tests ------------------------------------------------------------------------------


def test_every_public_class_has_values() -> None:
    produced = corpus()
    missing = sorted(
        path for cls, path in attrs_classes().items()
        if cls not in produced and path not in NOT_PRODUCED and path not in NOT_JSON
    )
    assert not missing, (
        "public classes that no doc example, sirui.testing strategy, machine case or field "
        f"types produce (add an example, or list them in NOT_PRODUCED with why): {missing}"
    )


def test_the_allow_list_names_public_classes() -> None:
    paths = set(attrs_classes().values())
    listed = set(NOT_PRODUCED) | set(NOT_JSON)
    assert listed <= paths, listed - paths


def _round_trip_cases() -> Iterator[Any]:
    for cls, path in sorted(attrs_classes().items(), key=lambda kv: kv[1]):
        if path not in NOT_JSON:
            yield pytest.param(cls, id=path.removeprefix("sirui."))


@pytest.mark.parametrize("cls", list(_round_trip_cases()))
def test_values_round_trip_through_json_text(cls: type[Any]) -> None:
    for value in corpus().get(cls, ()):
        text = dumps_json(value, indent=None)
        back = loads_json(text, cls)
        assert same(back, value), f"{cls.__name__}: {text[:400]}"
        if text.startswith("{"):
            assert same(loads_json(text), value), "the document's type tag names the class"
        assert dumps_json(back, indent=None) == text, "equal values give equal text"


def test_no_two_public_classes_share_a_wire_name() -> None:
    names: dict[str, list[str]] = defaultdict(list)
    for cls, path in public_classes().items():
        if attrs.has(cls) or issubclass(cls, __import__("enum").Enum):
            names[wire_name(cls)].append(path)
    shared = {n: p for n, p in names.items() if len(p) > 1}
    assert not shared, shared


def test_wire_names_are_qualified_and_resolve_to_their_class() -> None:
    for cls in public_classes():
        if not attrs.has(cls):
            continue
        name = wire_name(cls)
        assert "." in name and not name.startswith("sirui."), name
        assert resolve_wire(name) is cls, name


def test_events_of_the_same_short_name_differ_on_the_wire() -> None:
    from sirui.rules import event_to_dict

    by_short: dict[str, set[str]] = defaultdict(set)
    for cls in public_classes():
        if attrs.has(cls) and tag_of(cls) is None:  # policies keep their tags
            by_short[cls.__name__].add(wire_name(cls))
    twins = {k: v for k, v in by_short.items() if len(v) > 1}
    for short, wires in twins.items():
        assert all(w.endswith("." + short) for w in wires)
    samples = [v for cls, vs in corpus().items() for v in vs[:1]
               if cls.__name__ in twins and tag_of(cls) is None
               and public_classes().get(cls) not in NOT_JSON]
    for value in samples:
        assert event_to_dict(value)["event"] == wire_name(type(value))


# -- the schemas accept what the loader accepts ------------------------------------------------


@cache
def _validator(cls: type[Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json_schema(cls))


@pytest.mark.parametrize("cls", list(_round_trip_cases()))
def test_dumped_values_validate_against_their_schema(cls: type[Any]) -> None:
    for value in corpus().get(cls, ()):
        doc = dump(value)
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                  for e in _validator(cls).iter_errors(doc)]
        assert not errors, errors[:5]


#: Values a hand-edited document may hold: what the loader reads, and what it refuses.
EDITS = st.sampled_from([
    "¥299", "299", "-¥1,234.50", "12.30 USD", "１００元", "￥１００．５", "1,00", "1.005", "1e5",
    "0.95", "1", "-0.5", " 0.95", "2026-11-11T10:00:00+08:00", "2026-11-11T10:00:00Z",
    "2026-11-11 10:00:00+08:00", "2026-11-11T10:00:00", "2026-11-11", "10:00", "gold", "",
    0, 1, -1, 2**63, 2.0, 1.5, True, False, None, [], {}, ["gold"], {"type": "nope"},
])


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:3]):
            out += _paths(v, (*prefix, i))
    return out


def _edited(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(doc))
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return copy


def _schema_cases() -> list[type[Any]]:
    return [p.values[0] for p in _round_trip_cases()]


@given(data=st.data())
def test_documents_the_loader_accepts_validate(data: st.DataObject) -> None:
    cls = data.draw(st.sampled_from(_schema_cases()))
    values = corpus().get(cls)
    if not values:
        return
    doc = dump(data.draw(st.sampled_from(values)))
    path = data.draw(st.sampled_from(_paths(doc)[:200]))
    edited = _edited(doc, path, data.draw(EDITS))
    try:
        load(edited, cls)
    except ConfigError:
        return
    errors = [e.message[:200] for e in _validator(cls).iter_errors(edited)]
    assert not errors, (path, errors[:3])
