"""The bargain campaign policy (砍价活动) and the draw of one helper's cut.

The cuts are shaped so that the price reaches the floor exactly at the last
expected helper, whatever the draws: every cut is at least one fen, the last
expected helper takes exactly what remains, and with ``generosity >= 1`` the
first cut is at least an even share of what is left. The same seed gives the
same cuts (`draw_cut` uses only the ``rng`` given).

An operator may bound every cut instead (``cut_range``: 每刀砍0.10-2.00元)
and give a new customer a larger first cut (``new_user_first_cut``: 新人首刀).
`BargainPolicy.cut` then draws each cut within what the remaining helpers
can still cover inside ``cut_range``, so the price still lands exactly on
the floor at the last expected helper and never below it: a new user's cut
is drawn from their range as far as that allows, and pulled to the nearest
cut that keeps the floor reachable otherwise.
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
from sirui.core.windows import DEFAULT_TZ, DateTime, tz_name
from sirui.rules import Always, Condition, Stage

__all__ = ["BargainPolicy", "CutRange", "check_rng", "draw_cut"]

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


@policy("bargain.cut_range")
@attrs.frozen(slots=True)
class CutRange:
    """One cut's bounds in fen, both included (每刀砍``min_fen``到``max_fen``分)."""

    min_fen: int = attrs.field(validator=int_at_least(1))
    max_fen: int = attrs.field(validator=int_at_least(1))

    def __attrs_post_init__(self) -> None:
        if self.max_fen < self.min_fen:
            raise invalid("max_fen", self.max_fen, f"is below min_fen={self.min_fen}",
                          "swap the two bounds")


def _opt_cut_range(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, CutRange):
        raise invalid(attribute.name, value, "must be a CutRange or None",
                      "e.g. CutRange(10, 200) for 0.10-2.00 yuan per cut")


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
    current price at any time or only at the floor (once succeeded).
    ``log_retention_days`` is how long a bargain remembers the command ids
    it accepted; it must outlast the host's longest retry.

    Success (砍价成功): a bargain succeeds when its price reaches the floor,
    or, with ``success_helpers``, when that many friends have helped even if
    the price is still above the floor (yudao's 助力人数 mode); a succeeded
    bargain takes no more help and may be bought at the price reached.

    The cuts: without ``cut_range`` each is drawn around ``generosity``
    (see `draw_cut`); with it, each is within ``[min_fen, max_fen]`` and the
    floor stays reachable (``helpers_expected * min_fen <= room <=
    helpers_expected * max_fen``, checked here). ``new_user_first_cut``: a
    helper who is a new customer cuts within this range on their first help
    in the campaign, as far as the floor stays reachable.
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
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)
    closed_stages: frozenset[Stage] = frozenset()
    name: str = ""
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """Days a bargain remembers the command ids it accepted (`PruneLog` forgets older ones)."""
    success_helpers: int | None = attrs.field(default=None, validator=opt_positive_int)
    """Helps after which the bargain succeeds above the floor (None: only at the floor)."""
    cut_range: CutRange | None = attrs.field(default=None, validator=_opt_cut_range)
    """Bounds of every cut in fen (None: cuts shaped by ``generosity``)."""
    new_user_first_cut: CutRange | None = attrs.field(default=None, validator=_opt_cut_range)
    """Bounds of a new customer's first cut in the campaign (新人首刀; None: as any cut)."""

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
        if self.success_helpers is not None and self.success_helpers >= self.helpers_expected:
            raise invalid("success_helpers", self.success_helpers,
                          f"must be below helpers_expected={self.helpers_expected}",
                          "at helpers_expected helps the price is at the floor anyway")
        r, n = self.cut_range, self.helpers_expected
        if r is not None and not n * r.min_fen <= room <= n * r.max_fen:
            raise invalid("cut_range", r,
                          f"{n} cuts of {r.min_fen}-{r.max_fen} fen cannot cut exactly {room} fen "
                          "to the floor",
                          f"choose bounds with {n} x min_fen <= {room} <= {n} x max_fen")

    def cut(self, remaining: int, helpers_left: int, new_user_first: bool,
            rng: random.Random) -> int:
        """One helper's cut in fen when ``remaining`` fen are left to ``helpers_left`` helpers.

        ``new_user_first``: the helper is a new customer helping for the
        first time (``new_user_first_cut`` applies). Without ``cut_range``
        or a new user's range this is `draw_cut` (today's shape); the last
        expected helper always takes exactly what remains.
        """
        first = self.new_user_first_cut if new_user_first else None
        if self.cut_range is None and first is None:
            return draw_cut(remaining, helpers_left, self.generosity, rng)
        check_rng(rng)
        if helpers_left <= 1:
            return remaining
        low, high = (1, remaining) if self.cut_range is None else (
            self.cut_range.min_fen, self.cut_range.max_fen)
        # What this cut may take so the others can still cut the rest within [low, high].
        most = remaining - (helpers_left - 1) * low
        least = max(1, remaining - (helpers_left - 1) * high)
        want = first or self.cut_range or CutRange(least, most)
        lo, hi = max(want.min_fen, least), min(want.max_fen, most)
        if lo > hi:
            return least if want.max_fen < least else most
        return rng.randint(lo, hi)

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
