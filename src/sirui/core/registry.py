"""The registry of policy types: tags (``"promotion.full_reduction"``) and families.

A *family* is an abstract base (``Condition``, ``Promotion``, ``CouponTemplate``)
that a field may be typed as; a *policy type* is a concrete frozen attrs class
registered under a tag. When a document names a tag that is not registered
yet, the module that owns its prefix is imported (so loading a promotion
document works without importing `sirui.promotions` first) — a lookup by
name, not an import arrow, so the layering of the package holds.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Final, TypeVar

import attrs

from sirui.core.errors import InvalidPolicyError

__all__ = ["BUILTIN_MODULES", "families", "policy", "policy_family", "policy_types", "tag_of"]

T = TypeVar("T")

_TYPES: dict[str, type[Any]] = {}
_TAGS: dict[type[Any], str] = {}
_FAMILIES: list[type[Any]] = []

#: Modules that define the built-in policy types, by tag prefix.
BUILTIN_MODULES: Final[dict[str, tuple[str, ...]]] = {
    "condition": ("sirui.rules",),
    "scope": ("sirui.rules",),
    "validity": ("sirui.core.windows",),
    "promotion": ("sirui.promotions",),
    "coupon": ("sirui.promotions",),
    "trigger": ("sirui.promotions",),
    "stacking": ("sirui.checkout",),
    "checkout": ("sirui.checkout",),
    "shipping": ("sirui.checkout",),
    "tier": ("sirui.loyalty.members",),
    "benefit": ("sirui.loyalty.members",),
    "card": ("sirui.loyalty.members",),
    "segment": ("sirui.loyalty.members",),
    "care": ("sirui.loyalty.members",),
    "growth": ("sirui.loyalty.members",),
    "points": ("sirui.loyalty.points",),
    "signin": ("sirui.loyalty.points",),
    "task": ("sirui.loyalty.points",),
    "points_mall": ("sirui.loyalty.points",),
    "stored_value": ("sirui.loyalty.points",),
    "groupbuy": ("sirui.campaigns.groupbuy",),
    "bargain": ("sirui.campaigns.bargain",),
    "assist": ("sirui.campaigns.assist",),
    "seckill": ("sirui.campaigns.seckill",),
    "limited_time": ("sirui.campaigns.limited_time",),
    "lottery": ("sirui.campaigns.lottery",),
    "red_packet": ("sirui.campaigns.red_packet",),
    "commission": ("sirui.commission",),
    "attribution": ("sirui.commission",),
    "referral": ("sirui.commission",),
    "sharing": ("sirui.commission",),
    "competition": ("sirui.commission",),
    "settlement": ("sirui.commission",),
    "scenario": ("sirui.simulate",),
}


def policy_family(cls: type[T]) -> type[T]:
    """Mark an abstract base as a family: fields typed as it hold any registered subtype."""
    if cls not in _FAMILIES:
        _FAMILIES.append(cls)
    return cls


def policy(tag: str) -> Callable[[type[T]], type[T]]:
    """Register a frozen attrs class as a policy type under ``tag``.

    >>> @policy("example.doc_only")
    ... @attrs.frozen
    ... class Example:
    ...     n: int = 1
    """
    if not isinstance(tag, str) or "." not in tag or tag != tag.strip().lower():
        raise InvalidPolicyError(f"tag={tag!r}: policy tags are lowercase 'family.name'")

    def register(cls: type[T]) -> type[T]:
        if not attrs.has(cls):
            raise InvalidPolicyError(f"{cls.__name__}: only attrs classes can be policies")
        existing = _TYPES.get(tag)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise InvalidPolicyError(
                f"tag={tag!r} is already registered to {existing.__qualname__}"
            )
        _TYPES[tag] = cls
        _TAGS[cls] = tag
        return cls  # type: ignore[return-value]

    return register


def tag_of(cls: type[Any]) -> str | None:
    return _TAGS.get(cls)


def resolve(tag: str) -> type[Any] | None:
    """The class registered under ``tag``, importing its built-in module if needed."""
    found = _TYPES.get(tag)
    if found is None:
        for module in BUILTIN_MODULES.get(tag.split(".", 1)[0], ()):
            _import_quietly(module)
        found = _TYPES.get(tag)
    return found


def _import_quietly(module: str) -> None:
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        # A mechanic package that does not exist (yet) simply registers nothing;
        # a missing dependency inside an existing one must still surface.
        if exc.name is None or not module.startswith(exc.name) or exc.name == "sirui":
            raise


def load_builtins() -> None:
    """Import every built-in policy module, so every tag is registered."""
    for modules in BUILTIN_MODULES.values():
        for module in modules:
            _import_quietly(module)


def policy_types() -> dict[str, type[Any]]:
    """Every registered tag and its class (built-ins included), sorted by tag."""
    load_builtins()
    return dict(sorted(_TYPES.items()))


def families() -> tuple[type[Any], ...]:
    return tuple(_FAMILIES)


def members_of(family: type[Any]) -> dict[str, type[Any]]:
    return {t: c for t, c in sorted(_TYPES.items()) if issubclass(c, family)}
