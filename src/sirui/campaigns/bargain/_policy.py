"""Bargain (砍价): friends cut the price of an item down to a floor.

A member starts a bargain on the campaign's item; each friend who helps cuts
a random amount drawn from the ``rng`` the host passes in. The cuts are
shaped so that the price reaches the floor exactly at the last expected
helper, whatever the draws.

Theory of operation: `BargainCampaign.handle` replays a command id it has
seen (same events, no new randomness), lets the clock act (a bargain past its
deadline expires), then checks and applies the command. The campaign keeps
each bargain plus the helpers' usage (per day in ``tz`` and per campaign)
and the units sold.

Invariants:

* every cut is at least one fen, and the price never goes below the floor;
* after ``helpers_expected`` helps the price is exactly the floor, so the
  cuts sum to ``original_price - floor_price``;
* with ``generosity >= 1`` the first cut is at least an even share of what
  is left (front-loaded, to feel generous);
* the same seed gives the same cuts (`draw_cut` uses only the ``rng`` given);
* a helper helps a bargain at most once, never their own, and within the
  per-day and per-campaign limits; units sold never exceed ``stock``.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from sirui.campaigns._checks import is_condition, is_member
from sirui.campaigns._replay import first_logged, move, replay, settle_each
from sirui.core.errors import InvalidCommandError, InvalidValueError, invalid
from sirui.core.money import Money, Rounding, as_rate, round_decimal
from sirui.core.nouns import Member
from sirui.core.registry import policy, tag_of
from sirui.core.validators import (
    aware_datetime,
    int_at_least,
    non_empty_id,
    non_empty_str,
    opt_non_negative_int,
    opt_positive_int,
)
from sirui.core.windows import DEFAULT_TZ, DateTime, _check_tz, aware, local_date
from sirui.rules import (
    Accepted,
    Adjustment,
    Always,
    Condition,
    Event,
    Facts,
    Outcome,
    PriceState,
    Reason,
    Rejected,
    Stage,
    reason_code,
)

__all__ = [
    "BARGAIN_REASONS",
    "BARGAIN_TRANSITIONS",
    "Bargain",
    "BargainCampaign",
    "BargainExpired",
    "BargainHelped",
    "BargainPolicy",
    "BargainPriceStep",
    "BargainPurchased",
    "BargainReachedFloor",
    "BargainStarted",
    "BargainStatus",
    "BargainTick",
    "BuyBargain",
    "Cut",
    "HelpBargain",
    "StartBargain",
    "draw_cut",
]

NOT_STARTED = reason_code("bargain.not_started", zh="砍价活动{start}开始",
                          en="The bargain campaign starts at {start}")
ENDED = reason_code("bargain.ended", zh="砍价活动已结束", en="The bargain campaign has ended")
EXPIRED = reason_code("bargain.expired", zh="砍价已过期（截止{deadline}）",
                      en="This bargain expired at {deadline}")
CLOSED = reason_code("bargain.closed", zh="该砍价已下单", en="This bargain was already bought")
SELF_HELP = reason_code("bargain.self_help", zh="不能给自己砍价",
                        en="You cannot help your own bargain")
ALREADY_HELPED = reason_code("bargain.already_helped", zh="您已帮TA砍过价",
                             en="You have already helped this bargain")
AT_FLOOR = reason_code("bargain.at_floor", zh="已砍到底价{floor}",
                       en="Already at the floor price {floor}")
NOT_ELIGIBLE = reason_code("bargain.not_eligible", zh="不满足条件（{because}）",
                           en="Not eligible ({because})")
DAILY_LIMIT = reason_code("bargain.daily_limit_reached", zh="今日帮砍次数已达上限{max}次",
                          en="Daily help limit reached ({max})")
LIMIT_REACHED = reason_code("bargain.limit_reached", zh="已达本活动每人限{limit}（最多{max}次）",
                            en="Campaign limit reached: {limit} (max {max})")
ALREADY_STARTED = reason_code("bargain.already_started", zh="您已有进行中的砍价",
                              en="You already have a bargain in progress")
NOT_AT_FLOOR = reason_code("bargain.not_at_floor", zh="砍到底价{floor}才能购买（当前{price}）",
                           en="Buy once at the floor {floor} (now {price})")
SOLD_OUT = reason_code("bargain.sold_out", zh="砍价商品已售罄", en="The bargain item is sold out")
PRICE = reason_code("bargain.price", zh="砍价价{price}（原价{original}）",
                    en="Bargain price {price} (was {original})")
NOT_THIS_ITEM = reason_code("bargain.not_this_item", zh="该商品不参与此砍价",
                            en="This item is not in the bargain")

#: Every rejection code of the bargain state machine, by code.
BARGAIN_REASONS = {r.code: r for r in (
    NOT_STARTED, ENDED, EXPIRED, CLOSED, SELF_HELP, ALREADY_HELPED, AT_FLOOR, NOT_ELIGIBLE,
    DAILY_LIMIT, LIMIT_REACHED, ALREADY_STARTED, NOT_AT_FLOOR, SOLD_OUT,
)}

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
    current price at any time or only at the floor.
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


def _check_rng(rng: object) -> random.Random:
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
    _check_rng(rng)
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


class BargainStatus(enum.Enum):
    ACTIVE = "active"
    """Taking helps (砍价中)."""
    PURCHASED = "purchased"
    """The starter bought at the price reached."""
    EXPIRED = "expired"
    """The deadline passed without a purchase."""


#: The only status changes a bargain makes, by trigger.
BARGAIN_TRANSITIONS: dict[tuple[BargainStatus, str], BargainStatus] = {
    (BargainStatus.ACTIVE, "bought"): BargainStatus.PURCHASED,
    (BargainStatus.ACTIVE, "deadline"): BargainStatus.EXPIRED,
}

# -- commands and events -----------------------------------------------------------------


@attrs.frozen(slots=True)
class StartBargain:
    id: str = attrs.field(validator=non_empty_id)
    bargain_id: str = attrs.field(validator=non_empty_id)
    member: Member = attrs.field(validator=is_member)


@attrs.frozen(slots=True)
class HelpBargain:
    id: str = attrs.field(validator=non_empty_id)
    bargain_id: str = attrs.field(validator=non_empty_id)
    helper: Member = attrs.field(validator=is_member)


@attrs.frozen(slots=True)
class BuyBargain:
    id: str = attrs.field(validator=non_empty_id)
    bargain_id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class BargainTick:
    """The host's timer: expire bargains past their deadline (all when ``bargain_id`` is None)."""

    bargain_id: str | None = None


@attrs.frozen(slots=True)
class BargainStarted(Event):
    bargain_id: str
    member_id: str
    price: Money
    deadline: DateTime


@attrs.frozen(slots=True)
class BargainHelped(Event):
    bargain_id: str
    helper_id: str
    cut: Money
    price: Money
    """The price after this cut."""


@attrs.frozen(slots=True)
class BargainReachedFloor(Event):
    bargain_id: str
    price: Money
    at: DateTime


@attrs.frozen(slots=True)
class BargainPurchased(Event):
    bargain_id: str
    member_id: str
    price: Money
    at: DateTime


@attrs.frozen(slots=True)
class BargainExpired(Event):
    bargain_id: str
    price: Money
    at: DateTime


@attrs.frozen(slots=True)
class Cut:
    """One helper's cut, as recorded on the bargain."""

    command_id: str
    helper_id: str
    amount: Money
    at: DateTime


@attrs.frozen(slots=True)
class Bargain:
    """One member's bargain (砍价单): the price so far and who cut it."""

    id: str
    starter: str
    started_at: DateTime
    deadline: DateTime
    price: Money
    cuts: tuple[Cut, ...] = ()
    status: BargainStatus = BargainStatus.ACTIVE
    log: tuple[tuple[Any, tuple[Any, ...]], ...] = ()

    def helped_by(self, helper_id: str) -> bool:
        return any(c.helper_id == helper_id for c in self.cuts)

    def logged(self, command_id: str) -> tuple[Any, tuple[Any, ...]] | None:
        return first_logged(self.log, command_id)

    def _move(self, trigger: str, **changes: Any) -> Bargain:
        return move(self, BARGAIN_TRANSITIONS, trigger, "bargain", **changes)

    def settle(self, now: DateTime) -> tuple[Bargain, list[Any]]:
        if self.status is BargainStatus.ACTIVE and now >= self.deadline:
            return self._move("deadline"), [BargainExpired(self.id, self.price, self.deadline)]
        return self, []


Command = StartBargain | HelpBargain | BuyBargain | BargainTick


@attrs.frozen(slots=True)
class BargainCampaign:
    """The live state of a bargain campaign: its bargains and the helpers' usage."""

    policy: BargainPolicy
    bargains: Mapping[str, Bargain] = attrs.field(factory=dict)
    helps_by_day: Mapping[tuple[str, str], int] = attrs.field(factory=dict)
    """Helps per (helper id, local date ISO string)."""
    helps_total: Mapping[str, int] = attrs.field(factory=dict)
    started: Mapping[str, int] = attrs.field(factory=dict)
    """Bargains started per member."""
    latest: Mapping[str, str] = attrs.field(factory=dict)
    """Each member's most recent bargain id (the only one that can be in progress)."""
    sold: int = 0

    @classmethod
    def start(cls, policy: BargainPolicy) -> BargainCampaign:
        if not isinstance(policy, BargainPolicy):
            raise invalid("policy", policy, "must be a BargainPolicy")
        return cls(policy)

    def bargain(self, bargain_id: str) -> Bargain:
        found = self.bargains.get(bargain_id)
        if found is None:
            raise InvalidCommandError(f"bargain_id={bargain_id!r}: no such bargain; "
                                      "start it with StartBargain first")
        return found

    def handle(
        self, command: Command, *, now: DateTime, rng: random.Random | None = None
    ) -> Outcome[BargainCampaign]:
        """Apply ``command`` at ``now``; a help draws its cut from ``rng`` (required then)."""
        now = aware(now)
        if rng is not None or isinstance(command, HelpBargain):
            _check_rng(rng)
        if isinstance(command, BargainTick):
            return self._tick(command, now)
        if not isinstance(command, StartBargain | HelpBargain | BuyBargain):
            raise InvalidCommandError(f"command={command!r}: not a bargain command")
        existing = self.bargains.get(command.bargain_id)
        if existing is not None:
            replayed = replay(self, command, existing.logged(command.id))
            if replayed is not None:
                return replayed
        if isinstance(command, StartBargain):
            if existing is not None:
                raise InvalidCommandError(f"bargain_id={command.bargain_id!r} already exists")
            return self._start(command, now)
        bargain, pre = self.bargain(command.bargain_id).settle(now)
        state = self._store(bargain) if pre else self
        reason = state._closed_reason(bargain)
        if reason is not None:
            return Rejected(reason, state, tuple(pre))
        if isinstance(command, HelpBargain):
            assert rng is not None
            return state._help(bargain, command, now, rng, pre)
        return state._buy(bargain, command, now, pre)

    def _tick(self, command: BargainTick, now: DateTime) -> Outcome[BargainCampaign]:
        ids = [command.bargain_id] if command.bargain_id is not None else list(self.bargains)
        changed, events = settle_each(ids, lambda bid: self.bargain(bid).settle(now))
        if not changed:
            return Accepted(self, ())
        return Accepted(attrs.evolve(self, bargains={**self.bargains, **changed}), tuple(events))

    def _closed_reason(self, bargain: Bargain) -> Reason | None:
        if bargain.status is BargainStatus.EXPIRED:
            return EXPIRED(deadline=bargain.deadline)
        if bargain.status is BargainStatus.PURCHASED:
            return CLOSED()
        return None

    def _start(self, cmd: StartBargain, now: DateTime) -> Outcome[BargainCampaign]:
        p = self.policy
        reason: Reason | None = None
        count = self.started.get(cmd.member.id, 0)
        if now < p.starts_at:
            reason = NOT_STARTED(start=p.starts_at)
        elif now >= p.ends_at:
            reason = ENDED()
        elif p.stock is not None and self.sold >= p.stock:
            reason = SOLD_OUT()
        elif self._in_progress(cmd.member.id, now):
            reason = ALREADY_STARTED()
        elif p.max_bargains_per_member is not None and count >= p.max_bargains_per_member:
            reason = LIMIT_REACHED(limit="发起砍价", max=p.max_bargains_per_member)
        else:
            reason = _condition_reason(p.starter_condition, cmd.member, now)
        if reason is not None:
            return Rejected(reason, self)
        deadline = p.deadline_for(now)
        bargain = Bargain(cmd.bargain_id, cmd.member.id, now, deadline, p.original_price)
        events = (BargainStarted(bargain.id, cmd.member.id, bargain.price, deadline),)
        bargain = attrs.evolve(bargain, log=((cmd, events),))
        state = attrs.evolve(self, started={**self.started, cmd.member.id: count + 1},
                             latest={**self.latest, cmd.member.id: bargain.id})
        return Accepted(state._store(bargain), events)

    def _in_progress(self, member_id: str, now: DateTime) -> bool:
        last = self.bargains.get(self.latest.get(member_id, ""))
        return last is not None and last.status is BargainStatus.ACTIVE and now < last.deadline

    def _help(self, bargain: Bargain, cmd: HelpBargain, now: DateTime, rng: random.Random,
              pre: list[Any]) -> Outcome[BargainCampaign]:
        p, helper = self.policy, cmd.helper.id
        day_key = (helper, local_date(now, p.tz).isoformat())
        today = self.helps_by_day.get(day_key, 0)
        total = self.helps_total.get(helper, 0)
        reason: Reason | None = None
        if helper == bargain.starter:
            reason = SELF_HELP()
        elif bargain.helped_by(helper):
            reason = ALREADY_HELPED()
        elif bargain.price <= p.floor_price:
            reason = AT_FLOOR(floor=p.floor_price)
        elif p.max_helps_per_helper_per_day is not None and today >= p.max_helps_per_helper_per_day:
            reason = DAILY_LIMIT(max=p.max_helps_per_helper_per_day)
        elif p.max_helps_per_helper is not None and total >= p.max_helps_per_helper:
            reason = LIMIT_REACHED(limit="帮砍", max=p.max_helps_per_helper)
        else:
            reason = _condition_reason(p.helper_condition, cmd.helper, now)
        if reason is not None:
            return Rejected(reason, self, tuple(pre))
        remaining = (bargain.price - p.floor_price).minor
        left = max(p.helpers_expected - len(bargain.cuts), 1)
        fen = draw_cut(remaining, min(left, remaining), p.generosity, rng)
        cut = Money(fen, p.original_price.currency)
        price = bargain.price - cut
        events: list[Any] = [*pre, BargainHelped(bargain.id, helper, cut, price)]
        if price == p.floor_price:
            events.append(BargainReachedFloor(bargain.id, price, now))
        evs = tuple(events)
        cuts = (*bargain.cuts, Cut(cmd.id, helper, cut, now))
        bargain = attrs.evolve(bargain, price=price, cuts=cuts, log=(*bargain.log, (cmd, evs)))
        state = attrs.evolve(self, helps_by_day={**self.helps_by_day, day_key: today + 1},
                             helps_total={**self.helps_total, helper: total + 1})
        return Accepted(state._store(bargain), evs)

    def _buy(self, bargain: Bargain, cmd: BuyBargain, now: DateTime,
             pre: list[Any]) -> Outcome[BargainCampaign]:
        p = self.policy
        if p.buy_at_floor_only and bargain.price > p.floor_price:
            reason = NOT_AT_FLOOR(floor=p.floor_price, price=bargain.price)
            return Rejected(reason, self, tuple(pre))
        if p.stock is not None and self.sold >= p.stock:
            return Rejected(SOLD_OUT(), self, tuple(pre))
        evs = (*pre, BargainPurchased(bargain.id, bargain.starter, bargain.price, now))
        bargain = bargain._move("bought", log=(*bargain.log, (cmd, evs)))
        return Accepted(attrs.evolve(self._store(bargain), sold=self.sold + 1), evs)

    def _store(self, bargain: Bargain) -> BargainCampaign:
        return attrs.evolve(self, bargains={**self.bargains, bargain.id: bargain})


def _condition_reason(condition: Condition, member: Member, now: DateTime) -> Reason | None:
    verdict = condition.evaluate(Facts(now, member))
    if verdict.ok:
        return None
    return NOT_ELIGIBLE(because=tuple(r.code for r in verdict.reasons))


@attrs.frozen(slots=True)
class BargainPriceStep:
    """Price a cart line at the bargain's current price (activity stage, 活动价).

    Records an `Adjustment` with ``activity="bargain:<campaign id>"``; skips,
    with a reason, a line of another SKU or a floor-only bargain not yet at
    its floor.
    """

    policy: BargainPolicy
    bargain: Bargain
    line_id: str

    @property
    def stage(self) -> Stage:
        return Stage.ACTIVITY

    @property
    def activity(self) -> str:
        return f"bargain:{self.policy.id}"

    def price(self, state: PriceState) -> PriceState:
        rule, kind = self.activity, tag_of(BargainPolicy) or ""
        pl = state.line(self.line_id)
        if pl.line.sku.id != self.policy.sku:
            return state.skip(rule, self.stage, NOT_THIS_ITEM(), kind)
        price = self.bargain.price
        if self.policy.buy_at_floor_only and price > self.policy.floor_price:
            return state.skip(rule, self.stage,
                              NOT_AT_FLOOR(floor=self.policy.floor_price, price=price), kind)
        off = (pl.amount - price * pl.line.quantity).max(Money.zero(state.currency))
        if not pl.open_to(self.stage) or off.is_zero():
            return state
        reason = PRICE(price=price, original=pl.line.unit_price)
        return state.apply(Adjustment(rule, self.stage, off, ((pl.id, off),), reason, kind=kind,
                                      blocks=self.policy.closed_stages, activity=rule))
