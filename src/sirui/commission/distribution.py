"""Super guides over external staff, and two-level staff distribution.

**Super guide** (超级导购): an external promoter (外部员工, ``GuideKind.EXTERNAL``)
earns commission on the orders they bring; the super guide named on the
promoter (``Guide.super_guide``) earns either a ``share`` of that commission
or a separate ``rate`` of the line's base, paid on top or carved out of the
promoter's commission (``from_promoter``).

**Staff distribution** (销售员分销): a seller's sales pay the seller
(direct, level 1) and the seller who recruited them (indirect, level 2),
each at its rate per item, or a fixed amount per unit (按件,
``direct_each`` / ``indirect_each``). A chain has at most two levels *by
construction*: `SellerChain` has exactly two slots and `SellerChain.of`
refuses three ids; a recruitment tree may be deeper, but nobody above the
indirect seller is ever paid. The plan's ``rounding`` rounds every rate
(half-up by default), and ``counts_shipping`` adds the order's shipping to
the bases as in `CommissionPlan`.

Invariants: shares and rates are in [0, 1]; a carved-out share never makes
the promoter's commission negative; direct + indirect rates never exceed 1;
fixed amounts are capped so that the two levels together never earn more
than the line's base (the direct seller is paid first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import attrs

from sirui.commission._common import rate_field, to_rate, zh_item, zh_percent
from sirui.commission.attribution import AttributionPolicy
from sirui.commission.paid import CommissionOrder
from sirui.commission.rules import (
    EVERYTHING,
    CommissionLine,
    CommissionPlan,
    Role,
    guide_commission,
    line_bases,
)
from sirui.core.errors import InvalidPolicyError, invalid
from sirui.core.money import Money, Rounding
from sirui.core.nouns import Guide, GuideKind
from sirui.core.registry import policy
from sirui.core.validators import non_empty_str, opt_non_negative_money, optional
from sirui.rules.reasons import Reason, reason_code
from sirui.rules.scope import ItemScope

__all__ = [
    "DistributionDepthError",
    "DistributionPlan",
    "DistributionRate",
    "SellerChain",
    "SuperGuideShare",
    "order_commission",
]

SUPER_SHARE = reason_code(
    "commission.super_guide_share",
    zh="外部员工佣金{commission}的{percent}归超级导购",
    en="{share} of promoter {promoter}'s commission {commission} goes to the super guide",
)
SUPER_RATE = reason_code(
    "commission.super_guide_rate",
    zh="超级导购按{percent}计提：{base}",
    en="Super guide earns {rate} of {base}",
)
CARVED = reason_code(
    "commission.carved_for_super_guide",
    zh="佣金{before}中{carved}分给超级导购",
    en="{carved} of {before} goes to super guide {super_guide}",
)
SELLER_DIRECT = reason_code(
    "commission.seller_direct",
    zh="一级分销按{percent}计提：{base}",
    en="Direct seller: {rate} of {base}"
)
SELLER_INDIRECT = reason_code(
    "commission.seller_indirect",
    zh="二级分销按{percent}计提：{base}",
    en="Indirect seller: {rate} of {base}",
)
SELLER_DIRECT_FIXED = reason_code(
    "commission.seller_direct_fixed",
    zh="一级分销每件{each}，共{quantity}件：{amount}",
    en="Direct seller: {each} per item × {quantity} = {amount}",
)
SELLER_INDIRECT_FIXED = reason_code(
    "commission.seller_indirect_fixed",
    zh="二级分销每件{each}，共{quantity}件：{amount}",
    en="Indirect seller: {each} per item × {quantity} = {amount}",
)
SELLER_FIXED_CAPPED = reason_code(
    "commission.seller_fixed_capped",
    zh="按件分销佣金{wanted}超过可分的{left}（实付{base}），按{left}封顶",
    en="Fixed {wanted} exceeds the {left} left of the base {base}; capped",
)
NO_SELLER_RATE = reason_code(
    "commission.no_seller_rate",
    zh="{item}不参与分销",
    en="Item {sku} is not on the shelf"
)


class DistributionDepthError(InvalidPolicyError):
    """A distribution chain or plan deeper than two levels."""


_opt_rate = optional(rate_field)


def _opt_to_rate(value: object) -> Decimal | None:
    return None if value is None else to_rate(value)


@policy("commission.super_guide")
@attrs.frozen(slots=True)
class SuperGuideShare:
    """What a super guide earns on their external staff's orders (超级导购分佣).

    Set exactly one of ``share`` (of the promoter's commission) or ``rate``
    (of the line's base).
    """

    share: Decimal | None = attrs.field(default=None, converter=_opt_to_rate, validator=_opt_rate)
    rate: Decimal | None = attrs.field(default=None, converter=_opt_to_rate, validator=_opt_rate)
    from_promoter: bool = False
    """Carve the super guide's part out of the promoter's commission (else pay it on top)."""

    def __attrs_post_init__(self) -> None:
        if (self.share is None) == (self.rate is None):
            raise invalid("share", self.share, "set exactly one of share or rate",
                          "share=Decimal('0.2') or rate=Decimal('0.01')")

    def apply(
        self, lines: Iterable[CommissionLine], guides: Mapping[str, Guide],
        rounding: Rounding = Rounding.HALF_UP,
    ) -> tuple[CommissionLine, ...]:
        """Add the super guide's lines after each external promoter's line.

        ``rounding`` rounds the share or rate (`order_commission` passes the
        commission plan's).
        """
        out: list[CommissionLine] = []
        for ln in lines:
            promoter = guides.get(ln.payee) if ln.payee is not None else None
            if (ln.role is not Role.GUIDE or promoter is None
                    or promoter.kind is not GuideKind.EXTERNAL or promoter.super_guide is None):
                out.append(ln)
                continue
            if self.share is not None:
                part = ln.amount.times(self.share, rounding)
                reason = SUPER_SHARE(promoter=promoter.id, commission=ln.amount, share=self.share,
                                     percent=zh_percent(self.share))
            else:
                assert self.rate is not None
                part = ln.base.times(self.rate, rounding)
                reason = SUPER_RATE(rate=self.rate, percent=zh_percent(self.rate), base=ln.base)
            if self.from_promoter:
                part = part.min(ln.amount)
                out.append(attrs.evolve(ln, amount=ln.amount - part, reason=CARVED(
                    before=ln.amount, carved=part, super_guide=promoter.super_guide)))
            else:
                out.append(ln)
            out.append(attrs.evolve(ln, payee=promoter.super_guide, role=Role.SUPER_GUIDE,
                                    amount=part, reason=reason))
        return tuple(out)


@attrs.frozen(slots=True)
class SellerChain:
    """Who is paid on a distributed sale: the direct seller and, if any, their recruiter.

    Two slots and no more: a three-level chain cannot be built.
    """

    direct: str = attrs.field(validator=non_empty_str)
    indirect: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.indirect is not None and (not self.indirect or self.indirect == self.direct):
            raise invalid("indirect", self.indirect, "must be another seller's id, or None")

    @classmethod
    def of(cls, sellers: Sequence[str]) -> SellerChain:
        """``["direct"]`` or ``["direct", "indirect"]``; three or more ids raise."""
        if len(sellers) > 2:
            raise DistributionDepthError(
                f"sellers={list(sellers)!r}: distribution pays at most two levels "
                "(direct and indirect seller); drop the upper levels",
                field="sellers", value=list(sellers),
            )
        if not sellers:
            raise invalid("sellers", [], "need the direct seller")
        return cls(sellers[0], sellers[1] if len(sellers) == 2 else None)

    @classmethod
    def for_seller(cls, seller: str, recruited_by: Mapping[str, str]) -> SellerChain:
        """The chain of ``seller`` in a recruitment tree: them and their recruiter only."""
        return cls(seller, recruited_by.get(seller))


@policy("commission.distribution_rate")
@attrs.frozen(slots=True)
class DistributionRate:
    """What each level earns on the items in ``scope`` (分销佣金): a rate or a fixed amount.

    ``direct`` / ``indirect`` are rates of the line's base; ``direct_each`` /
    ``indirect_each`` pay a fixed amount per unit instead (按件分佣), e.g.
    ``DistributionRate("diaper", direct_each=Money.of("3"), indirect_each=Money.of("1"))``.
    A level has a rate or a fixed amount, not both.
    """

    id: str = attrs.field(validator=non_empty_str)
    direct: Decimal = attrs.field(default=Decimal(0), converter=to_rate, validator=rate_field)
    indirect: Decimal = attrs.field(default=Decimal(0), converter=to_rate, validator=rate_field)
    scope: ItemScope = EVERYTHING
    direct_each: Money | None = attrs.field(default=None, validator=opt_non_negative_money)
    indirect_each: Money | None = attrs.field(default=None, validator=opt_non_negative_money)

    def __attrs_post_init__(self) -> None:
        if self.direct + self.indirect > 1:
            raise invalid("indirect", self.indirect,
                          f"direct {self.direct} + indirect exceeds 1", "lower one of them")
        for level in ("direct", "indirect"):
            if getattr(self, level) and getattr(self, f"{level}_each") is not None:
                raise invalid(f"{level}_each", getattr(self, f"{level}_each"),
                              f"the {level} level already has the rate {getattr(self, level)}",
                              f"set either {level}= (a rate) or {level}_each= (per unit)")

    def level(
        self, role: Role, line_quantity: int, base: Money, left: Money, rounding: Rounding
    ) -> tuple[Money, Reason]:
        """What ``role`` earns on a line of ``base``, with ``left`` of it not yet paid out."""
        direct = role is Role.DIRECT_SELLER
        each = self.direct_each if direct else self.indirect_each
        if each is None:
            rate = self.direct if direct else self.indirect
            return base.times(rate, rounding), (SELLER_DIRECT if direct else SELLER_INDIRECT)(
                rate=rate, percent=zh_percent(rate), base=base)
        wanted = each * line_quantity
        if wanted > left:
            return left, SELLER_FIXED_CAPPED(wanted=wanted, left=left, base=base)
        code = SELLER_DIRECT_FIXED if direct else SELLER_INDIRECT_FIXED
        return wanted, code(each=each, quantity=line_quantity, amount=wanted)



def _tuple_of_distributionrate(value: Iterable[DistributionRate]) -> tuple[DistributionRate, ...]:
    return tuple(value)

@policy("commission.distribution")
@attrs.frozen(slots=True)
class DistributionPlan:
    """Staff distribution (销售员分销): per-item rates for up to two levels.

    ``levels=1`` pays only the direct seller; ``levels`` of 3 or more is
    refused (`DistributionDepthError`).
    """

    rates: tuple[DistributionRate, ...] = attrs.field(converter=_tuple_of_distributionrate)
    levels: int = 2
    counts_points: bool = False
    counts_stored_value: bool = True
    rounding: Rounding = Rounding.HALF_UP
    """How a rate's fraction of a fen is rounded (四舍五入 by default; DOWN is 舍去)."""
    counts_shipping: bool = False
    """The shipping the order paid counts as paid, spread over the lines (see `line_bases`)."""

    def __attrs_post_init__(self) -> None:
        if type(self.levels) is not int or self.levels < 1:
            raise invalid("levels", self.levels, "must be 1 or 2")
        if self.levels > 2:
            raise DistributionDepthError(
                f"levels={self.levels!r}: distribution pays at most two levels; use 1 or 2",
                field="levels", value=self.levels,
            )

    def compute(self, order: CommissionOrder, chain: SellerChain) -> tuple[CommissionLine, ...]:
        """Lines for the direct seller (and the indirect one, if any and ``levels == 2``)."""
        out: list[CommissionLine] = []
        store = order.order.store
        bases = line_bases(order, counts_points=self.counts_points,
                           counts_stored_value=self.counts_stored_value,
                           counts_shipping=self.counts_shipping)
        payees: list[tuple[str, Role]] = [(chain.direct, Role.DIRECT_SELLER)]
        if chain.indirect is not None and self.levels == 2:
            payees.append((chain.indirect, Role.INDIRECT_SELLER))
        for ln, base in zip(order.lines, bases, strict=True):
            rate = next((r for r in self.rates if r.scope.matches(ln.sku)), None)
            left = base
            for payee, role in payees:
                if rate is None:
                    amount, rid = Money.zero(base.currency), ""
                    reason = NO_SELLER_RATE(sku=ln.sku.id, item=zh_item(ln.sku.name))
                else:
                    amount, reason = rate.level(role, ln.quantity, base, left, self.rounding)
                    rid = rate.id
                    left = (left - amount).max(Money.zero(base.currency))
                out.append(CommissionLine(
                    order.id, ln.line_id, payee, role, store, ln.sku.id, ln.quantity,
                    ln.total, base, amount, rid, reason, order.paid_at,
                ))
        return tuple(out)


def order_commission(
    order: CommissionOrder,
    plan: CommissionPlan,
    *,
    attribution: AttributionPolicy | None = None,
    guides: Mapping[str, Guide] | None = None,
    super_guide: SuperGuideShare | None = None,
    distribution: DistributionPlan | None = None,
    sellers: SellerChain | None = None,
) -> tuple[CommissionLine, ...]:
    """Every commission line of a paid order, ready for `RecordCommission`.

    Guide commission per line (attributed, priced by ``plan``), then the
    super guide's part for external promoters, then staff distribution if
    the order was sold by ``sellers``.
    """
    gs = guides or {}
    lines = guide_commission(order, plan, attribution, gs)
    if super_guide is not None:
        lines = super_guide.apply(lines, gs, plan.rounding)
    if distribution is not None and sellers is not None:
        lines = lines + distribution.compute(order, sellers)
    return lines
