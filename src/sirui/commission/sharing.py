"""WeChat Pay profit sharing (微信支付分账): split an order's payment among receivers.

Two layers. The *plan*: a `SharingPolicy` names receivers (guide, store,
headquarters, partner), each with a rate of the order's paid amount;
`SharingPolicy.split` gives a `SharingPlan`: the payment fee, each
receiver's gross share, the fee part each bears, their net, and what the
merchant keeps. The *machine*: a `SharingOrder` is one paid order's
sharing as WeChat Pay's API runs it, in fen, request by request.

Theory of operation (`SharingOrder`)
------------------------------------
An order paid with profit sharing on has its funds frozen (``OPEN``). The
host sends, and the order decides, as the API would:

* `RequestSplit` (请求分账, ``id`` = ``out_order_no``): amounts in fen to up
  to ``max_receivers`` receivers (50); at most ``max_requests`` requests per
  order (50). Cumulative splits never exceed ``cap`` of the order (the
  merchant's configured maximum ratio, 30% by default, counted on the order
  amount) nor the order less the payment fee. ``finish=True`` unfreezes the
  rest to the merchant in the same step (``unfreeze_unsplit``).
* `ReturnSplit` (分账回退, ``id`` = ``out_return_no``): a receiver gives back
  part or all of what one request gave it; returns of one request and
  receiver never exceed its amount, at most ``max_returns`` (50) per request,
  within ``return_within_days`` (180) of the request, never from a personal
  receiver (``personal=True``: WeChat returns only from merchant accounts).
  Returned money goes to the merchant, not back to the frozen funds, so it
  does not make room under the cap again.
* `FinishSharing` (完结分账 / 解冻剩余资金): the rest goes to the merchant;
  splitting ends (``FINISHED``).
* `ExpireSharing`: the freeze period ended (``unfreeze_after_days`` after
  payment, 30 by default: WeChat unfreezes the rest by itself, 资金冻结期最长
  30天). The host sends it from its delay queue at ``deadline``; before
  then it is refused. A split or finish at or after the deadline is
  refused too, and changes nothing: the expiry is always this explicit,
  accepted command.

A request above the cap, too many receivers or requests, a return above
what was split: each is a `Rejected` outcome with a reason, never an
exception; misuse (an unknown request id or account, a receiver twice in
one request) raises `InvalidCommandError`. Legality is `SHARING_TRANSITIONS`,
keyed by ``(status, command type)``, read before any business check.
Commands are idempotent by id through the order's `CommandLog`; `PruneLog`
forgets ids older than ``log_retention_days``.

Money of one order, exact to the fen at every step::

    amount = held by receivers + returned to the merchant + merchant's rest
    merchant's rest = fee + still frozen + unfrozen to the merchant

Rules and invariants of the plan:

* the shared total (receivers' gross) never exceeds ``cap`` (30% by default,
  WeChat's limit) of the order: rates summing above the cap are refused at
  construction, and the total is rounded down;
* the fee (0.6% by default) is rounded half up to the fen; who bears it is
  ``fee_bearer``: the merchant alone, the receivers (up to their shares), or
  everyone pro rata;
* fen-exact: Σ receivers' net + merchant's net + fee = order amount, always;
* with automatic withdrawal off (``auto_withdraw=False``) a reserve of the
  merchant's part (``reserve_rate`` of the order) stays as balance for
  refunds (退款备用金);
* a refund reverses sharing (分账回退) in proportion, cumulatively, so a full
  refund returns every share, the fee and the merchant's part exactly; the
  merchant's part absorbs the fen rounding of partial refunds.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Final, TypeAlias

import attrs

from sirui.commission._common import check_rate, rate_field, to_rate, zh_date, zh_percent
from sirui.commission._sharing_messages import (
    ABOVE_CAP,
    DEADLINE_PASSED,
    FINISHED,
    NOT_DUE,
    NOT_ENOUGH,
    PERSONAL_NO_RETURN,
    RETURN_ABOVE_SPLIT,
    RETURN_TOO_LATE,
    TOO_MANY_RECEIVERS,
    TOO_MANY_REQUESTS,
    TOO_MANY_RETURNS,
    ExpireSharing,
    FinishCause,
    FinishSharing,
    ReceiverRole,
    RequestSplit,
    ReturnSplit,
    SharingCommand,
    SharingFinished,
    SharingStatus,
    SplitMade,
    SplitRecord,
    SplitReturned,
    SplitShare,
    SplitTo,
)
from sirui.core.errors import InvalidCommandError, InvalidPolicyError, invalid
from sirui.core.money import Money, Rounding, round_decimal
from sirui.core.registry import policy
from sirui.core.validators import non_empty_id, non_empty_str, non_negative_int, positive_int
from sirui.core.windows import DateTime, aware
from sirui.rules.commandlog import CommandLog, PruneLog, transition
from sirui.rules.outcome import Accepted, Event, Rejected
from sirui.rules.reasons import Reason

__all__ = [
    "SHARING_TRANSITIONS",
    "ExpireSharing",
    "FeeBearer",
    "FinishCause",
    "FinishSharing",
    "Receiver",
    "ReceiverRole",
    "RequestSplit",
    "ReturnSplit",
    "Share",
    "SharingCommand",
    "SharingFinished",
    "SharingOrder",
    "SharingPlan",
    "SharingPolicy",
    "SharingReversal",
    "SharingStatus",
    "SplitMade",
    "SplitRecord",
    "SplitReturned",
    "SplitShare",
    "SplitTo",
]


class FeeBearer(enum.Enum):
    """Who pays the payment fee (手续费承担方)."""

    MERCHANT = "merchant"
    """The merchant's retained part bears it all."""
    RECEIVERS = "receivers"
    """Receivers bear it in proportion to their shares (the merchant covers any rest)."""
    PRO_RATA = "pro_rata"
    """Merchant and receivers bear it in proportion to what each gets."""


@attrs.frozen(slots=True)
class Receiver:
    """A profit-sharing receiver (分账接收方): an account, its role and its rate."""

    account: str = attrs.field(validator=non_empty_str)
    role: ReceiverRole
    rate: Decimal = attrs.field(converter=to_rate, validator=rate_field)


def _receivers(value: Iterable[Receiver]) -> tuple[Receiver, ...]:
    items = tuple(value)
    accounts = [r.account for r in items]
    if len(set(accounts)) != len(accounts):
        raise invalid("receivers", accounts, "an account appears twice", "merge its rates")
    return items


@attrs.frozen(slots=True)
class Share:
    """One receiver's part of one order."""

    account: str
    role: ReceiverRole
    gross: Money
    fee: Money
    net: Money


@attrs.frozen(slots=True)
class SharingReversal:
    """What one refund takes back (分账回退): from each receiver, the fee, the merchant."""

    refund: Money
    receivers: tuple[tuple[str, Money], ...]
    fee: Money
    merchant: Money

    @property
    def total(self) -> Money:
        return sum((m for _, m in self.receivers), self.fee + self.merchant)


@attrs.frozen(slots=True)
class SharingPlan:
    """How one order's payment is split; sums are exact to the fen."""

    amount: Money
    fee: Money
    shares: tuple[Share, ...]
    merchant_gross: Money
    merchant_fee: Money
    merchant_net: Money
    reserve: Money
    """Kept as balance for refunds when automatic withdrawal is off."""

    @property
    def shared(self) -> Money:
        """Receivers' gross total (the amount counted against the cap)."""
        return sum((s.gross for s in self.shares), Money.zero(self.amount.currency))

    @property
    def withdrawable(self) -> Money:
        return self.merchant_net - self.reserve

    def share_of(self, account: str) -> Share:
        for s in self.shares:
            if s.account == account:
                return s
        raise invalid("account", account, "not a receiver of this plan")

    def _cumulative(self, refunded: Money) -> tuple[list[Money], Money, Money]:
        a = self.amount.minor
        nets = [_down(s.net, refunded.minor, a) for s in self.shares]
        fee = _down(self.fee, refunded.minor, a)
        merchant = refunded - sum(nets, fee)
        return nets, fee, merchant

    def reverse(self, refund: Money, already_refunded: Money | None = None) -> SharingReversal:
        """Take back ``refund`` after ``already_refunded`` of this order was refunded before."""
        before = already_refunded if already_refunded is not None else refund * 0
        if refund.minor < 0 or before.minor < 0 or before + refund > self.amount:
            raise invalid("refund", refund,
                          f"with {before} refunded before, must stay within {self.amount}")
        n0, f0, m0 = self._cumulative(before)
        n1, f1, m1 = self._cumulative(before + refund)
        return SharingReversal(
            refund,
            # equivalent mutants: n0 and n1 are built from self.shares, so strict= changes nothing
            tuple((s.account, b - a) for s, a, b in zip(self.shares, n0, n1, strict=True)),  # pragma: no mutate  # noqa: E501
            f1 - f0,
            m1 - m0,
        )


def _down(part: Money, num: int, den: int) -> Money:
    """``part × num / den`` rounded down, exact at ``num == den``."""
    if den <= 0 or num <= 0:
        return part * 0
    if num >= den:  # pragma: no mutate (equivalent: part × den // den is part)
        return part
    return Money(part.minor * num // den, part.currency)


@policy("sharing.policy")
@attrs.frozen(slots=True)
class SharingPolicy:
    """Profit-sharing rule (分账规则).

    >>> from decimal import Decimal
    >>> pol = SharingPolicy((Receiver("guide-g1", ReceiverRole.GUIDE, Decimal("0.05")),))
    >>> pol.split(Money.of("100")).share_of("guide-g1").net
    Money('5.00', 'CNY')
    """

    receivers: tuple[Receiver, ...] = attrs.field(default=(), converter=_receivers)
    """The rate template `split` and `request` use (none: amounts come per request)."""
    cap: Decimal = attrs.field(default=Decimal("0.3"), converter=to_rate, validator=rate_field)
    """The merchant's maximum sharing ratio of an order (订单分账最大比例)."""
    fee_rate: Decimal = attrs.field(default=Decimal("0.006"), converter=to_rate,
                                    validator=rate_field)
    fee_bearer: FeeBearer = FeeBearer.MERCHANT
    auto_withdraw: bool = True
    reserve_rate: Decimal = attrs.field(default=Decimal("0.1"), converter=to_rate,
                                        validator=rate_field)
    max_receivers: int = attrs.field(default=50, validator=positive_int)
    """Receivers per request (每次最多分给50个接收方)."""
    max_requests: int = attrs.field(default=50, validator=positive_int)
    """Split requests per order (同一笔订单最多分账50次)."""
    max_returns: int = attrs.field(default=50, validator=positive_int)
    """Returns per split request (同一笔分账单最多回退50次)."""
    unfreeze_after_days: int = attrs.field(default=30, validator=non_negative_int)
    """Days after payment when WeChat unfreezes the rest by itself (资金冻结期最长30天)."""
    return_within_days: int = attrs.field(default=180, validator=non_negative_int)
    """Days after a split within which it can be returned (分账回退的时限是180天)."""
    log_retention_days: int = attrs.field(default=30, validator=non_negative_int)

    def __attrs_post_init__(self) -> None:
        # equivalent mutants: 0 + Decimal is the Decimal; no receivers sum to 0 either way
        total = sum((r.rate for r in self.receivers), Decimal(0))  # pragma: no mutate
        if total > self.cap:
            raise InvalidPolicyError(
                f"receivers: rates sum to {total}, above the cap {self.cap}; "
                "lower the rates (WeChat Pay shares at most 30% of an order)",
                field="receivers", value=total,
            )
        check_rate("cap", self.cap)  # pragma: no mutate (equivalent: its validator checked it)

    @property
    def total_rate(self) -> Decimal:
        return sum((r.rate for r in self.receivers), Decimal(0))

    def split(self, amount: Money) -> SharingPlan:
        """Split an order's paid ``amount`` (shipping included if it was paid through WeChat)."""
        if not isinstance(amount, Money) or amount.minor < 0:
            raise invalid("amount", amount, "must be Money >= 0")
        zero = amount * 0
        fee = amount.times(self.fee_rate)
        rates = [r.rate for r in self.receivers]
        shared = Money(round_decimal(Decimal(amount.minor) * self.total_rate, Rounding.DOWN),
                       amount.currency)
        # pragma: no mutate start (equivalent: a zero `shared` allocates to zeros by any rates)
        gross = shared.allocate(rates) if shared.minor and any(rates) else [zero for _ in rates]
        # pragma: no mutate end
        merchant_gross = amount - shared
        if self.fee_bearer is FeeBearer.MERCHANT or not fee.minor:
            fees, merchant_fee = [zero for _ in rates], fee
        elif self.fee_bearer is FeeBearer.RECEIVERS:
            borne = fee.min(shared)
            fees = borne.allocate(gross) if borne.minor else [zero for _ in rates]
            merchant_fee = fee - borne
        else:
            # pragma: no mutate start (equivalent: fee > 0 here, so amount > 0: the else is dead)
            parts = fee.allocate([merchant_gross, *gross]) if amount.minor else [zero] * (
                len(rates) + 1)
            # pragma: no mutate end
            merchant_fee, fees = parts[0], parts[1:]
        shares = tuple(
            Share(r.account, r.role, g, f, g - f)
            # equivalent mutants: gross and fees are built per receiver (same length)
            for r, g, f in zip(self.receivers, gross, fees, strict=True)  # pragma: no mutate
        )
        merchant_net = merchant_gross - merchant_fee
        reserve = zero
        if not self.auto_withdraw:
            reserve = amount.times(self.reserve_rate, Rounding.DOWN).min(merchant_net).max(zero)
        return SharingPlan(amount, fee, shares, merchant_gross, merchant_fee, merchant_net,
                           reserve)

    def request(self, id: str, amount: Money, *, finish: bool = False) -> RequestSplit:
        """A `RequestSplit` paying each template receiver its gross share of ``amount``.

        Receivers whose share rounds to zero are left out (WeChat needs at
        least one fen per receiver).
        """
        plan = self.split(amount)
        to = tuple(SplitTo(s.account, s.role, s.gross) for s in plan.shares if s.gross.minor)
        return RequestSplit(id, to, finish)


# -- the per-order machine (WeChat Pay's API) ---------------------------------------------

_CAUSE_ZH: Final = {
    FinishCause.REQUEST: "分账时已解冻剩余资金",
    FinishCause.MERCHANT: "商户已完结分账",
    FinishCause.DEADLINE: "冻结期满已自动解冻",
}

_S = SharingStatus

#: ``(status, command type) -> status after it``. A miss is refused (``sharing.finished``).
#: `RequestSplit` with ``finish=True`` then also takes the ``FinishSharing`` row.
SHARING_TRANSITIONS: Final[dict[tuple[SharingStatus, type[Any]], SharingStatus]] = {
    (_S.OPEN, RequestSplit): _S.OPEN,
    (_S.OPEN, ReturnSplit): _S.OPEN,
    (_S.OPEN, FinishSharing): _S.FINISHED,
    (_S.OPEN, ExpireSharing): _S.FINISHED,
    (_S.FINISHED, ReturnSplit): _S.FINISHED,
}
_COMMANDS: Final = frozenset(kind for _, kind in SHARING_TRANSITIONS)
_ACTION_ZH: Final = {RequestSplit: "再分账", FinishSharing: "再次完结", ExpireSharing: "再次解冻"}


Outcome: TypeAlias = Accepted["SharingOrder"] | Rejected["SharingOrder"]


def _positive_money(_inst: object, attribute: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money) or value.minor <= 0:
        raise invalid(attribute.name, value, "must be Money > 0")


def _zero(order: SharingOrder) -> Money:
    return order.amount * 0


@attrs.frozen(slots=True)
class SharingOrder:
    """One paid order's profit sharing, as WeChat Pay runs it (分账订单).

    >>> import pendulum
    >>> paid = pendulum.datetime(2026, 11, 11, 10, tz="Asia/Shanghai")
    >>> order = SharingOrder("4200001", Money.of("100"), paid)
    >>> order.cap_amount, order.room
    (Money('30.00', 'CNY'), Money('30.00', 'CNY'))
    """

    transaction_id: str = attrs.field(validator=non_empty_id)
    """The WeChat Pay transaction (微信订单号) or the host's order id."""
    amount: Money = attrs.field(validator=_positive_money)
    paid_at: DateTime = attrs.field(converter=aware)
    policy: SharingPolicy = SharingPolicy()
    status: SharingStatus = SharingStatus.OPEN
    splits: tuple[SplitRecord, ...] = ()
    unfrozen: Money = attrs.field(default=attrs.Factory(_zero, takes_self=True))
    finished_by: FinishCause | None = None
    log: CommandLog = attrs.field(factory=CommandLog)

    # -- figures ------------------------------------------------------------------------

    @property
    def fee(self) -> Money:
        """The payment fee (支付手续费), borne by the merchant's rest."""
        return self.amount.times(self.policy.fee_rate)

    @property
    def cap_amount(self) -> Money:
        """The most all splits may total: ``cap`` of the order, rounded down."""
        return self.amount.times(self.policy.cap, Rounding.DOWN)

    @property
    def split_total(self) -> Money:
        return sum((s.total for s in self.splits), _zero(self))

    @property
    def returned_total(self) -> Money:
        return sum((sh.returned for s in self.splits for sh in s.shares), _zero(self))

    @property
    def held(self) -> Money:
        """What the receivers hold: split less returned."""
        return self.split_total - self.returned_total

    @property
    def frozen(self) -> Money:
        """Funds still frozen for sharing (zero once finished)."""
        if self.status is SharingStatus.FINISHED:
            return _zero(self)
        return self.amount - self.fee - self.split_total

    @property
    def merchant_rest(self) -> Money:
        """The order less every split: fee + frozen + unfrozen."""
        return self.amount - self.split_total

    @property
    def room(self) -> Money:
        """What a split may still take: under the cap and within the frozen funds."""
        if self.status is SharingStatus.FINISHED:
            return _zero(self)
        return (self.cap_amount - self.split_total).min(self.frozen).max(_zero(self))

    @property
    def deadline(self) -> DateTime:
        """When WeChat unfreezes the rest by itself (``unfreeze_after_days`` after payment)."""
        return self.paid_at.add(days=self.policy.unfreeze_after_days)

    def split(self, split_id: str) -> SplitRecord:
        """The split request of that id; KeyError if none."""
        for s in self.splits:
            if s.id == split_id:
                return s
        raise KeyError(split_id)

    # -- the contract ---------------------------------------------------------------

    def handle(self, command: SharingCommand | PruneLog, *, now: DateTime) -> Outcome:
        """Apply ``command`` at ``now``; see the module docstring."""
        now = aware(now)
        if isinstance(command, PruneLog):
            log, pruned = self.log.prune(command, now, self.policy.log_retention_days)
            return Accepted(attrs.evolve(self, log=log), pruned)
        if type(command) not in _COMMANDS:
            raise InvalidCommandError(
                f"command={command!r}: not a sharing command; use RequestSplit, ReturnSplit, "
                "FinishSharing or ExpireSharing"
            )
        replay = self.log.replay(self, command)
        if replay is not None:
            return replay
        target = transition(SHARING_TRANSITIONS, self.status, command)
        if target is None:
            assert self.finished_by is not None
            return Rejected(FINISHED(
                transaction=self.transaction_id, cause=self.finished_by.value,
                cause_zh=_CAUSE_ZH[self.finished_by], command=type(command).__name__,
                action_zh=_ACTION_ZH[type(command)]), self)
        out = self._decide(command, now)
        if isinstance(out, Rejected):
            return out
        state = attrs.evolve(out.state, log=self.log.record(command, out.events, now))
        return Accepted(state, out.events, out.reason)

    def _decide(self, cmd: SharingCommand, now: DateTime) -> Outcome:
        if isinstance(cmd, ReturnSplit):
            return self._return(cmd, now)
        if now >= self.deadline:
            if isinstance(cmd, ExpireSharing):
                return self._finish(FinishCause.DEADLINE, (), self.splits)
            return Rejected(DEADLINE_PASSED(deadline=self.deadline,
                                            deadline_zh=zh_date(self.deadline)), self)
        if isinstance(cmd, ExpireSharing):
            return Rejected(NOT_DUE(deadline=self.deadline,
                                    deadline_zh=zh_date(self.deadline)), self)
        if isinstance(cmd, FinishSharing):
            return self._finish(FinishCause.MERCHANT, (), self.splits)
        return self._request(cmd, now)

    def _request(self, cmd: RequestSplit, now: DateTime) -> Outcome:
        refused = self._request_refusal(cmd)
        if refused is not None:
            return Rejected(refused, self)
        shares = tuple(SplitShare(r.account, r.role, r.amount, r.personal, r.amount * 0)
                       for r in cmd.receivers)
        splits = (*self.splits, SplitRecord(cmd.id, now, shares))
        total = cmd.total
        made = SplitMade(self.transaction_id, cmd.id,
                         tuple((r.account, r.amount) for r in cmd.receivers), total,
                         self.split_total + total)
        if cmd.finish:
            assert transition(SHARING_TRANSITIONS, self.status, FinishSharing(cmd.id))
            return self._finish(FinishCause.REQUEST, (made,), splits)
        return Accepted(attrs.evolve(self, splits=splits), (made,))

    def _request_refusal(self, cmd: RequestSplit) -> Reason | None:
        pol = self.policy
        if len(self.splits) >= pol.max_requests:
            return TOO_MANY_REQUESTS(limit=pol.max_requests, count=len(self.splits))
        if len(cmd.receivers) > pol.max_receivers:
            return TOO_MANY_RECEIVERS(limit=pol.max_receivers, count=len(cmd.receivers))
        requested = cmd.total
        if requested.currency != self.amount.currency:
            raise InvalidCommandError(
                f"receivers: amounts in {requested.currency}, the order is in "
                f"{self.amount.currency}")
        split = self.split_total
        if split + requested > self.cap_amount:
            return ABOVE_CAP(amount=self.amount, cap=zh_percent(pol.cap),
                             cap_amount=self.cap_amount, split=split, requested=requested)
        if requested > self.frozen:
            return NOT_ENOUGH(fee=self.fee, room=self.frozen.max(_zero(self)),
                              requested=requested)
        return None

    def _finish(self, cause: FinishCause, events: tuple[Event, ...],
                splits: tuple[SplitRecord, ...]) -> Accepted[SharingOrder]:
        state = attrs.evolve(self, splits=splits)
        rest = state.frozen
        done = attrs.evolve(state, status=SharingStatus.FINISHED, unfrozen=rest,
                            finished_by=cause)
        return Accepted(done, (*events, SharingFinished(self.transaction_id, cause, rest)))

    def _return(self, cmd: ReturnSplit, now: DateTime) -> Outcome:
        try:
            index = next(i for i, s in enumerate(self.splits) if s.id == cmd.split_id)
        except StopIteration:
            raise InvalidCommandError(
                f"split_id={cmd.split_id!r}: no split request of that id in order "
                f"{self.transaction_id!r}") from None
        record = self.splits[index]
        try:
            k, share = next((k, sh) for k, sh in enumerate(record.shares)
                            if sh.account == cmd.account)
        except StopIteration:
            raise InvalidCommandError(
                f"account={cmd.account!r}: not a receiver of split {cmd.split_id!r}") from None
        refused = self._return_refusal(cmd, record, share, now)
        if refused is not None:
            return Rejected(refused, self)
        share = attrs.evolve(share, returned=share.returned + cmd.amount,
                             returns=share.returns + 1)
        record = attrs.evolve(record, shares=(*record.shares[:k], share, *record.shares[k + 1:]))
        splits = (*self.splits[:index], record, *self.splits[index + 1:])
        event = SplitReturned(self.transaction_id, cmd.id, cmd.split_id, cmd.account, cmd.amount)
        return Accepted(attrs.evolve(self, splits=splits), (event,))

    def _return_refusal(self, cmd: ReturnSplit, record: SplitRecord, share: SplitShare,
                        now: DateTime) -> Reason | None:
        pol = self.policy
        if share.personal:
            return PERSONAL_NO_RETURN(account=cmd.account)
        until = record.at.add(days=pol.return_within_days)
        if now >= until:
            return RETURN_TOO_LATE(days=pol.return_within_days, until=until,
                                   until_zh=zh_date(until))
        if record.returns >= pol.max_returns:
            return TOO_MANY_RETURNS(limit=pol.max_returns)
        if cmd.amount.currency != share.amount.currency or cmd.amount > share.held:
            return RETURN_ABOVE_SPLIT(account=cmd.account, split=cmd.split_id,
                                      amount=share.amount, returned=share.returned,
                                      left=share.held, requested=cmd.amount)
        return None
