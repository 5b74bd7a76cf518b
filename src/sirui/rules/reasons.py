"""Reasons: why a rule accepted, rejected or adjusted something.

A `Reason` is a stable dotted code (``coupon.below_threshold``), the
parameters that decided it, and a message in Chinese and English rendered
from one catalogue. Codes are API: hosts show them to shoppers and analysts
group by them, so a code never changes meaning once released.

Each mechanic defines its codes next to its rules::

    BELOW_THRESHOLD = reason_code(
        "coupon.below_threshold",
        zh="订单满{threshold}可用，还差{short}",
        en="Usable on orders of {threshold} or more; {short} to go",
    )
    BELOW_THRESHOLD(threshold=Money.of("100"), short=Money.of("12"))
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

import attrs

from sirui.core.errors import InvalidValueError
from sirui.core.money import Money

__all__ = ["CATALOGUE", "Reason", "ReasonCode", "reason_code"]

_FORMATTER: Final = string.Formatter()


def _fields(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in _FORMATTER.parse(template) if name)


@attrs.frozen(slots=True)
class ReasonCode:
    """A catalogue entry: calling it with parameters makes a `Reason`."""

    code: str
    zh: str
    en: str
    params: frozenset[str] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # Parsed once: reasons are made on every priced line, templates never change.
        object.__setattr__(self, "params", _fields(self.zh) | _fields(self.en))

    def __call__(self, **params: Any) -> Reason:
        if params.keys() >= self.params:
            return Reason(self.code, tuple(sorted(params.items())))
        missing = self.params - params.keys()
        if missing:
            raise InvalidValueError(
                f"reason {self.code!r} needs parameters {sorted(missing)}", field="params"
            )
        return Reason(self.code, tuple(sorted(params.items())))


CATALOGUE: dict[str, ReasonCode] = {}
"""Every reason code defined so far, by code."""


def reason_code(code: str, *, zh: str, en: str) -> ReasonCode:
    """Define (or fetch, if identical) a reason code in the catalogue."""
    parts = code.split(".")
    if len(parts) < 2 or not all(p and p.replace("_", "").isalnum() for p in parts):
        raise InvalidValueError(f"code={code!r}: reason codes are dotted lowercase words")
    entry = ReasonCode(code, zh, en)
    existing = CATALOGUE.get(code)
    if existing is not None and existing != entry:
        raise InvalidValueError(f"code={code!r} is already defined with other messages")
    CATALOGUE[code] = entry
    return entry


def _show(value: Any) -> str:
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, frozenset | set | tuple | list):
        return ", ".join(sorted(_show(v) for v in value))
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Money):
        return value.to_plain()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


@attrs.frozen(slots=True)
class Reason:
    """A stable code, its parameters, and zh/en messages.

    >>> from sirui.rules import reason_code
    >>> r = reason_code("demo.sold_out", zh="{sku}已抢光", en="{sku} is sold out")(sku="A1")
    >>> r.code, r.zh, r.en
    ('demo.sold_out', 'A1已抢光', 'A1 is sold out')
    """

    code: str
    params_items: tuple[tuple[str, Any], ...] = ()

    @property
    def params(self) -> Mapping[str, Any]:
        return dict(self.params_items)

    def message(self, lang: str = "zh") -> str:
        entry = CATALOGUE.get(self.code)
        if entry is None:
            return self.code
        template = entry.zh if lang.startswith("zh") else entry.en
        return template.format(**{k: _show(v) for k, v in self.params_items})

    @property
    def zh(self) -> str:
        return self.message("zh")

    @property
    def en(self) -> str:
        return self.message("en")

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "params", "zh", "en"}`` with JSON-ready parameter values."""
        return {
            "code": self.code,
            "params": {k: _plain(v) for k, v in self.params_items},
            "zh": self.zh,
            "en": self.en,
        }

    def __str__(self) -> str:
        return f"{self.code}: {self.en}"
