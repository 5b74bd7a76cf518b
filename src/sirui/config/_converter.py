"""The one cattrs converter: every sirui value <-> plain data, strictly.

Strict means: an int field refuses ``5.7`` and ``True``, a list field refuses
a string, money is text (``"12.30"``), rates are text (``"0.95"``),
datetimes carry an offset, unknown keys are errors. Lenient coercion is how a
wrong price gets configured, so there is none.

How each kind of value is written:

* a policy: ``{"type": "<tag>", ...fields}`` (fields at their default omitted);
* any other attrs value: its fields, as an object (defaults omitted); its
  class is known from the field that holds it, so no tag is needed, except
  at the top of a document (see `sirui.config.dump`) and in a slot typed
  ``Any`` (a logged command, an event, a reason's parameter), where the
  value says what it is: ``{"type": "<wire name>", ...fields}``, or
  ``{"type": "<wire name>", "value": ...}`` for one that is written as a
  single value (money, an enum member). Plain JSON values (text, integers,
  booleans, null) stand for themselves; a tuple is a list; other builtins
  are tagged: ``{"type": "decimal" | "datetime" | "date" | "time" |
  "timedelta", "value": ...}``, ``{"type": "frozenset", "items": [...]}``,
  ``{"type": "mapping", "items": [[key, value], ...]}``;
* `PMap` and mappings: an object when keys are text, else a list of
  ``[key, value]`` pairs; keys sorted, so equal values give equal text;
* a collection built from its items (`SortedRun`, `sirui.rules.CommandLog`:
  a non-attrs class whose ``__init__`` takes one iterable of items and that
  iterates over them): the list of its items;
* a class whose schema version is above 1 carries ``"schema": <n>``; a
  document without it is at version 1, and loading an older version runs
  the migrations registered with `sirui.config.migration`.

Hooks are built once per class with cattrs' code generation; nothing is
reflected per value.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import inspect
import re
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, TypeVar, cast, get_args, get_origin

import attrs
import cattrs
import pendulum
from cattrs.cols import is_any_set, is_sequence
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from sirui.core import registry as _registry
from sirui.core.errors import ConfigError, InvalidValueError
from sirui.core.money import Money
from sirui.core.persistent import PMap
from sirui.core.windows import DateTime

__all__ = ["MAX_INT", "ConfigShapeError", "ShapeError", "converter", "register_codec"]

#: Largest integer magnitude accepted (what a signed 64-bit integer holds).
MAX_INT: Final = 2**63 - 1

#: How deep a document may nest; deeper input is refused before it can
#: exhaust the interpreter's stack.
MAX_DEPTH: Final = 200

#: Decimal text as the loader accepts it (and the schema says): no exponent,
#: no spaces, at most 40 digits before and 20 after the point.
DECIMAL_PATTERN: Final = r"^-?[0-9]{1,40}(\.[0-9]{1,20})?$"
_DECIMAL_RE: Final = re.compile(DECIMAL_PATTERN)

#: Datetime text as the loader accepts it: ISO 8601 with an offset.
DATETIME_PATTERN: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$"
)
_DATETIME_RE: Final = re.compile(DATETIME_PATTERN)
DATE_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE_RE: Final = re.compile(DATE_PATTERN)
TIME_PATTERN: Final = r"^[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?$"
_TIME_RE: Final = re.compile(TIME_PATTERN)


class ShapeError(InvalidValueError, TypeError):
    """A value of the wrong JSON shape (string for a list, float for an int, ...)."""


class ConfigShapeError(InvalidValueError):
    """A document names a wrong or missing type, or a schema version it cannot load."""


def _shape(expected: str, value: object) -> ShapeError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return ShapeError(f"expected {expected}, got {type(value).__name__} {shown}", value=value)


# -- scalars ------------------------------------------------------------------------------


def _structure_int(value: object, _t: object) -> int:
    if type(value) is not int:
        raise _shape("an integer", value)
    if not -MAX_INT <= value <= MAX_INT:
        raise ShapeError(
            f"integer of {value.bit_length()} bits is out of range "
            f"(at most {MAX_INT} in magnitude)",
            value=None,
        )
    return value


def _structure_str(value: object, _t: object) -> str:
    if not isinstance(value, str):
        raise _shape("a string", value)
    return value


def _structure_bool(value: object, _t: object) -> bool:
    if not isinstance(value, bool):
        raise _shape("true or false", value)
    return value


def _structure_money(value: object, _t: object) -> Money:
    if not isinstance(value, str):
        raise _shape("an amount as text like '12.30' (or '12.30 USD')", value)
    try:
        return Money.parse(value)
    except InvalidValueError as exc:  # the path is the field's, not Money.parse's 'text'
        raise ShapeError(str(exc), value=value) from None


def _structure_decimal(value: object, _t: object) -> Decimal:
    if isinstance(value, float):
        raise _shape("a number as text like '0.95' (floats are not exact)", value)
    if not isinstance(value, str) or not _DECIMAL_RE.match(value):
        raise _shape("a decimal number as text like '0.95' (no exponent)", value)
    return Decimal(value)


def _structure_datetime(value: object, _t: object) -> DateTime:
    # A state repeats its datetimes (a bucket's earned_at is its event's
    # available_at), and DateTime values are immutable: the text is parsed once.
    hit = _PARSED.get(value) if type(value) is str else None
    if hit is not None:
        return hit
    out = _parse_datetime(value)
    if len(_PARSED) >= 8192:
        _PARSED.clear()
    _PARSED[value] = out  # type: ignore[index]
    return out


_PARSED: dict[str, DateTime] = {}


def _parse_datetime(value: object) -> DateTime:
    if type(value) is not str or not _DATETIME_RE.match(value):
        raise _shape("an ISO 8601 datetime with offset, like '2026-11-11T10:00:00+08:00'", value)
    try:
        p = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _shape("an ISO 8601 datetime like '2026-11-11T10:00:00+08:00'", value) from None
    # States hold thousands of datetimes: build them directly, with the zone of
    # each offset made once (what pendulum.instance gives: UTC or a fixed offset).
    offset = p.utcoffset()
    tz = _ZONES.get(offset)
    if tz is None:
        tz = pendulum.instance(p).tzinfo
        if len(_ZONES) < 2048:
            _ZONES[offset] = tz
    return DateTime(p.year, p.month, p.day, p.hour, p.minute, p.second, p.microsecond, tzinfo=tz)


_ZONES: dict[dt.timedelta | None, Any] = {}


def _structure_time(value: object, _t: object) -> dt.time:
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise _shape("a local time like '10:00' or '10:00:30' (zones are a separate field)", value)
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise _shape("a local time like '10:00' or '10:00:30'", value) from None


def _structure_date(value: object, _t: object) -> dt.date:
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise _shape("a date like '2026-11-11'", value)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _shape("a date like '2026-11-11'", value) from None


def _structure_timedelta(value: object, _t: object) -> dt.timedelta:
    seconds = _structure_int(value, int)
    try:
        return dt.timedelta(seconds=seconds)
    except OverflowError:
        raise ShapeError(f"{seconds} seconds is out of range", value=seconds) from None


def _unstructure_datetime(value: dt.datetime) -> str:
    return value.isoformat()


def _unstructure_timedelta(value: dt.timedelta) -> int:
    if value.microseconds:
        raise TypeError(f"{value!r}: durations are written in whole seconds")
    return value.days * 86400 + value.seconds


def _enum_structure(value: Any, t: type[enum.Enum]) -> enum.Enum:
    try:
        hit = t._value2member_map_.get(value)  # the lookup Enum's own call does, minus its cost
    except TypeError:  # an unhashable value
        hit = None
    if hit is not None and type(value) is type(hit.value):
        return hit
    choices = ", ".join(repr(m.value) for m in t)
    try:
        out = t(value)
    except (ValueError, TypeError):
        raise ShapeError(f"{value!r} is not one of {choices}", value=value) from None
    if type(out.value) is not type(value):  # True for 1, 1.0 for 1: not the same value
        raise ShapeError(f"{value!r} is not one of {choices}", value=value)
    return out


def _sort_key(v: Any) -> tuple[str, str]:
    return (type(v).__name__, repr(v))


# -- sequences and sets ------------------------------------------------------------------


def _seq_structure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    origin = get_origin(t) or t
    args = get_args(t)
    make: Callable[[Any], Any] = tuple if origin is tuple else list
    if origin is tuple and args and args[-1] is not Ellipsis:
        hooks = [(conv.get_structure_hook(a), a) for a in args]

        def fixed(value: Any, _t: Any) -> Any:
            if not isinstance(value, list | tuple):
                raise _shape("a list", value)
            if len(value) != len(hooks):
                raise _shape(f"a list of exactly {len(hooks)} items", value)
            return tuple(_each(list(zip(hooks, value)), lambda hv: hv[0][0](hv[1], hv[0][1])))

        return fixed
    item_t = args[0] if args else Any
    hook = conv.get_structure_hook(item_t)

    def homogeneous(value: Any, _t: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise _shape("a list", value)
        return make(_each(value, lambda v: hook(v, item_t)))

    return homogeneous


def _each(items: Iterable[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """``[fn(x) for x in items]``, every failure collected with its index."""
    try:
        return [fn(x) for x in items]
    except RecursionError:
        raise
    except Exception:  # redone slowly to report every item that fails, with its path
        pass
    out: list[Any] = []
    problems: list[Exception] = []
    for i, x in enumerate(items):
        try:
            out.append(fn(x))
        except Exception as exc:
            problems.append(_Keyed(i, exc))
    if problems:
        raise ExceptionGroup("invalid items", problems)
    return out  # pragma: no cover - the fast pass failed, so the slow one fails too


def _set_structure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    args = get_args(t)
    elem_t = args[0] if args else Any
    elem = conv.get_structure_hook(elem_t)
    origin = get_origin(t) or t
    make: Callable[[Any], Any] = frozenset if origin in (frozenset,) else set

    def structure(value: Any, _t: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise _shape("a list", value)
        return make(_each(value, lambda v: elem(v, elem_t)))

    return structure


def _tuple_unstructure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    """A tuple as a JSON list (what JSON Schema calls an array), item by item."""
    args = get_args(t)
    if args and args[-1] is not Ellipsis:
        hooks = [conv.get_unstructure_hook(a) for a in args]
        return lambda value: [h(v) for h, v in zip(hooks, value, strict=True)]
    item = conv.get_unstructure_hook(args[0] if args else Any)
    return lambda value: [item(v) for v in value]


def _is_tuple(t: Any) -> bool:
    return t is tuple or get_origin(t) is tuple


def _set_unstructure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    args = get_args(t)
    elem = conv.get_unstructure_hook(args[0] if args else Any)

    def unstructure(value: Any) -> list[Any]:
        return sorted((elem(v) for v in value), key=_sort_key)

    return unstructure


# -- mappings and persistent maps ---------------------------------------------------------


def _is_pmap(t: Any) -> bool:
    return t is PMap or get_origin(t) is PMap


def _is_mapping(t: Any) -> bool:
    origin = get_origin(t) or t
    return origin in (dict, Mapping, typing.Mapping, typing.Dict)  # noqa: UP006


def _kv(t: Any) -> tuple[Any, Any]:
    args = get_args(t)
    return (args[0], args[1]) if len(args) == 2 else (Any, Any)


def _map_unstructure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    key_t, val_t = _kv(t)
    key = conv.get_unstructure_hook(key_t)
    val = conv.get_unstructure_hook(val_t)

    def as_object(value: Any) -> dict[str, Any]:
        return {k: val(v) for k, v in sorted(value.items())}

    if key_t is str:
        return as_object

    def as_pairs(value: Any) -> Any:
        if key_t is Any and all(type(k) is str for k, _ in value.items()):
            return as_object(value)
        pairs = [[key(k), val(v)] for k, v in value.items()]
        pairs.sort(key=lambda p: _sort_key(p[0]))
        return pairs

    return as_pairs


def _map_structure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    key_t, val_t = _kv(t)
    key = conv.get_structure_hook(key_t)
    val = conv.get_structure_hook(val_t)
    build: Callable[[Iterable[tuple[Any, Any]]], Any] = (
        PMap.from_items if _is_pmap(t) else dict
    )

    def from_object(value: Any, _t: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _shape("an object", value)
        return build(_items(((k, v) for k, v in value.items()), key, key_t, val, val_t))

    if key_t is str:
        return from_object

    def from_pairs(value: Any, _t: Any) -> Any:
        if key_t is Any and isinstance(value, Mapping):
            return from_object(value, _t)
        if not isinstance(value, list | tuple):
            raise _shape("a list of [key, value] pairs", value)
        for pair in value:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise _shape("a [key, value] pair", pair)
        out = dict(_items(((p[0], p[1]) for p in value), key, key_t, val, val_t))
        if len(out) != len(value):
            raise ShapeError("the same key appears twice", value=None)
        return build(out.items())

    return from_pairs


def _items(
    pairs: Iterable[tuple[Any, Any]], key: Any, key_t: Any, val: Any, val_t: Any
) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    problems: list[Exception] = []
    for k, v in pairs:
        try:
            out.append((key(k, key_t), val(v, val_t)))
        except RecursionError:
            raise
        except Exception as exc:  # collected with the key, reported together
            exc.__notes__ = [*getattr(exc, "__notes__", ()), f"key {k!r}"]
            problems.append(_Keyed(k, exc))
    if problems:
        raise ExceptionGroup("invalid entries", problems)
    return out


class _Keyed(Exception):
    """An entry of a mapping that failed to load, with its key (for the path)."""

    def __init__(self, key: Any, exc: Exception) -> None:
        super().__init__(key, exc)
        self.key = key
        self.exc = exc


# -- collections built from their items (SortedRun, CommandLog) ---------------------------


@functools.cache
def collection_item_type(t: Any) -> Any | None:
    """The item type of a collection class (``None`` if ``t`` is not one).

    A collection is a non-attrs sirui class whose ``__init__`` takes a single
    iterable of items (``Iterable[X]``, ``tuple[X, ...]``, ``Sequence[X]``)
    and that iterates over them: it is written as the list of its items and
    rebuilt as ``cls(items)``.
    """
    origin = get_origin(t) or t
    if not isinstance(origin, type) or attrs.has(origin) or _is_pmap(origin):
        return None
    if not origin.__module__.startswith("sirui.") or "__iter__" not in dir(origin):
        return None
    init = origin.__dict__.get("__init__")
    if init is None:
        return None
    try:
        params = list(inspect.signature(init).parameters.values())[1:]
        hints = typing.get_type_hints(init)
    except (NameError, TypeError, ValueError):
        return None
    if len(params) != 1 or params[0].name not in hints:
        return None
    ann = hints[params[0].name]
    ann_origin, ann_args = get_origin(ann), get_args(ann)
    if ann_origin not in (tuple, Iterable, Sequence) or not ann_args:
        return None
    item = ann_args[0]
    if isinstance(item, TypeVar):
        bound = dict(zip(getattr(origin, "__parameters__", ()), get_args(t), strict=False))
        item = bound.get(item, Any)
    return item


def _collection_unstructure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    item_t = collection_item_type(t)
    item = conv.get_unstructure_hook(item_t)

    def unstructure(value: Any) -> list[Any]:
        return [item(v) for v in value]

    return unstructure


def _collection_structure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    origin = get_origin(t) or t
    item_t = collection_item_type(t)
    items = _seq_structure_factory(tuple[item_t, ...], conv)  # type: ignore[valid-type]

    def structure(value: Any, _t: Any) -> Any:
        return origin(items(value, None))

    return structure


# -- attrs classes: policies, families, every other value ---------------------------------


def _is_family(t: Any) -> bool:
    return isinstance(t, type) and t in _registry.families()


def _is_registered(t: Any) -> bool:
    return isinstance(t, type) and _registry.tag_of(t) is not None


def _is_plain_attrs(t: Any) -> bool:
    return attrs.has(t) and not _is_registered(t) and not _is_family(t)


def _concrete(t: Any) -> Any:
    """``Accepted`` as ``Accepted[Any]``: a bare generic class, its type variables as Any."""
    params = getattr(t, "__parameters__", ())
    if isinstance(t, type) and params and attrs.has(t):
        generic: Any = t
        return generic[tuple(Any for _ in params)]
    return t


def _versioned(
    tag: str, base: Callable[[Any, Any], Any], cls: Any, where: str
) -> Callable[[Any, Any], Any]:
    """``base`` behind the checks of a document's keys and its ``type`` and ``schema``.

    ``base`` ignores unknown keys; they are found here with one set
    comparison, so the common case (a current document) copies nothing.
    """
    versions = _registry.versions()
    known = {a.name for a in attrs.fields(get_origin(cls) or cls) if a.init}
    allowed = frozenset(known | {"type", "schema"})

    def structure(value: Any, _t: Any) -> Any:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise _shape(f"an object ({where})", value)
        if value.get("type", tag) != tag or "schema" in value or tag in versions:
            value = _check_header(value, tag)
        if not value.keys() <= allowed:
            extra = ForbiddenKeys(value.keys() - allowed)
            try:
                base({k: v for k, v in value.items() if k in allowed}, cls)
            except Exception as exc:
                raise ExceptionGroup("invalid document", [exc, extra]) from None
            raise extra
        return base(value, cls)

    return structure


def _check_header(value: Mapping[str, Any], tag: str) -> dict[str, Any]:
    if "type" in value and _registry.current_wire(value["type"]) != tag:
        raise ConfigShapeError(f"type={value['type']!r} where {tag!r} was expected", field="type")
    version = value.get("schema", 1)
    current = _registry.versions().get(tag, 1)
    if type(version) is not int or version < 1:
        raise ConfigShapeError(
            f"schema={version!r}: the schema version is an integer >= 1", field="schema"
        )
    if version > current:
        raise ConfigShapeError(
            f"schema={version} of {tag!r} was written by a newer sirui (this one reads up to "
            f"{current}); upgrade sirui to load it",
            field="schema",
        )
    if version == current:
        return value  # type: ignore[return-value]
    doc = {k: v for k, v in value.items() if k not in ("type", "schema")}
    while version < current:
        step = _registry.migrations().get((tag, version))
        if step is None:
            raise ConfigShapeError(
                f"schema={version} of {tag!r} can no longer be loaded: no migration from "
                f"version {version} (this sirui writes {current})",
                field="schema",
            )
        doc = step(doc)
        version += 1
    return doc


def _plain_unstructure_factory(cls: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    base = make_dict_unstructure_fn(_concrete(cls), conv, _cattrs_omit_if_default=True)
    tag = _registry.wire_name(get_origin(cls) or cls)
    versions = _registry.versions()

    def unstructure(value: Any) -> dict[str, Any]:
        version = versions.get(tag)
        return base(value) if version is None else {"schema": version, **base(value)}

    return unstructure


def _plain_structure_factory(cls: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    concrete = _concrete(cls)
    base = make_dict_structure_fn(concrete, conv, _cattrs_forbid_extra_keys=False)
    tag = _registry.wire_name(get_origin(cls) or cls)
    return _versioned(tag, base, concrete, f"a {tag}")


def _registered_unstructure_factory(cls: type[Any], conv: cattrs.Converter) -> Callable[..., Any]:
    tag = _registry.tag_of(cls)
    base = make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True)
    versions = _registry.versions()

    def unstructure(value: Any) -> dict[str, Any]:
        version = versions.get(tag)  # type: ignore[arg-type]
        head = {"type": tag} if version is None else {"type": tag, "schema": version}
        return {**head, **base(value)}

    return unstructure


def _registered_structure_factory(cls: type[Any], conv: cattrs.Converter) -> Callable[..., Any]:
    tag = _registry.tag_of(cls)
    assert tag is not None
    base = make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=False)
    return _versioned(tag, base, cls, f"of type {tag!r}")


def _family_structure_factory(family: type[Any], conv: cattrs.Converter) -> Callable[..., Any]:
    def structure(value: Any, _t: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _shape(f"an object with a 'type' naming a {family.__name__}", value)
        tag = value.get("type")
        if not isinstance(tag, str):
            raise ConfigShapeError(
                f"missing 'type'; a {family.__name__} needs one of: "
                f"{', '.join(_registry.members_of(family))}",
                field="type",
            )
        cls = _registry.resolve(tag)
        if cls is None or not issubclass(cls, family):
            raise ConfigShapeError(
                f"type={tag!r} is not a known {family.__name__}; expected one of: "
                f"{', '.join(_registry.members_of(family)) or '(none registered)'}",
                field="type",
                value=tag,
            )
        return conv.structure(value, cls)

    return structure


# -- slots typed Any: every value says what it is ------------------------------------------

#: Classes written as one value (not an object of fields) though they are attrs classes.
_SINGLE_VALUE: set[type[Any]] = {Money}


class _AnyCodec:
    """Values in slots typed ``Any``, with a type tag wherever JSON alone is ambiguous."""

    def __init__(self, conv: cattrs.Converter) -> None:
        self.conv = conv
        self.dumpers: dict[type[Any], Callable[[Any], Any]] = {}
        self.loaders: dict[str, Callable[[Mapping[str, Any]], Any]] = {
            "decimal": self._scalar(_structure_decimal),
            "datetime": self._scalar(_structure_datetime),
            "date": self._scalar(_structure_date),
            "time": self._scalar(_structure_time),
            "timedelta": self._scalar(_structure_timedelta),
            "frozenset": self._load_frozenset,
            "mapping": self._load_mapping,
        }

    # writing

    def dump(self, value: Any) -> Any:
        t = type(value)
        if t is str or t is int or t is bool or value is None:
            return value
        if t is tuple or t is list:
            return [self.dump(v) for v in value]
        fn = self.dumpers.get(t)
        if fn is None:
            fn = self.dumpers[t] = self._dumper(t)
        return fn(value)

    def _dumper(self, t: type[Any]) -> Callable[[Any], Any]:
        builtin = self._builtin_dumper(t)
        if builtin is not None:
            return builtin
        if issubclass(t, enum.Enum):
            name = _registry.wire_name(t)
            return lambda v: {"type": name, "value": v.value}
        if attrs.has(t) or _is_pmap(t) or collection_item_type(cast(Any, t)) is not None:
            name = _registry.wire_name(t)
            hook = self.conv.get_unstructure_hook(t)

            def tagged(v: Any) -> Any:
                body = hook(v)
                if not isinstance(body, dict) or t in _SINGLE_VALUE:
                    return {"type": name, "value": body}
                return body if "type" in body else {"type": name, **body}

            return tagged
        if issubclass(t, Mapping):
            return lambda v: {
                "type": "mapping",
                "items": sorted(([self.dump(k), self.dump(x)] for k, x in v.items()),
                                key=lambda p: _sort_key(p[0])),
            }
        return _refuse(t)

    def _builtin_dumper(self, t: type[Any]) -> Callable[[Any], Any] | None:
        if issubclass(t, bool | int | str):
            base: Callable[[Any], Any] = (
                bool if issubclass(t, bool) else int if issubclass(t, int) else str
            )
            return base
        if issubclass(t, float):
            return _refuse(t, "floats are not exact; use Decimal or int")
        if issubclass(t, tuple | list):
            return lambda v: [self.dump(x) for x in v]
        if issubclass(t, frozenset | set):
            return lambda v: {"type": "frozenset",
                              "items": sorted((self.dump(x) for x in v), key=_sort_key)}
        if issubclass(t, Decimal):
            return lambda v: {"type": "decimal", "value": str(v)}
        if issubclass(t, dt.datetime):
            return lambda v: {"type": "datetime", "value": v.isoformat()}
        if issubclass(t, dt.date):
            return lambda v: {"type": "date", "value": v.isoformat()}
        if issubclass(t, dt.time):
            return lambda v: {"type": "time", "value": v.isoformat()}
        if issubclass(t, dt.timedelta):
            return lambda v: {"type": "timedelta", "value": _unstructure_timedelta(v)}
        return None

    # reading

    def load(self, data: Any, _t: Any = None) -> Any:
        t = type(data)
        if t is str or t is bool or data is None:
            return data
        if t is int:
            return _structure_int(data, int)
        if t is list or t is tuple:
            return tuple(_each(data, self.load))
        if isinstance(data, Mapping):
            return self._load_tagged(data)
        raise _shape("text, an integer, true/false, null, a list or an object with a 'type'",
                     data)

    def _load_tagged(self, data: Mapping[str, Any]) -> Any:
        tag = data.get("type")
        if not isinstance(tag, str):
            raise ConfigShapeError(
                "this slot holds any value, so an object here needs a 'type' naming what it "
                "is, e.g. 'campaigns.seckill.Reserve'",
                field="type",
            )
        loader = self.loaders.get(tag)
        if loader is not None:
            return loader(data)
        cls = _registry.resolve_wire(tag)
        if cls is None:
            raise ConfigShapeError(f"type={tag!r} is not a known sirui type", field="type",
                                   value=tag)
        if attrs.has(cls) and cls not in _SINGLE_VALUE:
            return self.conv.structure(data, cls)
        return self._value_of(data, lambda v: self.conv.structure(v, cls))

    @staticmethod
    def _value_of(data: Mapping[str, Any], build: Callable[[Any], Any], key: str = "value") -> Any:
        extra = set(data) - {"type", key}
        if extra:
            raise ForbiddenKeys(extra)
        if key not in data:
            raise ConfigShapeError(f"required field is missing: {key!r}", field=key)
        return build(data[key])

    def _scalar(self, fn: Callable[[Any, Any], Any]) -> Callable[[Mapping[str, Any]], Any]:
        return lambda data: self._value_of(data, lambda v: fn(v, None))

    def _load_frozenset(self, data: Mapping[str, Any]) -> Any:
        def build(items: Any) -> frozenset[Any]:
            if not isinstance(items, list):
                raise _shape("a list", items)
            return frozenset(self.load(v) for v in items)

        return self._value_of(data, build, "items")

    def _load_mapping(self, data: Mapping[str, Any]) -> Any:
        def build(items: Any) -> dict[Any, Any]:
            if not isinstance(items, list) or not all(
                isinstance(p, list) and len(p) == 2 for p in items
            ):
                raise _shape("a list of [key, value] pairs", items)
            return {self.load(k): self.load(v) for k, v in items}

        return self._value_of(data, build, "items")


class ForbiddenKeys(ShapeError):
    """Keys an object of this kind does not have."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = sorted(keys)
        super().__init__(f"unknown fields {self.keys}", value=None)


def _refuse(t: type[Any], why: str = "") -> Callable[[Any], Any]:
    def refuse(value: Any) -> Any:
        raise TypeError(
            f"cannot write a {t.__name__} ({value!r}) as plain data"
            + (f": {why}" if why else "; sirui values hold attrs classes, tuples, frozensets, "
               "PMap, Money, Decimal, datetimes, enums, text, integers and booleans")
        )

    return refuse


# -- custom codecs ------------------------------------------------------------------------

_CUSTOM_SCHEMAS: dict[type[Any], Callable[[Callable[[Any], dict[str, Any]]], dict[str, Any]]] = {}


def register_codec(
    cls: type[Any],
    *,
    unstructure: Callable[[Any], Any],
    structure: Callable[[Any], Any],
    schema: Callable[[Callable[[Any], dict[str, Any]]], dict[str, Any]],
) -> None:
    """Give ``cls`` its own wire form (for a value whose fields are not its best form).

    ``schema`` receives a function that returns the schema of a type (for
    the parts of the form) and returns the JSON Schema of the whole form;
    it must accept exactly what ``structure`` accepts.
    """

    def structure_hook(value: Any, _t: Any) -> Any:
        if isinstance(value, Mapping) and ("type" in value or "schema" in value):
            value = _check_header(value, _registry.wire_name(cls))
            value = {k: v for k, v in value.items() if k not in ("type", "schema")}
        return structure(value)

    converter.register_unstructure_hook(cls, unstructure)
    converter.register_structure_hook(cls, structure_hook)
    _CUSTOM_SCHEMAS[cls] = schema


def custom_schema(cls: type[Any]) -> Callable[[Callable[[Any], dict[str, Any]]], Any] | None:
    return _CUSTOM_SCHEMAS.get(cls)


# -- the converter ------------------------------------------------------------------------


def _make_converter() -> tuple[cattrs.Converter, _AnyCodec]:
    conv = cattrs.Converter(omit_if_default=True, forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(bool, _structure_bool)
    # An IntEnum is an int: its own class must come before int's in the dispatch.
    for kind in (enum.Enum, enum.IntEnum, enum.StrEnum, enum.Flag, enum.IntFlag):
        conv.register_structure_hook(kind, _enum_structure)
    conv.register_structure_hook(Money, _structure_money)
    conv.register_unstructure_hook(Money, Money.to_plain)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_unstructure_hook(Decimal, str)
    for t in (dt.datetime, DateTime):
        conv.register_structure_hook(t, _structure_datetime)
        conv.register_unstructure_hook(t, _unstructure_datetime)
    conv.register_structure_hook(dt.time, _structure_time)
    conv.register_unstructure_hook(dt.time, dt.time.isoformat)
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_structure_hook(dt.timedelta, _structure_timedelta)
    conv.register_unstructure_hook(dt.timedelta, _unstructure_timedelta)
    conv.register_structure_hook_factory(
        lambda t: is_sequence(t) and not is_any_set(t), _seq_structure_factory
    )
    conv.register_structure_hook_factory(is_any_set, _set_structure_factory)
    conv.register_unstructure_hook_factory(is_any_set, _set_unstructure_factory)
    conv.register_unstructure_hook_factory(_is_tuple, _tuple_unstructure_factory)
    conv.register_structure_hook_factory(lambda t: _is_pmap(t) or _is_mapping(t),
                                         _map_structure_factory)
    conv.register_unstructure_hook_factory(lambda t: _is_pmap(t) or _is_mapping(t),
                                           _map_unstructure_factory)
    conv.register_structure_hook_factory(
        lambda t: collection_item_type(t) is not None, _collection_structure_factory
    )
    conv.register_unstructure_hook_factory(
        lambda t: collection_item_type(t) is not None, _collection_unstructure_factory
    )
    conv.register_unstructure_hook_factory(_is_plain_attrs, _plain_unstructure_factory)
    conv.register_structure_hook_factory(_is_plain_attrs, _plain_structure_factory)
    conv.register_structure_hook_factory(_is_family, _family_structure_factory)
    conv.register_unstructure_hook_func(_is_family, lambda v: conv.unstructure(v, type(v)))
    conv.register_structure_hook_factory(_is_registered, _registered_structure_factory)
    conv.register_unstructure_hook_factory(_is_registered, _registered_unstructure_factory)
    conv.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _enum_structure
    )
    # An IntEnum member may sit in a value as its plain int (``4 == Stage.COUPON``).
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum),
        lambda e: getattr(e, "value", e),
    )
    anys = _AnyCodec(conv)
    conv.register_unstructure_hook_func(lambda t: t is Any or isinstance(t, TypeVar), anys.dump)
    conv.register_structure_hook_func(lambda t: t is Any or isinstance(t, TypeVar), anys.load)
    return conv, anys


converter: cattrs.Converter
any_codec: _AnyCodec
converter, any_codec = _make_converter()
"""The converter every sirui value round-trips through."""

_ = ConfigError  # re-exported through sirui.config
