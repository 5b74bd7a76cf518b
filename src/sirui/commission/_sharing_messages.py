"""Profit sharing's messages and records: roles, statuses, commands, events, reasons.

Private: everything here is exported by `sirui.commission.sharing`, where the
theory of operation lives.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TypeAlias

import attrs

from sirui.core.errors import invalid
from sirui.core.money import Money
from sirui.core.validators import non_empty_id, non_empty_str
from sirui.core.windows import DateTime, aware
from sirui.rules.outcome import Event
from sirui.rules.reasons import reason_code

ABOVE_CAP = reason_code(
    "sharing.above_cap",
    zh="订单{amount}最多分账{cap}即{cap_amount}，已分{split}，本次{requested}超出上限",
    en="Order {amount}: at most {cap} ({cap_amount}) can be shared; {split} shared already, "
       "{requested} more exceeds it",
)
NOT_ENOUGH = reason_code(
    "sharing.not_enough",
    zh="订单扣除手续费{fee}后仅剩{room}可分，不足本次{requested}",
    en="After the fee {fee} only {room} can be shared; {requested} asked",
)
TOO_MANY_RECEIVERS = reason_code(
    "sharing.too_many_receivers",
    zh="每次分账最多{limit}个接收方，本次{count}个",
    en="At most {limit} receivers per request; {count} given",
)
TOO_MANY_REQUESTS = reason_code(
    "sharing.too_many_requests",
    zh="同一订单最多分账{limit}次，已分账{count}次",
    en="At most {limit} split requests per order; {count} made",
)
DEADLINE_PASSED = reason_code(
    "sharing.deadline_passed",
    zh="已过分账期限（{deadline_zh}），剩余资金已自动解冻给商户",
    en="The sharing deadline {deadline} has passed; the rest was unfrozen to the merchant",
)
NOT_DUE = reason_code(
    "sharing.not_due",
    zh="资金冻结至{deadline_zh}，未到自动解冻时间",
    en="The funds stay frozen until {deadline}",
)
FINISHED = reason_code(
    "sharing.finished",
    zh="该订单分账已完结（{cause_zh}），不能{action_zh}",
    en="Sharing of order {transaction} is finished ({cause}); {command} is not allowed",
)
PERSONAL_NO_RETURN = reason_code(
    "sharing.personal_no_return",
    zh="分账给个人的金额不支持回退",
    en="{account} is a personal receiver: WeChat Pay does not return from personal receivers",
)
RETURN_TOO_LATE = reason_code(
    "sharing.return_too_late",
    zh="分账回退须在分账后{days}天内（截至{until_zh}）",
    en="A split can be returned within {days} days, until {until}",
)
RETURN_ABOVE_SPLIT = reason_code(
    "sharing.return_above_split",
    zh="该接收方本次分得{amount}，已回退{returned}，最多还可回退{left}，本次{requested}超出",
    en="{account} got {amount} in {split}, returned {returned}; at most {left} more, "
       "{requested} asked",
)
TOO_MANY_RETURNS = reason_code(
    "sharing.too_many_returns",
    zh="同一笔分账最多回退{limit}次",
    en="At most {limit} returns per split request",
)


class ReceiverRole(enum.Enum):
    GUIDE = "guide"
    STORE = "store"
    HEADQUARTERS = "headquarters"
    PARTNER = "partner"


class SharingStatus(enum.Enum):
    """Where one order's sharing stands."""

    OPEN = "open"
    """Funds frozen for sharing (待分账)."""
    FINISHED = "finished"
    """The rest was unfrozen to the merchant; no more splits (已完结)."""


class FinishCause(enum.Enum):
    """Why sharing ended."""

    REQUEST = "request"
    """A split request asked to unfreeze the rest (unfreeze_unsplit)."""
    MERCHANT = "merchant"
    """The merchant finished it (完结分账 / 解冻剩余资金)."""
    DEADLINE = "deadline"
    """The freeze period ended and WeChat unfroze the rest by itself."""




@attrs.frozen(slots=True)
class SplitTo:
    """One receiver of one split request, in fen (分账接收方及金额)."""

    account: str = attrs.field(validator=non_empty_str)
    role: ReceiverRole
    amount: Money = attrs.field()
    personal: bool = False
    """A personal account (PERSONAL_OPENID); WeChat returns only from merchant accounts."""

    @amount.validator
    def _positive(self, _attr: attrs.Attribute[Money], value: Money) -> None:
        if not isinstance(value, Money) or value.minor <= 0:
            raise invalid("amount", value, "must be Money > 0 (at least one fen per receiver)")


def _split_to(value: Iterable[SplitTo]) -> tuple[SplitTo, ...]:
    items = tuple(value)
    if not items:
        raise invalid("receivers", (), "a split request needs at least one receiver")
    accounts = [r.account for r in items]
    if len(set(accounts)) != len(accounts):
        raise invalid("receivers", accounts, "an account appears twice in one request",
                      "merge its amounts")
    return items


@attrs.frozen(slots=True)
class RequestSplit:
    """Split to receivers (请求分账); ``id`` is the ``out_order_no``."""

    id: str = attrs.field(validator=non_empty_id)
    receivers: tuple[SplitTo, ...] = attrs.field(converter=_split_to)
    finish: bool = False
    """Unfreeze the rest to the merchant afterwards (unfreeze_unsplit)."""

    @property
    def total(self) -> Money:
        return sum((r.amount for r in self.receivers[1:]), self.receivers[0].amount)


@attrs.frozen(slots=True)
class ReturnSplit:
    """Give back part of what request ``split_id`` gave ``account`` (分账回退).

    ``id`` is the ``out_return_no``.
    """

    id: str = attrs.field(validator=non_empty_id)
    split_id: str = attrs.field(validator=non_empty_id)
    account: str = attrs.field(validator=non_empty_str)
    amount: Money = attrs.field()

    @amount.validator
    def _positive(self, _attr: attrs.Attribute[Money], value: Money) -> None:
        if not isinstance(value, Money) or value.minor <= 0:
            raise invalid("amount", value, "must be Money > 0")


@attrs.frozen(slots=True)
class FinishSharing:
    """Unfreeze the rest to the merchant and end sharing (完结分账 / 解冻剩余资金)."""

    id: str = attrs.field(validator=non_empty_id)


@attrs.frozen(slots=True)
class ExpireSharing:
    """The freeze period is over (sent by the host's delay queue at ``deadline``)."""

    id: str = attrs.field(validator=non_empty_id)


SharingCommand: TypeAlias = RequestSplit | ReturnSplit | FinishSharing | ExpireSharing


@attrs.frozen(slots=True)
class SplitMade(Event):
    transaction_id: str
    split_id: str
    receivers: tuple[tuple[str, Money], ...]
    total: Money
    split_total: Money
    """Everything split from the order so far, this request included."""


@attrs.frozen(slots=True)
class SplitReturned(Event):
    transaction_id: str
    return_id: str
    split_id: str
    account: str
    amount: Money


@attrs.frozen(slots=True)
class SharingFinished(Event):
    transaction_id: str
    cause: FinishCause
    unfrozen: Money
    """What went to the merchant from the frozen funds."""


@attrs.frozen(slots=True)
class SplitShare:
    """What one request gave one receiver, and what came back."""

    account: str
    role: ReceiverRole
    amount: Money
    personal: bool = False
    returned: Money = Money.ZERO
    returns: int = 0

    @property
    def held(self) -> Money:
        return self.amount - self.returned


@attrs.frozen(slots=True)
class SplitRecord:
    """One accepted split request (分账单)."""

    id: str
    at: DateTime = attrs.field(converter=aware)
    shares: tuple[SplitShare, ...]

    @property
    def total(self) -> Money:
        return sum((s.amount for s in self.shares[1:]), self.shares[0].amount)

    @property
    def returns(self) -> int:
        return sum(s.returns for s in self.shares)
