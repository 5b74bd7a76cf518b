"""The bargain campaign policy (砍价活动) and the draw of one helper's cut.

The cuts are shaped so that the price reaches the floor exactly at the last
expected helper, whatever the draws: every cut is at least one fen, the last
expected helper takes exactly what remains, and with ``generosity >= 1`` the
first cut is at least an even share of what is left. The same seed gives the
same cuts (`draw_cut` uses only the ``rng`` given).
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import attrs

from sirui.campaigns._checks import is_condition
from sirui.core.errors import InvalidValueError, invalid
from sirui.core.money import Money, Rounding, as_rate, round_decimal
from sirui.core.registry import policy
from sirui.core.validators import (
    aware_datetime,
    int_at_least,
    non_empty_str,
    non_negative_int,
    opt_non_negative_int,
    opt_positive_int,
)
from sirui.core.windows import DEFAULT_TZ, DateTime, _check_tz
from sirui.rules import Always, Condition, Stage

__all__ = ["BargainPolicy", "check_rng", "draw_cut"]

_MAX_GENEROSITY = Decimal(4)


def _money_at_least(minimum: int) -> Any:
    def check(_inst: object, attribute: attrs.Attribute[Money], value: object) -> None:
        if not isinstance(value, Money) or value.minor < minimum:
            raise invalid(attribute.name, value, f"must be Money >= {minimum} fen",
                          "e.g. Money.of('9.90')")
    return check


def _generosity(value: object) -> Decimal:
    rate = as_rate(value, "generosity")
    if not 0 <= rate <= _MAX_GENEROSITY:
        raise invalid("generosity", value, f"must be between 0 and {_MAX_GENEROSITY}",
                      "0 gives even cuts, 1 front-loads them, 4 is the most generous")
    return rate


_ALWAYS: Condition = Always()


@policy("bargain.campaign")
@attrs.frozen(slots=True)
class BargainPolicy:
    """A bargain campaign (砍价活动) on one SKU.

    The price falls from ``original_price`` to ``floor_price`` over
    ``helpers_expected`` helps; a bargain lasts ``time_limit_minutes`` from
    its start, never past ``ends_at``. ``generosity`` shapes the cuts: 0
    keeps them around an even share, higher values make the first cuts
    larger (each cut centres on ``(1 + generosity)`` even shares of what is
    left). ``buy_at_floor_only`` decides whether the starter may buy at the
    current price at any time or only at the floor. ``log_retention_days``
    is how long a bargain remembers the command ids it accepted; it must
    outlast the host's longest retry.
    """

    id: str = attrs.field(validator=non_empty_str)
    sku: str = attrs.field(validator=non_empty_str)
    original_price: Money = attrs.field(validator=_money_at_least(1))
    floor_price: Money = attrs.field(validator=_money_at_least(0))
    helpers_expected: int = attrs.field(validator=int_at_least(1))
    starts_at: DateTime = attrs.field(validator=aware_datetime)
    ends_at: DateTime = attrs.field(validator=aware_datetime)
    time_limit_minutes: int = attrs.field(default=24 * 60, validator=int_at_least(1))
    generosity: Decimal = attrs.field(default=Decimal(1), converter=_generosity)
    buy_at_floor_only: bool = False
    starter_condition: Condition = attrs.field(default=_ALWAYS, validator=is_condition)
    helper_condition: Condition = attrs.field(default=_ALWAYS, validator=is_condition)
    max_helps_per_helper_per_day: int | None = attrs.field(default=None, validator=opt_positive_int)
    max_helps_per_helper: int | None = attrs.field(default=None, validator=opt_positive_int)
    max_bargains_per_member: int | None = attrs.field(default=None, validator=opt_positive_int)
    stock: int | None = attrs.field(default=None, validator=opt_non_negative_int)
    tz: str = attrs.field(default=DEFAULT_TZ, validator=_check_tz)
    closed_stages: frozenset[Stage] = frozenset()
    name: str = ""
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """Days a bargain remembers the command ids it accepted (`PruneLog` forgets older ones)."""

    def __attrs_post_init__(self) -> None:
        if self.ends_at <= self.starts_at:
            raise invalid("ends_at", self.ends_at, f"must be after starts_at={self.starts_at}",
                          "swap the two or extend the campaign")
        if self.floor_price.currency != self.original_price.currency:
            raise invalid("floor_price", self.floor_price, "currency differs from original_price")
        if self.floor_price >= self.original_price:
            raise invalid("floor_price", self.floor_price,
                          f"must be below original_price={self.original_price}",
                          "lower the floor or raise the original price")
        room = (self.original_price - self.floor_price).minor
        if room < self.helpers_expected:
            raise invalid("helpers_expected", self.helpers_expected,
                          f"exceeds the {room} fen to cut; every helper must cut at least 1 fen",
                          "expect fewer helpers or widen the gap to the floor")

    @property
    def room(self) -> Money:
        """What the helpers cut in total: ``original_price - floor_price``."""
        return self.original_price - self.floor_price

    def deadline_for(self, started_at: DateTime) -> DateTime:
        return min(started_at.add(minutes=self.time_limit_minutes), self.ends_at)


def check_rng(rng: object) -> random.Random:
    """``rng`` if it is a `random.Random`; anything else is a typed error naming the fix."""
    if not isinstance(rng, random.Random):
        raise invalid("rng", rng, "must be a random.Random",
                      "pass random.Random(seed) in tests or secrets.SystemRandom() in production",
                      cls=InvalidValueError)
    return rng


def draw_cut(remaining: int, helpers_left: int, generosity: Decimal, rng: random.Random) -> int:
    """One helper's cut in fen, drawn from ``rng``.

    The last expected helper takes exactly what remains; any other cut is
    between 1 fen and ``remaining - (helpers_left - 1)``, so every later
    helper can still cut at least one fen. The draw is uniform around a
    centre of ``(1 + generosity)`` even shares, from half to one and a half
    times it.
    """
    check_rng(rng)
    if helpers_left < 1 or remaining < helpers_left:
        raise invalid("remaining", remaining,
                      f"must be >= helpers_left={helpers_left} >= 1 (1 fen per helper)",
                      cls=InvalidValueError)
    if helpers_left == 1:
        return remaining
    most = remaining - (helpers_left - 1)
    centre = round_decimal(Decimal(remaining) * (1 + generosity) / helpers_left, Rounding.HALF_UP)
    low, high = max(1, centre // 2), min(most, centre + centre // 2)
    return high if low > high else rng.randint(low, high)
