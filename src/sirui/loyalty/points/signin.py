"""日历签到: daily sign-in with a streak ladder, streak coupons, monthly rewards, make-up.

Theory of operation
-------------------
A `SigninCalendar` is one member's sign-in state. Days are calendar days in
the store's zone (``policy.tz``): a sign-in at 23:59 and one at 00:01 are
two days. `SignIn` at ``now`` signs today; `MakeUp` (补签) fills a missed day
of the current month for a cost in points, up to a monthly limit.

The streak is the run of consecutive signed days ending today. Its reward
comes from the ladder (day 1..7: 5, 5, 10, 10, 15, 15, 30 points); after the
ladder ends the policy either *cycles* (day 8 pays like day 1, the streak
keeps counting), *resets* (day 8 is shown as day 1 again) or *holds* (every
later day pays like the last rung). A `StreakCoupon` names a coupon template
to grant on a given streak day (连续签到领优惠券); the coupon itself is issued
by the coupons mechanic. A `MonthlyReward` pays once per month when the
member has signed on N days of it (累计签到).

A make-up day counts for the streak from then on and for the monthly count,
but pays no ladder points itself. The calendar keeps only the current
month's days plus the length of the run that ended on the previous month's
last day, so its size never grows with time.

Each day of the month is either not signed, ``SIGNED`` or ``MADE_UP``; the
table `SIGNIN_TRANSITIONS` keyed by ``(day status, command type)`` decides
first (`SignIn` names today, `MakeUp` its ``day``): a signed day takes
neither command again (``signin.already_signed``,
``signin.makeup_not_allowed``). The business checks follow: a make-up only
for a day of this month before today, within the monthly limit, paid for.

The machine contract (`sirui.rules.commandlog`): accepted ids live in a
`CommandLog`; a replay returns the original events and changes nothing,
also after a save and reload; the same id with other content raises
`IdConflictError`; a refusal is not recorded; `PruneLog` forgets ids older
than ``SigninPolicy.log_retention_days``. Time: commands come in time order
(``as_of``); the move to a new month happens inside the first command
accepted in it, never in a refusal.

Invariants: at most one sign-in per local day; make-ups only in the current
month, before today, within the monthly limit and paid for; each monthly
reward at most once a month; replays return the original events.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Final, TypeAlias

import attrs

from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.registry import policy
from sirui.core.validators import int_at_least, non_empty_id, non_negative_int
from sirui.core.windows import DEFAULT_TZ, DateTime, aware, local_date, tz_name
from sirui.core.zh import zh_date
from sirui.rules.commandlog import CommandLog, PruneLog, transition
from sirui.rules.outcome import Accepted, Event, Rejected
from sirui.rules.reasons import Reason, reason_code

__all__ = [
    "SIGNIN_TRANSITIONS",
    "AfterLadder",
    "DayStatus",
    "MadeUp",
    "MakeUp",
    "MonthlyReward",
    "MonthlyRewardEarned",
    "SignIn",
    "SignedIn",
    "SigninCalendar",
    "SigninPolicy",
    "StreakCoupon",
]

ALREADY_SIGNED = reason_code(
    "signin.already_signed", zh="{day_zh}已签到", en="Already signed in on {day}"
)
MAKEUP_NOT_ALLOWED = reason_code(
    "signin.makeup_not_allowed",
    zh="只能补签本月今天之前未签到的日子",
    en="Only a missed day of this month before today can be made up",
)
MAKEUP_LIMIT = reason_code(
    "signin.makeup_limit", zh="本月补签次数已用完（{limit}次）",
    en="No make-ups left this month (limit {limit})",
)
MAKEUP_POINTS = reason_code(
    "signin.makeup_insufficient_points",
    zh="补签需要{cost}积分，当前可用{available}",
    en="A make-up costs {cost} points; {available} available",
)


class AfterLadder(enum.Enum):
    """What happens after the last rung of the streak ladder."""

    CYCLE = "cycle"
    """Day 8 pays like day 1 again; the streak keeps counting (8, 9, ...)."""
    RESET = "reset"
    """The streak shows day 1 again after the last rung."""
    HOLD = "hold"
    """Every later day pays like the last rung."""


@policy("signin.streak_coupon")
@attrs.frozen(slots=True)
class StreakCoupon:
    """连续签到领券: grant ``coupon_template`` on streak day ``day``."""

    day: int = attrs.field(validator=int_at_least(1))
    coupon_template: str = attrs.field(validator=attrs.validators.min_len(1))


@policy("signin.monthly_reward")
@attrs.frozen(slots=True)
class MonthlyReward:
    """累计签到奖励: once a month, after signing on ``days`` days of it."""

    days: int = attrs.field(validator=int_at_least(1))
    points: int = attrs.field(default=0, validator=int_at_least(0))
    coupon_template: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.days > 31:
            raise invalid("days", self.days, "must be <= 31 (days in a month)")
        if not self.points and not self.coupon_template:
            raise invalid("points", self.points, "a reward needs points or a coupon_template")


def _ladder(_inst: object, _attr: object, value: tuple[int, ...]) -> None:
    if not value or any(type(v) is not int or v < 0 for v in value):
        raise invalid("ladder", value, "must be a non-empty tuple of ints >= 0", "e.g. (5, 10)")


@policy("signin.policy")
@attrs.frozen(slots=True)
class SigninPolicy:
    """签到规则: the ladder, coupons, monthly rewards and make-up terms."""

    ladder: tuple[int, ...] = attrs.field(default=(5, 5, 10, 10, 15, 15, 30), validator=_ladder)
    after_ladder: AfterLadder = AfterLadder.CYCLE
    coupons: tuple[StreakCoupon, ...] = ()
    monthly: tuple[MonthlyReward, ...] = ()
    makeup_cost: int = attrs.field(default=0, validator=int_at_least(0))
    """Points a make-up sign-in costs (补签消耗积分)."""
    makeups_per_month: int = attrs.field(default=0, validator=int_at_least(0))
    tz: str = attrs.field(default=DEFAULT_TZ, validator=tz_name)
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)
    """Days the calendar remembers accepted command ids (`PruneLog`); retries must come sooner."""

    def __attrs_post_init__(self) -> None:
        days = [c.day for c in self.coupons]
        if len(set(days)) != len(days):
            raise invalid("coupons", days, "two coupons on the same streak day")
        marks = [m.days for m in self.monthly]
        if len(set(marks)) != len(marks):
            raise invalid("monthly", marks, "two rewards for the same day count")

    def reward_for(self, streak: int) -> tuple[int, int]:
        """``(shown streak day, points)`` for the ``streak``-th consecutive day."""
        n = len(self.ladder)
        if self.after_ladder is AfterLadder.RESET:
            shown = (streak - 1) % n + 1
            return shown, self.ladder[shown - 1]
        if self.after_ladder is AfterLadder.CYCLE:
            return streak, self.ladder[(streak - 1) % n]
        return streak, self.ladder[min(streak, n) - 1]


@attrs.frozen(slots=True)
class SignIn:
    """Sign in today (the local day of ``now``)."""

    id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class MakeUp:
    """补签 a missed ``day``; ``available_points`` is the member's spendable balance."""

    id: str = attrs.field(validator=non_empty_id)
    day: dt.date
    available_points: int = attrs.field(validator=int_at_least(0))


SigninCommand: TypeAlias = SignIn | MakeUp


class DayStatus(enum.Enum):
    """A day of the current month (not signed: no status)."""

    SIGNED = "signed"
    MADE_UP = "made_up"


#: ``(status of the day, command type) -> status``; `SignIn` names today, `MakeUp` its day.
SIGNIN_TRANSITIONS: Final[dict[tuple[DayStatus | None, type[Any]], DayStatus]] = {
    (None, SignIn): DayStatus.SIGNED,
    (None, MakeUp): DayStatus.MADE_UP,
}


@attrs.frozen(slots=True)
class SignedIn(Event):
    """Credit ``points`` to the ledger and issue ``coupon_templates``."""

    txn_id: str
    member_id: str
    day: dt.date
    streak: int
    points: int
    coupon_templates: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class MadeUp(Event):
    """Spend ``cost_points`` from the ledger for the make-up of ``day``."""

    txn_id: str
    member_id: str
    day: dt.date
    cost_points: int


@attrs.frozen(slots=True)
class MonthlyRewardEarned(Event):
    txn_id: str
    member_id: str
    month: dt.date
    days: int
    points: int
    coupon_template: str | None


def _month_after(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1)


@attrs.frozen(slots=True)
class SigninCalendar:
    """One member's sign-in calendar (签到日历). Build with `SigninCalendar.open`."""

    member_id: str
    policy: SigninPolicy = attrs.field(factory=SigninPolicy)
    month: dt.date | None = None
    """First day of the month ``days`` belong to."""
    days: frozenset[int] = frozenset()
    carry: int = 0
    """Length of the run that ended on the last day of the previous month."""
    made_up: frozenset[int] = frozenset()
    """The days of ``days`` that were made up (补签), not signed on the day."""
    monthly_claimed: frozenset[int] = frozenset()
    as_of: dt.date | None = None
    """Local day of the last command; commands must come in time order."""
    log: CommandLog = attrs.field(factory=CommandLog, repr=False)

    @classmethod
    def open(cls, member_id: str, policy: SigninPolicy | None = None) -> SigninCalendar:
        return cls(member_id, policy or SigninPolicy())

    # -- views ----------------------------------------------------------------------

    def run_ending(self, day: dt.date) -> int:
        """Consecutive signed days ending on ``day`` (0 if ``day`` is not signed)."""
        if self.month is None:
            return 0
        if (day.year, day.month) != (self.month.year, self.month.month):
            return self.carry if day == self.month - dt.timedelta(days=1) else 0
        d, n = day.day, 0
        while d >= 1 and d in self.days:
            n += 1
            d -= 1
        return n + self.carry if d == 0 else n

    def streak(self, now: DateTime) -> int:
        """The live streak at ``now``: ending today, or yesterday if not signed yet today."""
        today = local_date(now, self.policy.tz)
        return self.run_ending(today) or self.run_ending(today - dt.timedelta(days=1))

    def signed_on(self, day: dt.date) -> bool:
        return self.month is not None and day.replace(day=1) == self.month and day.day in self.days

    def day_status(self, day: dt.date) -> DayStatus | None:
        """SIGNED or MADE_UP for a signed day of the current month, else None."""
        if not self.signed_on(day):
            return None
        return DayStatus.MADE_UP if day.day in self.made_up else DayStatus.SIGNED

    @property
    def makeups(self) -> int:
        """Make-ups used this month."""
        return len(self.made_up)

    # -- commands -------------------------------------------------------------------

    def handle(
        self, command: SigninCommand | PruneLog, *, now: DateTime
    ) -> Accepted[SigninCalendar] | Rejected[SigninCalendar]:
        now = aware(now)
        if not isinstance(command, SignIn | MakeUp | PruneLog):
            raise InvalidCommandError(
                f"command={command!r}: not a sign-in command; use SignIn, MakeUp or PruneLog"
            )
        replay = self.log.replay(self, command)
        if replay is not None:
            return replay
        today = local_date(now, self.policy.tz)
        if self.as_of is not None and today < self.as_of:
            raise InvalidCommandError(
                f"now={now}: local day {today} is before the calendar's last command on "
                f"{self.as_of}; apply commands in time order"
            )
        if isinstance(command, PruneLog):
            log, pruned = self.log.prune(command, now, self.policy.log_retention_days)
            return Accepted(attrs.evolve(self, log=log), pruned)
        state = self._roll(today)
        day = today if isinstance(command, SignIn) else command.day
        if transition(SIGNIN_TRANSITIONS, state.day_status(day), command) is None:
            return Rejected(_miss(command, day), self)
        result: tuple[SigninCalendar, tuple[Any, ...]] | Rejected[SigninCalendar]
        if isinstance(command, SignIn):
            result = state._sign_in(command, today)
        else:
            result = state._make_up(command, today)
        if isinstance(result, Rejected):
            return Rejected(result.reason, self)
        new, events = result
        log = self.log.record(command, events, now)
        return Accepted(attrs.evolve(new, as_of=today, log=log), events)

    def _roll(self, today: dt.date) -> SigninCalendar:
        first = today.replace(day=1)
        if self.month == first:
            return self
        carry = 0
        if self.month is not None and _month_after(self.month) == first:
            carry = self.run_ending(first - dt.timedelta(days=1))
        return attrs.evolve(
            self, month=first, days=frozenset(), carry=carry, made_up=frozenset(),
            monthly_claimed=frozenset(),
        )

    def _monthly(self, txn: str, count: int) -> tuple[frozenset[int], list[Any]]:
        assert self.month is not None
        events: list[Any] = []
        claimed = set(self.monthly_claimed)
        for m in sorted(self.policy.monthly, key=lambda m: m.days):
            if m.days <= count and m.days not in claimed:
                claimed.add(m.days)
                events.append(MonthlyRewardEarned(
                    txn, self.member_id, self.month, m.days, m.points, m.coupon_template
                ))
        return frozenset(claimed), events

    def _sign_in(self, c: SignIn, today: dt.date) -> tuple[SigninCalendar, tuple[Any, ...]]:
        streak = self.run_ending(today - dt.timedelta(days=1)) + 1
        shown, points = self.policy.reward_for(streak)
        coupons = tuple(k.coupon_template for k in self.policy.coupons if k.day == shown)
        new = attrs.evolve(self, days=self.days | {today.day})
        claimed, extra = new._monthly(c.id, len(new.days))
        ev = SignedIn(c.id, self.member_id, today, shown, points, coupons)
        return attrs.evolve(new, monthly_claimed=claimed), (ev, *extra)

    def _make_up(
        self, c: MakeUp, today: dt.date
    ) -> tuple[SigninCalendar, tuple[Any, ...]] | Rejected[SigninCalendar]:
        pol = self.policy
        if c.day.replace(day=1) != today.replace(day=1) or c.day >= today:
            return Rejected(MAKEUP_NOT_ALLOWED(), self)
        if self.makeups >= pol.makeups_per_month:
            return Rejected(MAKEUP_LIMIT(limit=pol.makeups_per_month), self)
        if c.available_points < pol.makeup_cost:
            return Rejected(MAKEUP_POINTS(cost=pol.makeup_cost, available=c.available_points), self)
        new = attrs.evolve(self, days=self.days | {c.day.day}, made_up=self.made_up | {c.day.day})
        claimed, extra = new._monthly(c.id, len(new.days))
        ev = MadeUp(c.id, self.member_id, c.day, pol.makeup_cost)
        return attrs.evolve(new, monthly_claimed=claimed), (ev, *extra)


def _miss(command: SigninCommand, day: dt.date) -> Reason:
    """Why the table refuses ``command`` for ``day``: it is signed already."""
    if isinstance(command, SignIn):
        return ALREADY_SIGNED(day=day, day_zh=zh_date(day))
    return MAKEUP_NOT_ALLOWED()
