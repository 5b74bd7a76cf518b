"""Policies as data: load and dump dicts, JSON and TOML; JSON Schema; fingerprints.

Every policy type is registered under a tag (``"promotion.full_reduction"``)
and appears in documents as an object with a ``"type"`` field. Loading is
strict and total: whatever the input, the only exception that comes out is
`ConfigError`, listing every problem found with its path::

    >>> from sirui.config import loads_json
    >>> loads_json('{"type": "condition.quantity_at_least", "n": 0}')
    Traceback (most recent call last):
    ...
    sirui.core.errors.ConfigError: 1 problem in policy document:
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
from typing import Any, TypeVar, overload

from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)

from sirui.config._converter import converter
from sirui.config._schema import json_schema
from sirui.core import registry as _registry
from sirui.core.errors import ConfigError, InvalidValueError, SiruiError
from sirui.core.registry import policy, policy_family, policy_types, tag_of

__all__ = [
    "ConfigError",
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
    "policy",
    "policy_family",
    "policy_types",
    "tag_of",
    "to_plain",
]

T = TypeVar("T")


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
    if isinstance(exc, BaseExceptionGroup):
        return [p for sub in exc.exceptions for p in _problems(sub, path)]
    if isinstance(exc, ForbiddenExtraKeysError):
        return [
            (f"{path}.{k}", "unknown field; remove it or check its spelling")
            for k in sorted(exc.extra_fields)
        ]
    if isinstance(exc, KeyError):
        return [(path, "required field is missing")]
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
    except ConfigError:
        raise
    except RecursionError:
        raise ConfigError([("$", "document is nested too deeply")]) from None
    except Exception as exc:
        raise ConfigError(_problems(exc, "$") or [("$", str(exc))]) from exc


@overload
def load(data: Any) -> Any: ...
@overload
def load(data: Any, cls: type[T]) -> T: ...
def load(data: Any, cls: type[Any] | None = None) -> Any:
    """Build a policy from a plain dict (as JSON or TOML would give).

    Without ``cls`` the dict's ``"type"`` picks the class; with ``cls`` (a
    policy class or a family such as ``Condition``) the result must be one.
    """

    def run() -> Any:
        if not isinstance(data, Mapping):
            raise ConfigError(
                [("$", f"expected an object with a 'type', got {type(data).__name__}")]
            )
        if cls is not None:
            return converter.structure(data, cls)
        tag = data.get("type")
        if not isinstance(tag, str):
            raise ConfigError(
                [("$.type", "required: the policy type, e.g. 'promotion.full_reduction'")]
            )
        target = _registry.resolve(tag)
        if target is None:
            known = ", ".join(policy_types()) or "(none)"
            raise ConfigError([("$.type", f"unknown policy type {tag!r}; known types: {known}")])
        return converter.structure(data, target)

    return _guard(run)


def dump(policy_obj: Any) -> dict[str, Any]:
    """The plain-dict form of a policy (defaults omitted, sets sorted)."""
    out = converter.unstructure(policy_obj, unstructure_as=type(policy_obj))
    if not isinstance(out, dict):
        raise TypeError(f"{policy_obj!r} is not a policy (dumped to {type(out).__name__})")
    return out


def to_plain(value: Any) -> Any:
    """Any sirui value (event, reason, result) as JSON-ready plain data."""
    return converter.unstructure(value, unstructure_as=type(value))


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


def dumps_json(policy_obj: Any, indent: int | None = 2) -> str:
    return json.dumps(dump(policy_obj), ensure_ascii=False, indent=indent, sort_keys=False)


def loads_json(text: str | bytes, cls: type[Any] | None = None) -> Any:
    try:
        data = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise ConfigError([("$", f"not valid JSON: {exc}")]) from None
    return load(data, cls) if cls is not None else load(data)


def _drop_none(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _drop_none(v) for k, v in data.items() if v is not None}
    if isinstance(data, list | tuple):
        return [_drop_none(v) for v in data]
    return data


def dumps_toml(policy_obj: Any) -> str:
    """TOML text of a policy (needs the ``toml`` extra: ``pip install sirui[toml]``)."""
    try:
        import tomli_w
    except ModuleNotFoundError:  # pragma: no cover - depends on the environment
        raise SiruiError(
            "writing TOML needs tomli-w: pip install 'sirui[toml]' (reading needs nothing)"
        ) from None
    return str(tomli_w.dumps(_drop_none(dump(policy_obj))))


def loads_toml(text: str, cls: type[Any] | None = None) -> Any:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, TypeError) as exc:
        raise ConfigError([("$", f"not valid TOML: {exc}")]) from None
    return load(data, cls) if cls is not None else load(data)


def load_path(path: str | Any, cls: type[Any] | None = None) -> Any:
    """Load a policy from a ``.json`` or ``.toml`` file (the only file I/O here)."""
    from pathlib import Path

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([("$", f"cannot read {p}: {exc.strerror or exc}")]) from None
    if p.suffix.lower() == ".toml":
        return loads_toml(text, cls)
    return loads_json(text, cls)


def load_document(data: Any) -> tuple[Any, ...]:
    """Load many policies: a list of policy objects, or ``{"policies": [...]}``.

    Every problem of every policy is reported at once, each with its path.
    """
    items: Any = data.get("policies") if isinstance(data, Mapping) else data
    base = "$.policies" if isinstance(data, Mapping) else "$"
    if not isinstance(items, list):
        raise ConfigError([(base, "expected a list of policies")])
    out: list[Any] = []
    problems: list[tuple[str, str]] = []
    for i, item in enumerate(items):
        try:
            out.append(load(item))
        except ConfigError as exc:
            problems += [(f"{base}[{i}]{p[1:]}", m) for p, m in exc.problems]
    if problems:
        raise ConfigError(problems)
    return tuple(out)


def fingerprints(policies: Iterable[Any]) -> dict[str, str]:
    """``{tag-or-class: fingerprint}`` helper for reports."""
    return {tag_of(type(p)) or type(p).__name__: fingerprint(p) for p in policies}
