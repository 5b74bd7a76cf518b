"""JSON Schema (draft 2020-12) for every value the codec reads, derived from attrs fields.

Admin UIs build forms from it; other teams validate documents before sending
them. A schema mirrors the strict loader: money, rates and datetimes are
text of the shapes the loader reads, unknown keys are refused, an object
may carry the ``"type"`` and ``"schema"`` header the loader checks, a slot
typed ``Any`` holds a plain JSON value or an object naming its ``"type"``.

What a schema cannot say, the loader still checks: the validators of each
class (``n >= 1``, a window that ends after it starts), calendar dates
(February 30), which type names exist, and that an integer is not written
``2.0`` (JSON Schema counts ``2.0`` as an integer; the loader refuses it).
Everything the loader accepts, the schema accepts.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections import abc
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin

import attrs

from sirui.config import _converter as _c
from sirui.core import registry as _registry
from sirui.core.money import Money
from sirui.core.persistent import PMap
from sirui.core.windows import DateTime

__all__ = ["MONEY_PATTERN", "json_schema", "schema_targets", "schemas"]

_D = "[0-9０-９]"
_SIGN = "[-+－＋]"
_SYMBOL = r"US\$|HK\$|NT\$|MOP\$|JP[¥￥]|RMB|[A-Z]{3}|[¥￥]|\$|€|£|₩"
_SUFFIX = r"元|块|rmb|RMB|[A-Z]{3}"
_NUMBER = (
    rf"(?:(?:[1-9１-９]{_D}{{0,2}}(?:[,，]{_D}{{3}})+|{_D}+)(?:[.．]{_D}+)?|[.．]{_D}+)"
)

#: Money text as `Money.parse` reads it: an optional sign and symbol or code,
#: ASCII or full-width digits, commas between groups of three, a fraction, an
#: optional suffix (``"12.30"``, ``"¥299"``, ``"-¥1,234.50"``, ``"12.30 USD"``,
#: ``"１００元"``). The loader also refuses what is finer than a minor unit
#: and what is above the largest amount; a pattern cannot say that.
MONEY_PATTERN = (
    rf"^\s*{_SIGN}?\s*(?:(?:{_SYMBOL})\s*)?{_NUMBER}\s*(?:{_SUFFIX})?\s*$"
)

_MONEY = {
    "type": "string",
    "pattern": MONEY_PATTERN,
    "description": "Amount in major units, e.g. '12.30' (CNY) or '12.30 USD'.",
}
_DECIMAL = {"type": "string", "pattern": _c.DECIMAL_PATTERN, "description": "Exact decimal."}
_DATETIME = {
    "type": "string",
    "pattern": _c.DATETIME_PATTERN,
    "description": "ISO 8601 with offset, e.g. '2026-11-11T10:00:00+08:00'.",
}
_INT = {"type": "integer", "minimum": -_c.MAX_INT, "maximum": _c.MAX_INT}
_SCALARS: dict[Any, dict[str, Any]] = {
    bool: {"type": "boolean"},
    int: _INT,
    str: {"type": "string"},
    Money: _MONEY,
    Decimal: _DECIMAL,
    DateTime: _DATETIME,
    dt.datetime: _DATETIME,
    dt.date: {"type": "string", "pattern": _c.DATE_PATTERN},
    dt.time: {"type": "string", "pattern": _c.TIME_PATTERN},
    dt.timedelta: {**_INT, "description": "seconds"},
    type(None): {"type": "null"},
}


class _Builder:
    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def ref(self, cls: type[Any]) -> dict[str, Any]:
        name = _def_name(cls)
        if name not in self.defs:
            self.defs[name] = {}  # placeholder for recursion
            custom = _c.custom_schema(cls)
            if custom is not None:
                self.defs[name] = self.header(cls, custom(self.of))
            elif cls in _registry.families():
                self.defs[name] = self.family(cls)
            else:
                self.defs[name] = self.obj(cls)
        return {"$ref": f"#/$defs/{name}"}

    def family(self, fam: type[Any]) -> dict[str, Any]:
        members = _registry.members_of(fam)
        return {
            "oneOf": [{**self.ref(c), "required": ["type"]} for c in members.values()],
            "description": fam.__doc__ or "",
        }

    def obj(self, cls: type[Any]) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        props: dict[str, Any] = {}
        required: list[str] = []
        for a in attrs.fields(cls):
            if not a.init:
                continue
            props[a.name] = self.of(hints.get(a.name, Any))
            if a.default is attrs.NOTHING:
                required.append(a.name)
        doc = (cls.__doc__ or "").strip().split("\n\n")[0]
        return self.header(cls, {
            "type": "object",
            "title": cls.__name__,
            "description": doc,
            "properties": props,
            "required": required,
            "additionalProperties": False,
        })

    @staticmethod
    def header(target: type[Any], schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` with the optional ``"type"`` and ``"schema"`` keys of a document."""
        if "properties" not in schema:
            return schema
        name = _registry.wire_name(target)
        head = {
            "type": {"const": name},
            "schema": {"type": "integer", "minimum": 1,
                       "maximum": _registry.versions().get(name, 1)},
        }
        return {**schema, "properties": {**head, **schema["properties"]}}

    def of(self, t: Any) -> dict[str, Any]:
        origin, args = get_origin(t), get_args(t)
        if t is Any or isinstance(t, typing.TypeVar):
            return self.any()
        if origin in (Union, types.UnionType):
            inner = [self.of(a) for a in args]
            return inner[0] if len(inner) == 1 else {"anyOf": inner}
        if origin is Literal:
            return {"enum": list(args)}
        if t in _SCALARS:
            return dict(_SCALARS[t])
        if origin is tuple and args and args[-1] is not Ellipsis:
            return {"type": "array", "prefixItems": [self.of(a) for a in args],
                    "minItems": len(args), "maxItems": len(args), "items": False}
        if origin in (tuple, list, frozenset, set, abc.Sequence) or t in (tuple, list, frozenset):
            return {"type": "array", "items": self.of(args[0] if args else Any)}
        if origin in (dict, abc.Mapping, PMap) or t is PMap:
            return self.mapping(*(args if len(args) == 2 else (Any, Any)))
        if _c.collection_item_type(t) is not None:
            return {"type": "array", "items": self.of(_c.collection_item_type(t))}
        if isinstance(t, type) and issubclass(t, enum.Enum):
            return {"enum": [m.value for m in t]}
        if isinstance(t, type) and (attrs.has(t) or t in _registry.families()):
            return self.ref(t)
        if origin is not None and attrs.has(origin):
            return self.ref(origin)
        return {}

    def mapping(self, key: Any, value: Any) -> dict[str, Any]:
        as_object = {"type": "object", "additionalProperties": self.of(value)}
        if key is str:
            return as_object
        pairs = {
            "type": "array",
            "items": {"type": "array", "prefixItems": [self.of(key), self.of(value)],
                      "minItems": 2, "maxItems": 2, "items": False},
        }
        return {"anyOf": [as_object, pairs]} if key is Any else pairs

    def any(self) -> dict[str, Any]:
        if "Any" not in self.defs:
            self.defs["Any"] = {
                "description": "Any value: text, an integer, true/false, null, a list, or an "
                               "object whose 'type' names what it is.",
                "anyOf": [
                    {"type": ["string", "boolean", "null"]},
                    _INT,
                    {"type": "array", "items": {"$ref": "#/$defs/Any"}},
                    {"type": "object", "required": ["type"],
                     "properties": {"type": {"type": "string"}}},
                ],
            }
        return {"$ref": "#/$defs/Any"}


def _def_name(cls: type[Any]) -> str:
    return _registry.wire_name(cls)


def json_schema(target: Any | None = None) -> dict[str, Any]:
    """The JSON Schema of one type (a policy, a family, a state, an event, ``Money``...).

    Without ``target`` the root accepts any registered policy (a ``oneOf``).
    """
    builder = _Builder()
    if target is None:
        root: dict[str, Any] = {
            "oneOf": [{**builder.ref(c), "required": ["type"]}
                      for c in _registry.policy_types().values()]
        }
        title = "sirui policy"
    else:
        root = builder.of(target)
        title = _def_name(target) if isinstance(target, type) else str(target)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        **root,
        "$defs": dict(sorted(builder.defs.items())),
    }


def schema_targets() -> dict[str, type[Any]]:
    """Every type `schemas` covers, by wire name.

    Every registered policy, and every public attrs class of the packages
    declared in the ``sirui.schemas`` entry-point group (the domain packages:
    states, commands, events, outcomes, `sirui.core.Cart`,
    `sirui.checkout.Quote`, refunds, statements, reasons). The analyst's
    edge, `sirui.simulate`, holds data frames and is not declared.
    """
    import importlib
    import pkgutil
    from importlib.metadata import entry_points

    out: dict[str, type[Any]] = dict(_registry.policy_types())
    for root in sorted({p.value for p in entry_points(group=SCHEMA_GROUP)}):
        package = importlib.import_module(root)
        names = [root, *(m.name for m in pkgutil.walk_packages(package.__path__, root + "."))]
        for name in names:
            module = importlib.import_module(name)
            for attr in getattr(module, "__all__", ()):
                obj = getattr(module, attr, None)
                if isinstance(obj, type) and attrs.has(obj) and obj.__module__.startswith("sirui."):
                    out.setdefault(_registry.wire_name(obj), obj)
    return dict(sorted(out.items()))


SCHEMA_GROUP = "sirui.schemas"
"""The entry-point group naming the packages `schema_targets` walks."""


def schemas() -> dict[str, dict[str, Any]]:
    """Every JSON Schema, by wire name (what ``sirui schema --all`` exports)."""
    return {name: json_schema(cls) for name, cls in schema_targets().items()}
