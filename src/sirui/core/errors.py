"""Typed errors for misuse of the library.

Business rejections ("sold out", "not eligible") are *values* (see
`sirui.rules.Rejected`); these exceptions are for misuse: a float where money
belongs, a naive datetime, an invalid policy, a command that the state cannot
take. Every class derives from `SiruiError` and from the builtin it refines,
so ``except ValueError`` keeps working in host code. Messages name the field,
the value and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "ConfigError",
    "CurrencyMismatchError",
    "IdConflictError",
    "InvalidCommandError",
    "InvalidMoneyError",
    "InvalidPolicyError",
    "InvalidValueError",
    "MoneyTypeError",
    "NaiveDatetimeError",
    "SiruiError",
    "invalid",
]


class SiruiError(Exception):
    """Root of every error sirui raises on purpose."""


class InvalidValueError(SiruiError, ValueError):
    """A value is outside what the function or constructor accepts.

    Attributes:
        field: the argument or attribute name (``"tiers[2].threshold"``).
        value: the offending value.
    """

    def __init__(self, message: str, *, field: str = "", value: Any = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class InvalidPolicyError(InvalidValueError):
    """A policy (promotion, coupon, ladder, ...) cannot be built as given."""


class InvalidMoneyError(InvalidValueError):
    """An amount cannot be represented exactly (bad text, NaN, too large, sub-fen)."""


class MoneyTypeError(SiruiError, TypeError):
    """A float (or another unsupported type) was given where money belongs."""


class CurrencyMismatchError(SiruiError, ValueError):
    """Two amounts of different currencies were combined."""


class NaiveDatetimeError(SiruiError, ValueError):
    """A datetime without a time zone was given; sirui never guesses a zone."""


class InvalidCommandError(SiruiError, ValueError):
    """A command cannot be applied to a state (wrong state, unknown id, ...).

    This is misuse by the host; a business "no" is a `Rejected` outcome.
    """


class IdConflictError(InvalidCommandError):
    """A command id was replayed with different content."""


class ConfigError(SiruiError, ValueError):
    """A policy document is invalid. ``problems`` lists every problem with its path.

    Example message::

        2 problems in the document:
          $.tiers[2].threshold: must be > 0, got -5
          $.type: unknown policy type 'promotion.nope'
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} in the document:"]
        lines += [f"  {path}: {msg}" for path, msg in self.problems]
        super().__init__("\n".join(lines))


def invalid(
    field: str,
    value: Any,
    rule: str,
    fix: str = "",
    *,
    cls: type[InvalidValueError] = InvalidPolicyError,
) -> InvalidValueError:
    """Build an error naming the field, the value, the rule broken and the fix.

    >>> str(invalid("threshold", -5, "must be > 0", "use a positive amount"))
    'threshold=-5: must be > 0; use a positive amount'
    """
    msg = f"{field}={value!r}: {rule}"
    if fix:
        msg += f"; {fix}"
    return cls(msg, field=field, value=value)
