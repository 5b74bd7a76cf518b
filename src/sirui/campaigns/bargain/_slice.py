"""The bargain state machine: one command decided on one `BargainSlice`.

Theory of operation
-------------------
A command never needs the whole campaign. It needs a `BargainSlice`: the
small values the host loads by key before deciding and writes back in one
transaction afterwards:

* the campaign's `BargainPolicy` (read only);
* the campaign's `BargainCounters` (units sold: the stock check);
* the `Bargain` the command names (None before `StartBargain`), with its own
  `CommandLog` (idempotency is per bargain);
* the `BargainUsage` of the member the command concerns
  (`BargainSlice.members_for`): the starter for `StartBargain` and
  `BuyBargain`, the helper for `HelpBargain`, nobody for `BargainTick`.

``slice.handle(command, now=..., rng=...)`` takes these steps, in order:
a command of another type, a slice holding another bargain, missing usage
or a help without an ``rng`` is misuse (an exception); a command id the
bargain accepted before is a replay (the original events, the same slice,
no new draw; `IdConflictError` for other content); `BARGAIN_TRANSITIONS`
decides whether the bargain's status takes the command type (a bought or
expired bargain takes nothing); then the business checks; accepted, the new
slice carries the bargain with the command in its log.

Success is a state: a help that brings the price to the floor
(`BargainReachedFloor`), or the ``success_helpers``-th help above it
(`BargainSucceeded`), moves the bargain to SUCCEEDED (the rows
``floor_reached`` and ``helpers_reached``). A succeeded bargain takes no
more help (``bargain.at_floor``, or ``bargain.succeeded`` above the floor);
it may be bought, or it expires at its deadline like an active one.

Expiry: a bargain past its deadline takes no help and no purchase
(``bargain.expired``), but a refusal changes nothing, so the bargain stays
ACTIVE in storage until the host's delay queue sends `BargainTick` at the
deadline; the tick is accepted with `BargainExpired`. A member's bargain in
progress ends with its purchase or its deadline (``BargainUsage``), so no
tick is needed for the member to start another.

Invariants: every cut is at least one fen (and within ``cut_range`` when
set, a new user's first cut aside) and the price never goes below the
floor; after ``helpers_expected`` helps the price is exactly the floor;
a helper helps a bargain at most once, never their own, and within the
per-day and per-campaign limits; units sold never exceed ``stock``.
"""

from __future__ import annotations

import datetime as dt
import enum
import random
from collections.abc import Iterable
from typing import Any, Final

import attrs

from sirui.campaigns.bargain._messages import (
    BargainExpired,
    BargainHelped,
    BargainPurchased,
    BargainReachedFloor,
    BargainStarted,
    BargainSucceeded,
    BargainTick,
    BuyBargain,
    HelpBargain,
    StartBargain,
)
from sirui.campaigns.bargain._policy import BargainPolicy, check_rng
from sirui.core.errors import InvalidCommandError, invalid
from sirui.core.money import Money
from sirui.core.nouns import Member
from sirui.core.validators import non_empty_id, non_negative_int
from sirui.core.windows import DateTime, aware, local_date
from sirui.core.zh import zh_datetime
from sirui.rules import (
    Accepted,
    CommandLog,
    Facts,
    PruneLog,
    Reason,
    Rejected,
    reason_code,
    transition,
)

__all__ = [
    "BARGAIN_REASONS",
    "BARGAIN_TRANSITIONS",
    "Bargain",
    "BargainCounters",
    "BargainSlice",
    "BargainStatus",
    "BargainUsage",
    "Cut",
]

NOT_STARTED = reason_code("bargain.not_started", zh="砍价活动{start_zh}开始",
                          en="The bargain campaign starts at {start}")
ENDED = reason_code("bargain.ended", zh="砍价活动已结束", en="The bargain campaign has ended")
EXPIRED = reason_code("bargain.expired", zh="砍价已过期（截止{deadline_zh}）",
                      en="This bargain expired at {deadline}")
CLOSED = reason_code("bargain.closed", zh="该砍价已下单", en="This bargain was already bought")
SELF_HELP = reason_code("bargain.self_help", zh="不能给自己砍价",
                        en="You cannot help your own bargain")
ALREADY_HELPED = reason_code("bargain.already_helped", zh="您已帮TA砍过价",
                             en="You have already helped this bargain")
AT_FLOOR = reason_code("bargain.at_floor", zh="已砍到底价{floor}",
                       en="Already at the floor price {floor}")
NOT_ELIGIBLE = reason_code("bargain.not_eligible", zh="不满足条件（{because_zh}）",
                           en="Not eligible ({because})")
DAILY_LIMIT = reason_code("bargain.daily_limit_reached", zh="今日帮砍次数已达上限{max}次",
                          en="Daily help limit reached ({max})")
LIMIT_REACHED = reason_code("bargain.limit_reached",
                            zh="已达本活动每人限{limit_zh}（最多{max}次）",
                            en="Campaign limit reached: {limit} (max {max})")
ALREADY_STARTED = reason_code("bargain.already_started", zh="您已有进行中的砍价",
                              en="You already have a bargain in progress")
NOT_AT_FLOOR = reason_code("bargain.not_at_floor", zh="砍到底价{floor}才能购买（当前{price}）",
                           en="Buy once at the floor {floor} (now {price})")
SOLD_OUT = reason_code("bargain.sold_out", zh="砍价商品已售罄", en="The bargain item is sold out")
NOT_DUE = reason_code("bargain.not_due", zh="砍价进行中（截止{deadline_zh}）",
                      en="The bargain runs until {deadline}")
SUCCEEDED = reason_code("bargain.succeeded", zh="已砍价成功（{helpers}人帮砍），可按{price}购买",
                        en="The bargain already succeeded ({helpers} helpers); buy at {price}")
NOT_SUCCEEDED = reason_code(
    "bargain.not_succeeded", zh="还需{left}人帮砍或砍到底价{floor}才能购买（当前{price}）",
    en="Buy once {left} more friends help or the price reaches {floor} (now {price})")

#: Every rejection code of the bargain state machine, by code.
BARGAIN_REASONS = {r.code: r for r in (
    NOT_STARTED, ENDED, EXPIRED, CLOSED, SELF_HELP, ALREADY_HELPED, AT_FLOOR, NOT_ELIGIBLE,
    DAILY_LIMIT, LIMIT_REACHED, ALREADY_STARTED, NOT_AT_FLOOR, SOLD_OUT, NOT_DUE, SUCCEEDED,
    NOT_SUCCEEDED,
)}


class BargainStatus(enum.Enum):
    ACTIVE = "active"
    """Taking helps (砍价中)."""
    SUCCEEDED = "succeeded"
    """At the floor, or helped by ``success_helpers`` friends (砍价成功): ready to buy."""
    PURCHASED = "purchased"
    """The starter bought at the price reached."""
    EXPIRED = "expired"
    """The deadline passed without a purchase."""


_ACTIVE: Final = BargainStatus.ACTIVE
_SUCCEEDED: Final = BargainStatus.SUCCEEDED

#: (status, command type) -> the status the command leaves a bargain in (None:
#: no bargain yet); (status, consequence) -> where a consequence of an accepted
#: help moves it. A command missing here is refused; nothing leaves a bought
#: or expired bargain, and a succeeded one takes no more help.
BARGAIN_TRANSITIONS: Final[dict[tuple[BargainStatus | None, Any], BargainStatus]] = {
    (None, StartBargain): _ACTIVE,
    (_ACTIVE, HelpBargain): _ACTIVE,
    (_ACTIVE, "floor_reached"): _SUCCEEDED,
    (_ACTIVE, "helpers_reached"): _SUCCEEDED,
    (_ACTIVE, BuyBargain): BargainStatus.PURCHASED,
    (_ACTIVE, BargainTick): BargainStatus.EXPIRED,
    (_SUCCEEDED, BuyBargain): BargainStatus.PURCHASED,
    (_SUCCEEDED, BargainTick): BargainStatus.EXPIRED,
}


@attrs.frozen(slots=True)
class Cut:
    """One helper's cut, as recorded on the bargain."""

    command_id: str
    helper_id: str
    amount: Money
    at: DateTime


@attrs.frozen(slots=True)
class Bargain:
    """One member's bargain (砍价单): the price so far, who cut it, the commands it took."""

    id: str
    starter: str
    started_at: DateTime
    deadline: DateTime
    price: Money
    cuts: tuple[Cut, ...] = ()
    status: BargainStatus = BargainStatus.ACTIVE
    log: CommandLog = attrs.field(factory=CommandLog)

    def helped_by(self, helper_id: str) -> bool:
        return any(c.helper_id == helper_id for c in self.cuts)

    def with_log(self, log: CommandLog) -> Bargain:
        return attrs.evolve(self, log=log)


@attrs.frozen(slots=True)
class BargainCounters:
    """The campaign's counters (one small record per campaign): units sold."""

    campaign_id: str = attrs.field(validator=non_empty_id)
    sold: int = attrs.field(default=0, validator=non_negative_int)


@attrs.frozen(slots=True)
class BargainUsage:
    """One member's usage of a bargain campaign, as starter and as helper.

    ``active_id`` is the member's bargain in progress until ``active_until``
    (its deadline) or its purchase; ``helps_that_day`` counts the helps
    given on ``help_day`` (a local date in the policy's ``tz``).
    """

    member_id: str = attrs.field(validator=non_empty_id)
    started: int = attrs.field(default=0, validator=non_negative_int)
    active_id: str | None = None
    active_until: DateTime | None = None
    helps: int = attrs.field(default=0, validator=non_negative_int)
    help_day: dt.date | None = None
    helps_that_day: int = attrs.field(default=0, validator=non_negative_int)

    def in_progress(self, now: DateTime) -> bool:
        """True if the member's last bargain is still running at ``now``."""
        return self.active_until is not None and now < self.active_until

    def helps_on(self, day: dt.date) -> int:
        return self.helps_that_day if self.help_day == day else 0


def _usage_tuple(value: Iterable[BargainUsage]) -> tuple[BargainUsage, ...]:
    return tuple(value)


Command = StartBargain | HelpBargain | BuyBargain | BargainTick | PruneLog
_BARGAIN_COMMANDS: Final = (StartBargain, HelpBargain, BuyBargain, BargainTick)
Outcome = Accepted["BargainSlice"] | Rejected["BargainSlice"]


@attrs.frozen(slots=True)
class BargainSlice:
    """What one bargain command needs: the policy, the counters, one bargain, one member's usage.

    ``bargain`` is the bargain the command names, or None for
    `StartBargain`; ``usage`` holds the `BargainUsage` of each id
    `members_for` lists (``BargainUsage(member_id)`` for a member with no
    record yet). The host writes back the bargain, the counters and the
    usage records of an accepted command together.
    """

    policy: BargainPolicy
    counters: BargainCounters
    bargain: Bargain | None = None
    usage: tuple[BargainUsage, ...] = attrs.field(default=(), converter=_usage_tuple)

    def __attrs_post_init__(self) -> None:
        if self.counters.campaign_id != self.policy.id:
            raise invalid("counters.campaign_id", self.counters.campaign_id,
                          f"belongs to another campaign than policy.id={self.policy.id!r}",
                          "load the counters stored under the policy's id")
        ids = [u.member_id for u in self.usage]
        if len(set(ids)) != len(ids):
            raise invalid("usage", ids, "holds two records of one member",
                          "load one BargainUsage per member")

    @staticmethod
    def members_for(command: Any, bargain: Bargain | None) -> tuple[str, ...]:
        """The members whose `BargainUsage` the slice for ``command`` must hold."""
        if isinstance(command, StartBargain):
            return (command.member.id,)
        if isinstance(command, HelpBargain):
            return (command.helper.id,)
        if isinstance(command, BuyBargain) and bargain is not None:
            return (bargain.starter,)
        return ()

    def usage_of(self, member_id: str) -> BargainUsage:
        for u in self.usage:
            if u.member_id == member_id:
                return u
        raise InvalidCommandError(
            f"member_id={member_id!r}: the slice holds no BargainUsage for this member; "
            "load the records BargainSlice.members_for(command, bargain) names "
            "(BargainUsage(member_id) for a member with none)"
        )

    # -- the one entry point ----------------------------------------------------------

    def handle(
        self, command: Command, *, now: DateTime, rng: random.Random | None = None
    ) -> Outcome:
        """Apply ``command`` at ``now``; a help draws its cut from ``rng`` (required then)."""
        now = aware(now)
        if rng is not None or isinstance(command, HelpBargain):
            check_rng(rng)
        if type(command) is PruneLog:
            return self._prune(command, now)
        if not isinstance(command, _BARGAIN_COMMANDS):
            raise InvalidCommandError(
                f"command={command!r}: not a bargain command; use StartBargain, HelpBargain, "
                "BuyBargain, BargainTick or PruneLog"
            )
        bargain = self.bargain
        if bargain is not None:
            if bargain.id != command.bargain_id:
                raise InvalidCommandError(
                    f"bargain={bargain.id!r}: the slice holds another bargain than "
                    f"command.bargain_id={command.bargain_id!r}; load the bargain by its id"
                )
            replayed = bargain.log.replay(self, command)
            if replayed is not None:
                return replayed
            if isinstance(command, StartBargain):
                raise InvalidCommandError(f"bargain_id={command.bargain_id!r} already exists; "
                                          "start a new bargain under a new id")
        elif not isinstance(command, StartBargain):
            raise InvalidCommandError(f"bargain_id={command.bargain_id!r}: no such bargain; "
                                      "start it with StartBargain first")
        for member_id in self.members_for(command, bargain):
            self.usage_of(member_id)
        if transition(BARGAIN_TRANSITIONS, None if bargain is None else bargain.status,
                      command) is None:
            assert bargain is not None
            return Rejected(self._closed_reason(bargain, now), self)
        if isinstance(command, StartBargain):
            return self._start(command, now)
        assert bargain is not None
        if isinstance(command, BargainTick):
            return self._tick(bargain, command, now)
        if now >= bargain.deadline:
            return Rejected(self._expired(bargain), self)
        if isinstance(command, HelpBargain):
            assert rng is not None
            return self._help(bargain, command, now, rng)
        return self._buy(bargain, command, now)

    # -- commands ---------------------------------------------------------------------

    def _start(self, cmd: StartBargain, now: DateTime) -> Outcome:
        p, use = self.policy, self.usage_of(cmd.member.id)
        reason: Reason | None = None
        if now < p.starts_at:
            reason = NOT_STARTED(start=p.starts_at, start_zh=zh_datetime(p.starts_at, p.tz))
        elif now >= p.ends_at:
            reason = ENDED()
        elif p.stock is not None and self.counters.sold >= p.stock:
            reason = SOLD_OUT()
        elif use.in_progress(now):
            reason = ALREADY_STARTED()
        elif p.max_bargains_per_member is not None and use.started >= p.max_bargains_per_member:
            reason = LIMIT_REACHED(limit="bargains started", limit_zh="发起砍价",
                                   max=p.max_bargains_per_member)
        else:
            reason = _condition_reason(p.starter_condition, cmd.member, now)
        if reason is not None:
            return Rejected(reason, self)
        deadline = p.deadline_for(now)
        bargain = Bargain(cmd.bargain_id, cmd.member.id, now, deadline, p.original_price)
        events = (BargainStarted(bargain.id, cmd.member.id, bargain.price, deadline),)
        use = attrs.evolve(use, started=use.started + 1, active_id=bargain.id,
                           active_until=deadline)
        return self._accept(bargain, cmd, events, now, use=use)

    def _help(self, bargain: Bargain, cmd: HelpBargain, now: DateTime,
              rng: random.Random) -> Outcome:
        p, use = self.policy, self.usage_of(cmd.helper.id)
        day = local_date(now, p.tz)
        reason: Reason | None = None
        if use.member_id == bargain.starter:
            reason = SELF_HELP()
        elif bargain.helped_by(use.member_id):
            reason = ALREADY_HELPED()
        elif (p.max_helps_per_helper_per_day is not None
              and use.helps_on(day) >= p.max_helps_per_helper_per_day):
            reason = DAILY_LIMIT(max=p.max_helps_per_helper_per_day)
        elif p.max_helps_per_helper is not None and use.helps >= p.max_helps_per_helper:
            reason = LIMIT_REACHED(limit="helps", limit_zh="帮砍", max=p.max_helps_per_helper)
        else:
            reason = _condition_reason(p.helper_condition, cmd.helper, now)
        if reason is not None:
            return Rejected(reason, self)
        remaining = (bargain.price - p.floor_price).minor
        left = max(p.helpers_expected - len(bargain.cuts), 1)
        first_new = cmd.helper.is_new_customer and use.helps == 0
        cut = Money(p.cut(remaining, min(left, remaining), first_new, rng),
                    p.original_price.currency)
        price = bargain.price - cut
        events: tuple[Any, ...] = (BargainHelped(bargain.id, use.member_id, cut, price),)
        helpers = len(bargain.cuts) + 1
        status = bargain.status
        if price == p.floor_price:
            events = (*events, BargainReachedFloor(bargain.id, price, now))
            status = BARGAIN_TRANSITIONS[(status, "floor_reached")]
        elif p.success_helpers is not None and helpers >= p.success_helpers:
            events = (*events, BargainSucceeded(bargain.id, price, helpers, now))
            status = BARGAIN_TRANSITIONS[(status, "helpers_reached")]
        bargain = attrs.evolve(bargain, price=price, status=status,
                               cuts=(*bargain.cuts, Cut(cmd.id, use.member_id, cut, now)))
        use = attrs.evolve(use, helps=use.helps + 1, help_day=day,
                           helps_that_day=use.helps_on(day) + 1)
        return self._accept(bargain, cmd, events, now, use=use)

    def _buy(self, bargain: Bargain, cmd: BuyBargain, now: DateTime) -> Outcome:
        p = self.policy
        if p.buy_at_floor_only and bargain.status is not _SUCCEEDED:
            if p.success_helpers is None:
                return Rejected(NOT_AT_FLOOR(floor=p.floor_price, price=bargain.price), self)
            return Rejected(NOT_SUCCEEDED(left=p.success_helpers - len(bargain.cuts),
                                          floor=p.floor_price, price=bargain.price), self)
        if p.stock is not None and self.counters.sold >= p.stock:
            return Rejected(SOLD_OUT(), self)
        events = (BargainPurchased(bargain.id, bargain.starter, bargain.price, now),)
        use = self.usage_of(bargain.starter)
        if use.active_id == bargain.id:
            use = attrs.evolve(use, active_id=None, active_until=None)
        c = self.counters
        return self._accept(attrs.evolve(bargain, status=_target(bargain, cmd)), cmd, events, now,
                            use=use, counters=BargainCounters(c.campaign_id, c.sold + 1))

    def _tick(self, bargain: Bargain, cmd: BargainTick, now: DateTime) -> Outcome:
        if now < bargain.deadline:
            return Rejected(NOT_DUE(deadline=bargain.deadline,
                                    deadline_zh=zh_datetime(bargain.deadline, self.policy.tz)),
                            self)
        events = (BargainExpired(bargain.id, bargain.price, bargain.deadline),)
        return self._accept(attrs.evolve(bargain, status=_target(bargain, cmd)), cmd, events,
                            now)

    def _prune(self, cmd: PruneLog, now: DateTime) -> Outcome:
        bargain = self.bargain
        if bargain is None:
            raise InvalidCommandError("PruneLog prunes the log of the bargain a slice holds; "
                                      "load the bargain to prune")
        replayed = bargain.log.replay(self, cmd)
        if replayed is not None:
            return replayed
        log, events = bargain.log.prune(cmd, now, self.policy.log_retention_days)
        return Accepted(attrs.evolve(self, bargain=bargain.with_log(log)), events)

    def _expired(self, bargain: Bargain) -> Reason:
        return EXPIRED(deadline=bargain.deadline,
                       deadline_zh=zh_datetime(bargain.deadline, self.policy.tz))

    def _closed_reason(self, bargain: Bargain, now: DateTime) -> Reason:
        """Why the table refuses a command in the bargain's status."""
        if bargain.status is BargainStatus.EXPIRED or (
                bargain.status is _SUCCEEDED and now >= bargain.deadline):
            return self._expired(bargain)
        if bargain.status is _SUCCEEDED:
            if bargain.price <= self.policy.floor_price:
                return AT_FLOOR(floor=self.policy.floor_price)
            return SUCCEEDED(helpers=len(bargain.cuts), price=bargain.price)
        return CLOSED()

    def _accept(
        self, bargain: Bargain, cmd: Any, events: tuple[Any, ...], now: DateTime, *,
        use: BargainUsage | None = None, counters: BargainCounters | None = None,
    ) -> Accepted[BargainSlice]:
        usage = self.usage
        if use is not None:
            usage = tuple(use if u.member_id == use.member_id else u for u in usage)
        recorded = bargain.with_log(bargain.log.record(cmd, events, now))
        return Accepted(BargainSlice(self.policy, counters or self.counters, recorded, usage),
                        events)


def _target(bargain: Bargain, command: Any) -> BargainStatus:
    return BARGAIN_TRANSITIONS[(bargain.status, type(command))]


def _condition_reason(condition: Any, member: Member, now: DateTime) -> Reason | None:
    verdict = condition.evaluate(Facts(now, member))
    if verdict.ok:
        return None
    return NOT_ELIGIBLE(because=tuple(r.code for r in verdict.reasons),
                        because_zh="；".join(r.zh for r in verdict.reasons))
