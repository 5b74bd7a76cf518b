"""The registry of wire names: policy tags, families, value type names, schema versions.

Policy types are registered by hand under a tag; every other value's wire
name is derived from its public import path (see `wire_name`): the wire
name says which package a value belongs to (``campaigns.groupbuy.GroupMemberJoined``),
and a renamed class keeps loading under its old wire name (`renamed`).

A *family* is an abstract base (``Condition``, ``Promotion``, ``CouponTemplate``)
that a field may be typed as; a *policy type* is a concrete frozen attrs class
registered under a tag. When a document names a tag that is not registered
yet, the module that owns its prefix is imported (so loading a promotion
document works without importing `sirui.promotions` first) — a lookup by
name, not an import arrow, so the layering of the package holds.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Final, TypeVar

import attrs

from sirui.core.errors import InvalidPolicyError

__all__ = [
    "ENTRY_POINT_GROUP",
    "Migration",
    "current_wire",
    "families",
    "migration",
    "policy",
    "policy_family",
    "policy_modules",
    "policy_types",
    "renamed",
    "resolve_wire",
    "schema_version",
    "tag_of",
    "wire_name",
]

T = TypeVar("T")

_TYPES: dict[str, type[Any]] = {}
_TAGS: dict[type[Any], str] = {}
_FAMILIES: list[type[Any]] = []

#: The entry-point group a distribution declares its policy modules in, by tag prefix
#: (sirui's own are in its ``pyproject.toml``; a plug-in package adds its own prefixes).
ENTRY_POINT_GROUP: Final = "sirui.policies"


@cache
def policy_modules() -> dict[str, tuple[str, ...]]:
    """Tag prefix -> the modules that register its policy types, from the installed entry points.

    The core names no package above it: each package says, in its distribution's
    metadata, which modules to import when a document names one of its tags.
    """
    from importlib.metadata import entry_points  # ~10 ms to import: only when a tag is missed

    out: dict[str, list[str]] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        out.setdefault(point.name, []).append(point.value)
    return {prefix: tuple(sorted(modules)) for prefix, modules in sorted(out.items())}


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
        for module in policy_modules().get(tag.split(".", 1)[0], ()):
            _import_quietly(module)
        found = _TYPES.get(tag)
    return found


def _import_quietly(module: str) -> None:
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        # A declared package that is absent (an optional part not installed, or
        # blocked) registers nothing; a missing dependency inside it must surface.
        root = __name__.partition(".")[0]
        if exc.name is None or not module.startswith(exc.name) or exc.name == root:
            raise


def load_builtins() -> None:
    """Import every built-in policy module, so every tag is registered."""
    for modules in policy_modules().values():
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


# -- wire names of every value ------------------------------------------------------------

_WIRE: dict[type[Any], str] = {}
_BY_WIRE: dict[str, type[Any]] = {}


def wire_name(cls: type[Any]) -> str:
    """The name ``cls`` goes by on the wire: its policy tag, or its public import path.

    A policy type keeps its registered tag (``"promotion.full_reduction"``).
    Any other sirui class is named by the shallowest public package on its
    own module path that exports it, without the ``sirui.`` prefix:
    ``sirui.campaigns.groupbuy._events.GroupMemberJoined`` is exported by
    ``sirui.campaigns.groupbuy``, so it is ``"campaigns.groupbuy.GroupMemberJoined"``.
    A class outside sirui is named ``"<module>.<qualname>"``.
    """
    hit = _WIRE.get(cls)
    if hit is not None:
        return hit
    tag = _TAGS.get(cls)
    name, final = (tag, True) if tag is not None else _derive_wire_name(cls)
    if final:  # not while a package on the path is still being imported
        _WIRE[cls] = name
        _BY_WIRE.setdefault(name, cls)
    return name


def _derive_wire_name(cls: type[Any]) -> tuple[str, bool]:
    """The wire name of a class, and whether it is final (every package imported)."""
    module, name = cls.__module__, cls.__qualname__
    if not module.startswith("sirui."):
        return f"{module}.{name}", True
    parts = module.split(".")
    for i in range(2, len(parts) + 1):
        if parts[i - 1].startswith("_"):
            break
        package = sys.modules.get(".".join(parts[:i]))
        if getattr(getattr(package, "__spec__", None), "_initializing", False):
            return ".".join([*parts[1:], name]), False
        if name in getattr(package, "__all__", ()) and getattr(package, name, None) is cls:
            return ".".join([*parts[1:i], name]), True
    return ".".join([*parts[1:], name]), True


def resolve_wire(name: str) -> type[Any] | None:
    """The class named ``name`` on the wire (a policy tag or a value's wire name), or None.

    Only sirui modules are imported to find a name; the class found must
    carry exactly that wire name, so an alias or a private path never loads.
    """
    found = _BY_WIRE.get(name)
    if found is not None:
        return found
    if name[:1].islower() and name == name.lower():
        return resolve(name)
    module, _, attr = name.rpartition(".")
    if not module or not all(p.isidentifier() for p in name.split(".")):
        return None
    try:
        package = importlib.import_module(f"sirui.{module}")
    except ImportError:
        return None
    new = _RENAMED.get(name)
    if new is not None:
        return resolve_wire(new)
    obj = getattr(package, attr, None)
    if isinstance(obj, type) and wire_name(obj) == name:
        return obj
    return None


# -- renamed classes ---------------------------------------------------------------------

_RENAMED: dict[str, str] = {}


def current_wire(name: str) -> str:
    """The wire name a stored ``name`` goes by today (itself unless its class was renamed)."""
    return _RENAMED.get(name, name)


def renamed(package: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A package's ``__getattr__`` for names it renamed or gave up, ``{old: new}``.

    ``new`` is a name in the same package, or the full canonical path of a
    name that lives elsewhere (``"sirui.core.ConfigError"``). The old name
    stays importable for one release with a `DeprecationWarning` that names
    the new path, and documents stored under a renamed class's old wire name
    (``"commission.PaidLine"``) keep loading as the renamed class.
    """
    prefix = package.removeprefix("sirui.")
    targets: dict[str, tuple[str, str]] = {}
    for old, new in names.items():
        module, _, attr = new.rpartition(".")
        targets[old] = (module or package, attr)
        if not module:
            _RENAMED[f"{prefix}.{old}"] = f"{prefix}.{new}"

    def __getattr__(name: str) -> Any:
        hit = targets.get(name)
        if hit is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attr = hit
        warnings.warn(
            f"{package}.{name} is now {module}.{attr}; import it from there "
            "(the old path goes in the next release)",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(module), attr)

    return __getattr__


# -- schema versions and migrations -------------------------------------------------------

Migration = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the plain dict of a value at version ``n`` into the dict at version ``n + 1``."""

_MIGRATIONS: dict[tuple[str, int], Migration] = {}
_VERSIONS: dict[str, int] = {}


def migration(cls: type[Any], from_version: int) -> Callable[[Migration], Migration]:
    """Register how a stored ``cls`` at ``from_version`` becomes ``from_version + 1``.

    The current schema version of ``cls`` is one above its highest
    migration (1 when it has none). Register migrations next to the class,
    at import time, when a change of its fields would stop old documents
    from loading::

        @migration(PointsLedger, 1)
        def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
            doc["frozen"] = doc.pop("locked", 0)
            return doc
    """
    if type(from_version) is not int or from_version < 1:
        raise InvalidPolicyError(f"from_version={from_version!r}: must be an int >= 1")
    tag = wire_name(cls)

    def register(fn: Migration) -> Migration:
        _MIGRATIONS[(tag, from_version)] = fn
        _VERSIONS[tag] = max(_VERSIONS.get(tag, 1), from_version + 1)
        return fn

    return register


def schema_version(cls: type[Any]) -> int:
    """The schema version documents of ``cls`` are written at (1 unless migrated)."""
    return _VERSIONS.get(wire_name(cls), 1)


def versions() -> Mapping[str, int]:
    """Wire names whose schema version is above 1, with that version (read-only view)."""
    return _VERSIONS


def migrations() -> Mapping[tuple[str, int], Migration]:
    return _MIGRATIONS
