"""The one cattrs converter: policies <-> plain dicts, strictly.

Strict means: an int field refuses ``5.7`` and ``True``, a list field refuses
a string, money is text (``"12.30"``), rates are text (``"0.95"``),
datetimes carry an offset, unknown keys are errors. Lenient coercion is how a
wrong price gets configured, so there is none.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, get_args, get_origin

import attrs
import cattrs
import pendulum
from cattrs.cols import (
    homogenous_tuple_structure_factory,
    is_any_set,
    is_sequence,
    list_structure_factory,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from sirui.core import registry as _registry
from sirui.core.errors import InvalidValueError
from sirui.core.money import Money, as_rate
from sirui.core.windows import DateTime

__all__ = ["converter"]


class ShapeError(InvalidValueError, TypeError):
    """A value of the wrong JSON shape (string for a list, float for an int, ...)."""


def _shape(expected: str, value: object) -> ShapeError:
    return ShapeError(f"expected {expected}, got {type(value).__name__} {value!r}", value=value)


def _structure_int(value: object, _t: object) -> int:
    if type(value) is not int:
        raise _shape("an integer", value)
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
    return Money.parse(value)


def _structure_decimal(value: object, _t: object) -> Decimal:
    if isinstance(value, float):
        raise _shape("a number as text like '0.95' (floats are not exact)", value)
    try:
        return as_rate(value, "value")
    except (InvalidOperation, TypeError) as exc:  # pragma: no cover - as_rate types them
        raise _shape("a decimal number as text", value) from exc


def _structure_datetime(value: object, _t: object) -> DateTime:
    if not isinstance(value, str):
        raise _shape("an ISO 8601 datetime with offset, like '2026-11-11T10:00:00+08:00'", value)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _shape("an ISO 8601 datetime like '2026-11-11T10:00:00+08:00'", value) from None
    if parsed.tzinfo is None:
        raise ShapeError(
            f"datetime {value!r} has no offset; write it like '2026-11-11T10:00:00+08:00'",
            value=value,
        )
    return pendulum.instance(parsed)


def _structure_time(value: object, _t: object) -> dt.time:
    if not isinstance(value, str):
        raise _shape("a local time like '10:00'", value)
    try:
        parsed = dt.time.fromisoformat(value)
    except ValueError:
        raise _shape("a local time like '10:00' or '10:00:30'", value) from None
    if parsed.tzinfo is not None:
        raise ShapeError(f"time {value!r} must not carry an offset; zones are a separate field")
    return parsed


def _structure_date(value: object, _t: object) -> dt.date:
    if not isinstance(value, str):
        raise _shape("a date like '2026-11-11'", value)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _shape("a date like '2026-11-11'", value) from None


def _structure_timedelta(value: object, _t: object) -> dt.timedelta:
    if type(value) is not int:
        raise _shape("a whole number of seconds", value)
    return dt.timedelta(seconds=value)


def _unstructure_datetime(value: dt.datetime) -> str:
    return value.isoformat()


def _seq_structure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    origin = get_origin(t) or t
    args = get_args(t)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        base = homogenous_tuple_structure_factory(t, conv)
    elif origin is tuple:
        base = conv._structure_func.dispatch(t)  # type: ignore[call-arg,misc]
    else:
        base = list_structure_factory(t, conv)

    def structure(value: Any, _t: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise _shape("a list", value)
        return base(value, t)

    return structure


def _set_structure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    args = get_args(t)
    elem_t = args[0] if args else Any
    elem = conv.get_structure_hook(elem_t)
    origin = get_origin(t) or t
    make: Callable[[Any], Any] = frozenset if origin in (frozenset,) else set

    def structure(value: Any, _t: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise _shape("a list", value)
        return make(elem(v, elem_t) for v in value)

    return structure


def _set_unstructure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    def unstructure(value: Any) -> list[Any]:
        items = [conv.unstructure(v) for v in value]
        return sorted(items, key=_sort_key)

    return unstructure


def _sort_key(v: Any) -> tuple[str, str]:
    return (type(v).__name__, repr(v))


class ConfigShapeError(InvalidValueError):
    """A registered family received a document that names a wrong or missing type."""


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


def _registered_unstructure_factory(cls: type[Any], conv: cattrs.Converter) -> Callable[..., Any]:
    tag = _registry.tag_of(cls)
    base = make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True)

    def unstructure(value: Any) -> dict[str, Any]:
        return {"type": tag, **base(value)}

    return unstructure


def _registered_structure_factory(cls: type[Any], conv: cattrs.Converter) -> Callable[..., Any]:
    tag = _registry.tag_of(cls)
    base = make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=True)

    def structure(value: Any, _t: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _shape(f"an object of type {tag!r}", value)
        if "type" in value:
            if value["type"] != tag:
                raise ConfigShapeError(
                    f"type={value['type']!r} where {tag!r} was expected", field="type"
                )
            value = {k: v for k, v in value.items() if k != "type"}
        return base(value, cls)

    return structure


def _is_family(t: Any) -> bool:
    return isinstance(t, type) and t in _registry.families()


def _is_registered(t: Any) -> bool:
    return isinstance(t, type) and _registry.tag_of(t) is not None


def _plain_attrs_unstructure_factory(cls: type[Any], conv: cattrs.Converter) -> Any:
    return make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True)


def _family_unstructure(value: Any) -> Any:
    return converter.unstructure(value, unstructure_as=value.__class__)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(omit_if_default=True, forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(bool, _structure_bool)
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
    conv.register_unstructure_hook(dt.timedelta, lambda d: int(d.total_seconds()))
    conv.register_structure_hook_factory(
        lambda t: is_sequence(t) and not is_any_set(t), _seq_structure_factory
    )
    conv.register_structure_hook_factory(is_any_set, _set_structure_factory)
    conv.register_unstructure_hook_factory(is_any_set, _set_unstructure_factory)
    conv.register_unstructure_hook_factory(
        lambda t: attrs.has(t) and not _is_registered(t), _plain_attrs_unstructure_factory
    )
    conv.register_structure_hook_factory(_is_family, _family_structure_factory)
    conv.register_unstructure_hook_func(_is_family, _family_unstructure)
    conv.register_structure_hook_factory(_is_registered, _registered_structure_factory)
    conv.register_unstructure_hook_factory(_is_registered, _registered_unstructure_factory)

    def _enum_structure(value: Any, t: type[enum.Enum]) -> enum.Enum:
        try:
            return t(value)
        except ValueError:
            choices = ", ".join(repr(m.value) for m in t)
            raise ShapeError(f"{value!r} is not one of {choices}", value=value) from None

    conv.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _enum_structure
    )
    return conv


converter: cattrs.Converter = _make_converter()
"""The converter every sirui policy round-trips through."""
