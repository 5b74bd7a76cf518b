"""Monthly commission statements (佣金月结单) per guide and per store.

A statement gathers the commission records whose order was paid in the
month, for one payee (a guide, super guide or seller) or one store, and
totals them by status and by rule. Every order line stays traceable: the
statement holds the records themselves (order id, line id, rule, reason,
every reduction and clawback), not just sums. Monthly bonuses that are not
tied to a line (target tiers, launch boost) are added as `Bonus` entries.

Invariants: ``lines_net`` equals the sum of ``by_status``; ``total_net``
(lines plus bonuses) equals the sum of ``by_rule``; the store statements
and the payee statements of a month add up to the same net; one pass over
the records builds every statement of a level.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from sirui.commission.settlement import CommissionRecord, RecordStatus
from sirui.core.money import Money
from sirui.core.windows import Window
from sirui.rules.reasons import Reason

__all__ = ["Bonus", "Statement", "StatementLevel", "guide_statements", "store_statements"]

NO_RULE = "(none)"


class StatementLevel(enum.Enum):
    PAYEE = "payee"
    STORE = "store"


@attrs.frozen(slots=True)
class Bonus:
    """A monthly amount not tied to an order line (target tier, launch boost)."""

    owner: str
    rule: str
    amount: Money
    reason: Reason | None = None


@attrs.frozen(slots=True)
class Statement:
    """One owner's month: records, totals by status and by rule, bonuses."""

    owner: str
    level: StatementLevel
    month: Window
    records: tuple[CommissionRecord, ...]
    by_status: tuple[tuple[RecordStatus, Money], ...]
    by_rule: tuple[tuple[str, Money], ...]
    bonuses: tuple[Bonus, ...] = ()

    @property
    def currency(self) -> str:
        if self.by_status:
            return self.by_status[0][1].currency
        return "CNY"

    @property
    def lines_net(self) -> Money:
        return sum((m for _, m in self.by_status), Money.zero(self.currency))

    @property
    def total_net(self) -> Money:
        """Net commission of the month's lines plus bonuses."""
        return self.lines_net + sum((b.amount for b in self.bonuses), Money.zero(self.currency))

    @property
    def earned(self) -> Money:
        """Commission as first computed, before any refund."""
        return sum((r.line.amount for r in self.records), Money.zero(self.currency))

    def status_total(self, status: RecordStatus) -> Money:
        return dict(self.by_status).get(status, Money.zero(self.currency))

    def rule_total(self, rule: str) -> Money:
        return dict(self.by_rule).get(rule, Money.zero(self.currency))

    def trace(self, order_id: str, line_id: str) -> tuple[CommissionRecord, ...]:
        """Every record of one order line in this statement."""
        return tuple(r for r in self.records
                     if r.line.order_id == order_id and r.line.line_id == line_id)


class _Acc:
    __slots__ = ("records", "rule", "status")

    def __init__(self) -> None:
        self.records: list[CommissionRecord] = []
        # Keyed by the status *name*: enum members hash in Python, names hash in C,
        # and this loop runs once per record of the month.
        self.status: dict[str, int] = {}
        self.rule: dict[str, int] = {}


def _build(
    records: Iterable[CommissionRecord],
    month: Window,
    level: StatementLevel,
    bonuses: Iterable[Bonus],
    currency: str,
) -> dict[str, Statement]:
    start, end = month.start, month.end
    by_payee = level is StatementLevel.PAYEE
    accs: dict[str, _Acc] = {}
    for r in records:
        ln = r.line
        if ln.paid_at < start or (end is not None and ln.paid_at >= end):
            continue
        owner = ln.payee if by_payee else ln.store
        if owner is None:
            continue
        acc = accs.get(owner)
        if acc is None:
            acc = accs[owner] = _Acc()
        net = ln.amount.minor - r.reduced.minor - r.clawed_back.minor
        acc.records.append(r)
        name = r.status._name_
        acc.status[name] = acc.status.get(name, 0) + net
        rule = ln.rule or NO_RULE
        acc.rule[rule] = acc.rule.get(rule, 0) + net
    extra: dict[str, list[Bonus]] = {}
    for b in bonuses:
        extra.setdefault(b.owner, []).append(b)
        accs.setdefault(b.owner, _Acc())
    out: dict[str, Statement] = {}
    for owner in sorted(accs):
        acc = accs[owner]
        cur = acc.records[0].line.amount.currency if acc.records else currency
        mine = tuple(extra.get(owner, ()))
        rules = dict(acc.rule)
        for b in mine:
            rules[b.rule] = rules.get(b.rule, 0) + b.amount.minor
        out[owner] = Statement(
            owner, level, month, tuple(acc.records),
            tuple((s, Money(acc.status[s.name], cur)) for s in RecordStatus
                  if s.name in acc.status),
            tuple((k, Money(v, cur)) for k, v in sorted(rules.items())),
            mine,
        )
    return out


def guide_statements(
    records: Iterable[CommissionRecord],
    month: Window,
    bonuses: Iterable[Bonus] = (),
    currency: str = "CNY",
) -> dict[str, Statement]:
    """One statement per payee (guide, super guide, seller) for orders paid in ``month``."""
    return _build(records, month, StatementLevel.PAYEE, bonuses, currency)


def store_statements(
    records: Iterable[CommissionRecord],
    month: Window,
    bonuses: Iterable[Bonus] = (),
    currency: str = "CNY",
) -> dict[str, Statement]:
    """One statement per store: every payee's lines on the store's orders in ``month``."""
    return _build(records, month, StatementLevel.STORE, bonuses, currency)
