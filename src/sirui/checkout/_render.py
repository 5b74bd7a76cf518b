"""How a quote shows itself: text repr, notebook HTML table, plain dict."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any, Protocol

from sirui.core.money import Money
from sirui.rules.pricing import SHIPPING_LINE, Stage
from sirui.rules.reasons import Reason

# What the renderers read, as protocols: `sirui.checkout.quoting` imports this
# module, and this module imports nothing of it (no import circle).


class _Share(Protocol):
    @property
    def rule(self) -> str: ...

    @property
    def stage(self) -> Stage: ...

    @property
    def amount(self) -> Money: ...


class LineView(Protocol):
    """What a quote line shows (`sirui.checkout.QuoteLine` is one)."""

    @property
    def id(self) -> str: ...

    @property
    def sku_id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def quantity(self) -> int: ...

    @property
    def unit_price(self) -> Money: ...

    @property
    def original(self) -> Money: ...

    @property
    def paid(self) -> Money: ...

    @property
    def points(self) -> int: ...

    @property
    def gift(self) -> bool: ...

    @property
    def shares(self) -> Sequence[_Share]: ...

    def stage_discount(self, stage: Stage) -> Money: ...


class QuoteView(Protocol):
    """What a quote shows (`sirui.checkout.Quote` is one)."""

    @property
    def currency(self) -> str: ...

    @property
    def lines(self) -> Sequence[LineView]: ...

    @property
    def original(self) -> Money: ...

    @property
    def stage_totals(self) -> Sequence[tuple[Stage, Money]]: ...

    @property
    def goods_payable(self) -> Money: ...

    @property
    def shipping_fee(self) -> Money: ...

    @property
    def shipping_discount(self) -> Money: ...

    @property
    def shipping_payable(self) -> Money: ...

    @property
    def payable(self) -> Money: ...

    @property
    def points_used(self) -> int: ...

    @property
    def adjustments(self) -> Sequence[Any]: ...

    @property
    def not_applied(self) -> Sequence[Any]: ...

    @property
    def coupons_used(self) -> Sequence[str]: ...

    @property
    def fingerprints(self) -> Sequence[tuple[str, str]]: ...

    @property
    def shipping_reason(self) -> Reason | None: ...

    @property
    def refusals(self) -> Sequence[Reason]: ...

    @property
    def accepted(self) -> bool: ...

    @property
    def search_exact(self) -> bool: ...



def line_repr(ln: LineView) -> str:
    gift = " gift" if ln.gift else ""
    return (
        f"<QuoteLine {ln.id} {ln.sku_id} x{ln.quantity}{gift}: "
        f"{ln.original} -> {ln.paid}>"
    )


def quote_repr(q: QuoteView) -> str:
    rows = [f"Quote payable {q.payable} (goods {q.goods_payable} + shipping {q.shipping_payable})"]
    for ln in q.lines:
        off = ", ".join(f"{s.rule} -{s.amount}" for s in ln.shares)
        rows.append(
            f"  {ln.id:<8} {ln.sku_id:<10} x{ln.quantity:<3} {ln.original!s:>11} -> "
            f"{ln.paid!s:>11}" + (f"  [{off}]" if off else "")
        )
    for stage, total in q.stage_totals:
        rows.append(f"  {stage.name.lower():<10} -{total}")
    if q.shipping_fee:
        rows.append(f"  shipping fee {q.shipping_fee}, waived {q.shipping_discount}")
    for na in q.not_applied:
        rows.append(f"  not applied {na.rule}: {na.reason.en}")
    for r in q.refusals:
        rows.append(f"  refused: {r.en}")
    return "\n".join(rows)


def _td(value: object, right: bool = False) -> str:
    align = ' style="text-align:right"' if right else ""
    return f"<td{align}>{html.escape(str(value))}</td>"


def quote_html(q: QuoteView) -> str:
    stages = [s for s, _ in q.stage_totals if s is not Stage.SHIPPING]
    head = "".join(
        f"<th>{html.escape(h)}</th>"
        for h in ["line", "sku", "name", "qty", "original", *(f"{s.zh}" for s in stages), "paid"]
    )
    body = []
    for ln in q.lines:
        cells = [
            _td(ln.id), _td(ln.sku_id), _td(ln.name + (" (赠品)" if ln.gift else "")),
            _td(ln.quantity, True), _td(ln.original, True),
            *(_td(f"-{ln.stage_discount(s)}", True) for s in stages),
            _td(ln.paid, True),
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    n = 5 + len(stages)
    foot = [
        f"<tr><td colspan={n}>运费 shipping (fee {html.escape(str(q.shipping_fee))})</td>"
        f"{_td(q.shipping_payable, True)}</tr>",
        f"<tr><th colspan={n}>应付 payable</th>{_td(q.payable, True)}</tr>",
    ]
    notes = "".join(
        f"<li><code>{html.escape(na.rule)}</code>: {html.escape(na.reason.zh)} "
        f"/ {html.escape(na.reason.en)}</li>"
        for na in q.not_applied
    )
    applied = "".join(
        f"<li><code>{html.escape(a.rule)}</code> ({a.stage.zh}) -{html.escape(str(a.amount))}: "
        f"{html.escape(a.reason.zh)}</li>"
        for a in q.adjustments
    )
    refused = "".join(
        f"<li>{html.escape(r.zh)} / {html.escape(r.en)}</li>" for r in q.refusals
    )
    return (
        (f"<p>不可下单 refused:</p><ul>{refused}</ul>" if refused else "")
        + f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}{''.join(foot)}"
        f"</tbody></table><p>Applied:</p><ul>{applied}</ul>"
        + (f"<p>Not applied:</p><ul>{notes}</ul>" if notes else "")
    )


def to_dict(q: QuoteView) -> dict[str, Any]:
    def adj(a: Any) -> dict[str, Any]:
        return {
            "rule": a.rule,
            "stage": a.stage.name.lower(),
            "kind": a.kind,
            "amount": a.amount.to_plain(),
            "allocations": {lid: m.to_plain() for lid, m in a.allocations},
            "reason": a.reason.to_dict(),
            "fingerprint": a.fingerprint,
            "to_shipping": any(lid == SHIPPING_LINE for lid, _ in a.allocations),
        }

    return {
        "currency": q.currency,
        "original": q.original.to_plain(),
        "goods_payable": q.goods_payable.to_plain(),
        "shipping_fee": q.shipping_fee.to_plain(),
        "shipping_discount": q.shipping_discount.to_plain(),
        "payable": q.payable.to_plain(),
        "points_used": q.points_used,
        "stage_totals": {s.name.lower(): m.to_plain() for s, m in q.stage_totals},
        "lines": [
            {
                "id": ln.id,
                "sku": ln.sku_id,
                "name": ln.name,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price.to_plain(),
                "original": ln.original.to_plain(),
                "paid": ln.paid.to_plain(),
                "points": ln.points,
                "gift": ln.gift,
                "shares": [
                    {"rule": s.rule, "stage": s.stage.name.lower(), "amount": s.amount.to_plain()}
                    for s in ln.shares
                ],
            }
            for ln in q.lines
        ],
        "applied": [adj(a) for a in q.adjustments],
        "not_applied": [
            {"rule": na.rule, "stage": na.stage.name.lower(), "kind": na.kind,
             "reason": na.reason.to_dict()}
            for na in q.not_applied
        ],
        "coupons_used": list(q.coupons_used),
        "fingerprints": dict(q.fingerprints),
        "shipping_reason": q.shipping_reason.to_dict() if q.shipping_reason else None,
        "accepted": q.accepted,
        "refusals": [r.to_dict() for r in q.refusals],
        "search_exact": q.search_exact,
    }
