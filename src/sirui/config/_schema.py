"""JSON Schema (draft 2020-12) for policy types, derived from their attrs fields.

Admin UIs build forms from it; other teams validate documents before sending
them. The schema mirrors the strict converter: money and rates are strings,
datetimes carry an offset, unknown keys are refused.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections import abc
from decimal import Decimal
from typing import Any, Union, get_args, get_origin

import attrs

from sirui.core import registry as _registry
from sirui.core.money import Money
from sirui.core.windows import DateTime

__all__ = ["json_schema", "schemas"]

_MONEY = {
    "type": "string",
    "pattern": r"^-?\d+(\.\d+)?( [A-Z]{3})?$",
    "description": "Amount in major units, e.g. '12.30' (CNY) or '12.30 USD'.",
}
_DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "Exact decimal."}
_DATETIME = {"type": "string", "format": "date-time", "description": "ISO 8601 with offset."}


class _Builder:
    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def ref(self, cls: type[Any]) -> dict[str, Any]:
        name = _def_name(cls)
        if name not in self.defs:
            self.defs[name] = {}  # placeholder for recursion
            self.defs[name] = self.family(cls) if cls in _registry.families() else self.obj(cls)
        return {"$ref": f"#/$defs/{name}"}

    def family(self, fam: type[Any]) -> dict[str, Any]:
        members = _registry.members_of(fam)
        return {"oneOf": [self.ref(c) for c in members.values()], "description": fam.__doc__ or ""}

    def obj(self, cls: type[Any]) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        props: dict[str, Any] = {}
        required: list[str] = []
        tag = _registry.tag_of(cls)
        if tag is not None:
            props["type"] = {"const": tag}
            required.append("type")
        for a in attrs.fields(cls):
            if not a.init:
                continue
            props[a.name] = self.of(hints.get(a.name, Any))
            if a.default is attrs.NOTHING:
                required.append(a.name)
        doc = (cls.__doc__ or "").strip().split("\n\n")[0]
        return {
            "type": "object",
            "title": cls.__name__,
            "description": doc,
            "properties": props,
            "required": required,
            "additionalProperties": False,
        }

    def of(self, t: Any) -> dict[str, Any]:
        origin = get_origin(t)
        args = get_args(t)
        if origin in (Union, types.UnionType):
            non_none = [a for a in args if a is not type(None)]
            inner = [self.of(a) for a in non_none]
            if len(non_none) < len(args):
                inner.append({"type": "null"})
            return inner[0] if len(inner) == 1 else {"anyOf": inner}
        if origin in (tuple, list, frozenset, set) or t in (tuple, list, frozenset):
            item = args[0] if args else Any
            schema: dict[str, Any] = {"type": "array", "items": self.of(item)}
            if origin in (frozenset, set):
                schema["uniqueItems"] = True
            return schema
        if origin in (dict, abc.Mapping):
            return {"type": "object", "additionalProperties": self.of(args[1] if args else Any)}
        if t is bool:
            return {"type": "boolean"}
        if t is int:
            return {"type": "integer"}
        if t is str:
            return {"type": "string"}
        if t is Money:
            return dict(_MONEY)
        if t is Decimal:
            return dict(_DECIMAL)
        if t in (DateTime, dt.datetime):
            return dict(_DATETIME)
        if t is dt.date:
            return {"type": "string", "format": "date"}
        if t is dt.time:
            return {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"}
        if t is dt.timedelta:
            return {"type": "integer", "description": "seconds"}
        if isinstance(t, type) and issubclass(t, enum.Enum):
            return {"enum": [m.value for m in t]}
        if isinstance(t, type) and (attrs.has(t) or t in _registry.families()):
            return self.ref(t)
        return {}


def _def_name(cls: type[Any]) -> str:
    tag = _registry.tag_of(cls)
    return tag if tag is not None else cls.__name__


def json_schema(target: type[Any] | None = None) -> dict[str, Any]:
    """The JSON Schema of one policy type or family, or of every registered type.

    Without ``target`` the root accepts any registered policy (a ``oneOf``).
    """
    builder = _Builder()
    if target is None:
        root: dict[str, Any] = {
            "oneOf": [builder.ref(c) for c in _registry.policy_types().values()]
        }
        title = "sirui policy"
    else:
        root = builder.ref(target)
        title = _def_name(target)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        **root,
        "$defs": dict(sorted(builder.defs.items())),
    }


def schemas() -> dict[str, dict[str, Any]]:
    """Every JSON Schema the CLI exports, by wire name."""
    return {tag: json_schema(cls) for tag, cls in _registry.policy_types().items()}
