"""Every sirui value as data: dump and load dicts, JSON and TOML; JSON Schema; fingerprints.

One codec for every value: policies, states, commands, events, outcomes,
quotes, refunds, statements, reasons, money. ``dump(value)`` gives plain
data (dicts, lists, text, integers, booleans); ``load(data, cls)`` gives
back an equal value; ``dumps_json``/``loads_json`` do the same through JSON
text.

A policy is an object with a ``"type"`` tag (``"promotion.full_reduction"``).
Any other value, dumped on its own, is a *document* that says what it is and
which schema version wrote it::

    {"type": "loyalty.points.PointsLedger", "schema": 1, "member_id": "m1", ...}

The type is the value's wire name (`wire_name`: its public import path
without ``sirui.``); the schema version is 1 until the class registers a
`migration`, and an older document is migrated on load (or refused with
a `ConfigError` that names the path when no migration reaches it).

Loading is strict and total: whatever the input, the only exception that
comes out is `ConfigError`, listing every problem found with its path::

    >>> from sirui.config import loads_json
    >>> loads_json('{"type": "condition.quantity_at_least", "n": 0}')
    Traceback (most recent call last):
    ...
    sirui.core.errors.ConfigError: 1 problem in the document:
      $.n: n=0: must be an int >= 1

A fingerprint is the SHA-256 of the canonical JSON of a policy: the same
policy gives the same fingerprint in every process and on every machine, so
an order can record exactly which rule version priced it.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, overload

import attrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)

from sirui.config._converter import (
    ForbiddenKeys,
    _concrete,
    _Keyed,
    any_codec,
    converter,
    register_codec,
)
from sirui.config._schema import MONEY_PATTERN, json_schema, schema_targets, schemas
from sirui.core import registry as _registry
from sirui.core.errors import ConfigError as _ConfigError
from sirui.core.errors import InvalidValueError, SiruiError
from sirui.core.registry import (
    migration,
    policy,
    policy_family,
    policy_types,
    schema_version,
    tag_of,
    wire_name,
)

__all__ = [
    "MONEY_PATTERN",
    "converter",
    "dump",
    "dumps_json",
    "dumps_toml",
    "fingerprint",
    "json_schema",
    "load",
    "load_document",
    "load_path",
    "loads_json",
    "loads_toml",
    "migration",
    "policy",
    "policy_family",
    "policy_types",
    "register_codec",
    "schema_targets",
    "schema_version",
    "schemas",
    "tag_of",
    "to_plain",
    "wire_name",
]

T = TypeVar("T")

_TOO_DEEP = "document is nested too deeply"


def _problems(exc: BaseException, path: str) -> list[tuple[str, str]]:
    if isinstance(exc, ClassValidationError | IterableValidationError):
        with_notes, without = exc.group_exceptions()
        out: list[tuple[str, str]] = []
        for sub, note in with_notes:
            if isinstance(exc, IterableValidationError):
                step = f"[{note.index!r}]" if isinstance(note.index, int) else f".{note.index}"
            else:
                step = f".{getattr(note, 'name', '?')}"
            out += _problems(sub, path + step)
        for sub in without:
            out += _problems(sub, path)
        return out
    if isinstance(exc, _Keyed):
        step = f".{exc.key}" if isinstance(exc.key, str) else f"[{exc.key!r}]"
        return _problems(exc.exc, path + step)
    if isinstance(exc, BaseExceptionGroup):
        return [p for sub in exc.exceptions for p in _problems(sub, path)]
    if isinstance(exc, ForbiddenExtraKeysError | ForbiddenKeys):
        keys = exc.extra_fields if isinstance(exc, ForbiddenExtraKeysError) else exc.keys
        return [(f"{path}.{k}", "unknown field; remove it or check its spelling")
                for k in sorted(keys)]
    if isinstance(exc, KeyError):
        return [(path, "required field is missing")]
    if isinstance(exc, RecursionError):
        return [(path, _TOO_DEEP)]
    if isinstance(exc, InvalidValueError):
        field = exc.field
        if field and not path.endswith("." + field) and "[" not in field:
            path = f"{path}.{field}"
        return [(path, str(exc))]
    if isinstance(exc, SiruiError | ValueError | TypeError):
        return [(path, str(exc))]
    return [(path, f"{type(exc).__name__}: {exc}")]


def _guard(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except _ConfigError:
        raise
    except RecursionError:
        raise _ConfigError([("$", _TOO_DEEP)]) from None
    except Exception as exc:
        try:
            problems = _problems(exc, "$") or [("$", str(exc))]
        except RecursionError:
            problems = [("$", _TOO_DEEP)]
        raise _ConfigError(problems) from exc


def _target(cls: Any) -> Any:
    """The type to structure as: a bare generic (``Accepted``) with Any for its variables."""
    return _concrete(cls)


@overload
def load(data: Any) -> Any: ...
@overload
def load(data: Any, cls: type[T]) -> T: ...
def load(data: Any, cls: type[Any] | None = None) -> Any:
    """Build a value from plain data (as JSON or TOML would give).

    Without ``cls`` the document's ``"type"`` picks the class (a policy tag
    or a value's wire name; a list loads as a tuple of tagged values). With
    ``cls`` (a policy class, a family such as ``Condition``, a state, an
    event, ``Money``, ``tuple[Reason, ...]``...) the result must be one;
    a ``"type"`` in the document must then name that class.
    """

    def run() -> Any:
        if cls is not None:
            return converter.structure(data, _target(cls))
        if isinstance(data, list):
            return any_codec.load(data)
        if not isinstance(data, Mapping):
            raise _ConfigError(
                [("$", f"expected an object with a 'type', got {type(data).__name__}")]
            )
        tag = data.get("type")
        if not isinstance(tag, str):
            raise _ConfigError(
                [("$.type", "required: what the document is, e.g. 'promotion.full_reduction' "
                            "or 'loyalty.points.PointsLedger'")]
            )
        target = _registry.resolve_wire(tag)
        if target is None and tag == tag.lower():
            known = ", ".join(policy_types()) or "(none)"
            raise _ConfigError([("$.type", f"unknown policy type {tag!r}; known types: {known}")])
        if target is None:
            raise _ConfigError([("$.type", f"unknown type {tag!r}: a value is named by its public "
                                          "import path, e.g. 'loyalty.points.PointsLedger'")])
        return any_codec.load(data)

    return _guard(run)


def dump(value: Any) -> Any:
    """The plain-data form of ``value``: what `load` reads back equal.

    A policy is ``{"type": <tag>, ...}`` (fields at their default omitted,
    sets sorted). Any other attrs value is a document headed by its wire
    name and schema version: ``{"type": "rules.Reason", "schema": 1, ...}``.
    A value written as one item stays one item (`Money` is ``"12.30"`` or
    ``"12.30 USD"``, an enum its value); a tuple or list is a list of
    tagged values.
    """
    cls = type(value)
    if cls is tuple or cls is list:
        return any_codec.dump(value)
    out = converter.unstructure(value, unstructure_as=_target(cls))
    if isinstance(out, dict) and "type" not in out and attrs.has(cls):
        return {"type": wire_name(cls), "schema": schema_version(cls), **out}
    return out


def to_plain(value: Any) -> Any:
    """Any sirui value as JSON-ready plain data, without the document header."""
    return converter.unstructure(value, unstructure_as=_target(type(value)))


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# Policies are immutable, so a fingerprint never changes: memoised by identity
# (holding the object, so its id cannot be reused while cached), bounded.
_FP_MEMO: dict[int, tuple[Any, str]] = {}
_FP_MEMO_MAX = 4096


def fingerprint(policy_obj: Any) -> str:
    """``"sha256:<hex>"`` of the canonical JSON of ``policy_obj``; stable across runs.

    Cheap to call repeatedly on the same object (quotes record one per rule).
    """
    hit = _FP_MEMO.get(id(policy_obj))
    if hit is not None and hit[0] is policy_obj:
        return hit[1]
    digest = hashlib.sha256(_canonical(dump(policy_obj)).encode("utf-8")).hexdigest()
    fp = f"sha256:{digest}"
    if len(_FP_MEMO) >= _FP_MEMO_MAX:
        _FP_MEMO.clear()
    _FP_MEMO[id(policy_obj)] = (policy_obj, fp)
    return fp


def dumps_json(value: Any, indent: int | None = 2) -> str:
    """JSON text of `dump` (``indent=None`` for one compact line)."""
    return json.dumps(dump(value), ensure_ascii=False, indent=indent, sort_keys=False)


def _text(data: str | bytes | bytearray, what: str) -> str:
    if isinstance(data, bytes | bytearray):
        try:
            return bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _ConfigError([("$", f"not UTF-8 text ({what} must be UTF-8): {exc}")]) from None
    if not isinstance(data, str):
        raise _ConfigError([("$", f"expected {what} text (str or bytes), got "
                                 f"{type(data).__name__}")])
    return data


def loads_json(text: str | bytes, cls: type[Any] | None = None) -> Any:
    """`load` from JSON text (str, or UTF-8 bytes)."""
    body = _text(text, "JSON")
    try:
        data = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise _ConfigError([("$", _TOO_DEEP)]) from None
    except ValueError as exc:
        raise _ConfigError([("$", f"not valid JSON: {exc}")]) from None
    return load(data, cls) if cls is not None else load(data)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _drop_none(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _drop_none(v) for k, v in data.items() if v is not None}
    if isinstance(data, list | tuple):
        return [_drop_none(v) for v in data]
    return data


def dumps_toml(value: Any) -> str:
    """TOML text of a policy or document (needs ``pip install sirui[toml]``).

    TOML has no null: fields holding None are left out, which reads back as
    the field's default (so a value whose None is not its default needs JSON).
    """
    try:
        import tomli_w
    except ModuleNotFoundError:  # pragma: no cover - depends on the environment
        raise SiruiError(
            "writing TOML needs tomli-w: pip install 'sirui[toml]' (reading needs nothing)"
        ) from None
    data = dump(value)
    if not isinstance(data, dict):
        raise TypeError(f"{value!r} dumps to {type(data).__name__}; a TOML document is a table")
    return str(tomli_w.dumps(_drop_none(data)))


def loads_toml(text: str | bytes, cls: type[Any] | None = None) -> Any:
    """`load` from TOML text (str, or UTF-8 bytes)."""
    body = _text(text, "TOML")
    try:
        data = tomllib.loads(body)
    except RecursionError:
        raise _ConfigError([("$", _TOO_DEEP)]) from None
    except (ValueError, TypeError) as exc:  # TOMLDecodeError is a ValueError
        raise _ConfigError([("$", f"not valid TOML: {exc}")]) from None
    return load(data, cls) if cls is not None else load(data)


def load_path(path: str | Path, cls: type[Any] | None = None) -> Any:
    """Load a value from a ``.json`` or ``.toml`` file (the only file I/O here)."""
    try:
        p = Path(path)
        raw = p.read_bytes()
    except (OSError, TypeError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise _ConfigError([("$", f"cannot read {path}: {why}")]) from None
    if p.suffix.lower() == ".toml":
        return loads_toml(raw, cls)
    return loads_json(raw, cls)


def load_document(data: Any) -> tuple[Any, ...]:
    """Load many policies: a list of policy objects, or ``{"policies": [...]}``.

    Every problem of every policy is reported at once, each with its path.
    """
    items: Any = data.get("policies") if isinstance(data, Mapping) else data
    base = "$.policies" if isinstance(data, Mapping) else "$"
    if not isinstance(items, list):
        raise _ConfigError([(base, "expected a list of policies")])
    out: list[Any] = []
    problems: list[tuple[str, str]] = []
    for i, item in enumerate(items):
        try:
            out.append(load(item))
        except _ConfigError as exc:
            problems += [(f"{base}[{i}]{p[1:]}", m) for p, m in exc.problems]
    if problems:
        raise _ConfigError(problems)
    return tuple(out)


def fingerprints(policies: Iterable[Any]) -> dict[str, str]:
    """``{tag-or-class: fingerprint}`` helper for reports."""
    return {tag_of(type(p)) or type(p).__name__: fingerprint(p) for p in policies}


#: Kept one release (see CHANGELOG): `ConfigError` lives in `sirui.core`.
__getattr__ = _registry.renamed(__name__, {"ConfigError": "sirui.core.ConfigError"})
