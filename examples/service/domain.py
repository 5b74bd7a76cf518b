"""The mall's day as commands: each reads a few rows, decides with sirui, stages the results.

Every function here runs inside `Store.run` (one transaction, retried on a
lost compare-and-set) and returns an `Answer`, or raises `Refusal` when a
rule says no: then nothing is written. sirui decides; this module only
loads the small values a decision needs, calls ``handle``, and stores what
came back, with the events, in the same transaction.

Keys (all in the ``states`` table):

================================  ==========================================
``member:<id>``                   `Member` (profile; ``paid_orders`` grows on payment)
``wallet:<id>``                   `Wallet` (coupons)
``points:<id>``                   `PointsLedger`
``standing:<id>``                 `MemberStanding` (tier, growth)
``orders-of:<id>``                `OrderIndex`
``order:<id>``                    `ServiceOrder` (``due_us`` = pay-by while unpaid)
``seckill:bucket:<counter key>``  `StockCounter`, one row per bucket (分段库存)
``seckill:member:<c>:<member>``   `MemberRecord`
``seckill:order:<order id>``      `Reservation`
``groupbuy:counters:<c>``         `GroupBuyCounters`
``groupbuy:group:<c>:<group>``    `Group`
``groupbuy:usage:<c>:<member>``   `MemberUsage`
``bargain:*``                     the same three for bargains
``lottery:pool:<c>``              `PoolState`; ``lottery:member:<c>:<m>`` `MemberLottery`
``settlement:<payee>:<day>``    `SettlementLedger`, one shard per payee and day
``quote:<order id>``              the order's full `Quote` (with its inputs), for refunds
``coupon-quota:<template>``       `CouponQuota` (templates with a total quota)
================================  ==========================================
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import pendulum
from examples.service.models import (
    CouponLine,
    GroupSeat,
    MemberStatement,
    OrderIndex,
    OrderStatus,
    OrderSummary,
    Outcome,
    Problem,
    SeckillHold,
    ServiceOrder,
)
from examples.service.policies import ServicePolicies
from examples.service.store import Answer, Refusal, Tx
from pendulum import DateTime

from sirui.campaigns.bargain import Bargain as BargainState
from sirui.campaigns.bargain import (
    BargainCounters,
    BargainSlice,
    BargainUsage,
    HelpBargain,
    StartBargain,
)
from sirui.campaigns.groupbuy import (
    Group,
    GroupBuyCounters,
    GroupBuyPriceStep,
    GroupSlice,
    GroupTick,
    JoinGroup,
    LeaveGroup,
    MemberUsage,
    OpenGroup,
    PaySeat,
    RefundDue,
)
from sirui.campaigns.lottery import (
    CouponReward,
    Draw,
    LotteryState,
    MemberLottery,
    PointsReward,
    PoolState,
    PrizeWon,
)
from sirui.campaigns.seckill import (
    Cancel,
    Confirm,
    Expire,
    MemberRecord,
    Reservation,
    Reserve,
    SeckillPriceStep,
    SlotPhase,
    StockCounter,
    StockSlice,
    bucket_for,
)
from sirui.checkout import Quote, quote, refund
from sirui.commission import (
    ApplyRefund,
    CommissionOrder,
    CommissionOrderLine,
    CommissionRefund,
    LineRefund,
    RecordCommission,
    SettlementLedger,
    Statement,
    StatementLevel,
    guide_commission,
    guide_statements,
)
from sirui.config import dumps_json
from sirui.core import Attribution, Cart, Line, Member, Order, Window
from sirui.loyalty.members import (
    MemberFacts,
    MemberPriceStep,
    MemberStanding,
    RecordOrder,
    RefundOrder,
    benefits_for,
)
from sirui.loyalty.points import (
    Earn,
    EarningLine,
    OrderPoints,
    PointsDeductionStep,
    PointsLedger,
    Spend,
    quote_earning,
)
from sirui.promotions import (
    AfterPaymentGift,
    ClaimCoupon,
    CouponQuota,
    LockCoupon,
    OrderPaid,
    ReturnCoupon,
    UnlockCoupon,
    UseCoupon,
    Wallet,
    claim_coupon,
)
from sirui.rules import Reason, reason_code

T = TypeVar("T")

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")

UNKNOWN_MEMBER = reason_code("service.unknown_member", zh="会员{member}不存在",
                             en="no member {member}")
UNKNOWN_ORDER = reason_code("service.unknown_order", zh="订单{order}不存在",
                            en="no order {order}")
UNKNOWN_SKU = reason_code("service.unknown_sku", zh="商品{sku}不存在",
                          en="no SKU {sku} in the catalogue")
UNKNOWN_CAMPAIGN = reason_code("service.unknown_campaign", zh="活动{campaign}不存在",
                               en="no campaign {campaign}")
UNKNOWN_TEMPLATE = reason_code("service.unknown_template", zh="优惠券{template}不存在",
                               en="no coupon template {template}")
UNKNOWN_GROUP = reason_code("service.unknown_group", zh="团{group}不存在", en="no group {group}")
ORDER_EXISTS = reason_code("service.order_exists", zh="订单{order}已存在",
                           en="order {order} already exists")
ORDER_NOT_OPEN = reason_code("service.order_not_open", zh="订单状态为{status}，不能{action}",
                             en="the order is {status}: cannot {action}")
ORDER_NOT_PAID = reason_code("service.order_not_paid", zh="订单未支付，不能退款",
                             en="the order is not paid: nothing to refund")
PAYMENT_TIMEOUT = reason_code("service.payment_timeout", zh="订单已超过支付时间{pay_by}",
                              en="the order had to be paid before {pay_by}")
NOT_DUE = reason_code("service.not_due", zh="订单支付期限{pay_by}未到",
                      en="the order may be paid until {pay_by}")
COUPON_NOT_APPLIED = reason_code("service.coupon_not_applied", zh="所选优惠券{coupon}不可用",
                                 en="the chosen coupon {coupon} cannot be used")
MEMBER_MISMATCH = reason_code("service.member_mismatch", zh="会员不一致",
                              en="the request names another member than the path")
ACTIVITY_LINE = reason_code("service.activity_line",
                            zh="订单须含且仅含一行活动商品{sku}",
                            en="the order needs exactly one line of the activity's SKU {sku}")
REFUND_ID_TAKEN = reason_code("service.refund_exists", zh="退款{refund}已存在",
                              en="refund {refund} already exists")


class NotFound(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.code)
        self.reason = reason


class Invalid(Exception):
    """Content the codec accepted but the service cannot take (422)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.code)
        self.reason = reason


def problem(status: int, reason: Reason) -> Answer:
    return Answer(status, dumps_json(
        Problem(status, reason.code, reason.zh, reason.en, reason), indent=None))


def refuse(reason: Reason, status: int = 409) -> Refusal:
    return Refusal(problem(status, reason))


def ok(value: Any, status: int = 200) -> Answer:
    return Answer(status, dumps_json(value, indent=None))


def check_id(value: str, what: str) -> str:
    if not ID.match(value):
        raise Invalid(reason_code(
            "service.bad_id", zh="{what}须为1-100个字母、数字或 _.:- ",
            en="{what} must be 1-100 letters, digits or _.:-")(what=what))
    return value


def _day(at: DateTime, tz: str) -> str:
    return at.in_timezone(tz).date().isoformat()


def _lean(q: Quote) -> Quote:
    """The quote without its inputs (the cart and every policy that priced it).

    The figures are all in the quote itself; the inputs only serve a partial
    refund's re-check of lost thresholds, and loading them back (policies are
    validated on load) costs ten times the rest of the order.
    """
    return attrs.evolve(q, inputs=None)


@attrs.define
class Mall:
    """The host: policies in, rows and events out. ``now`` comes from the service's clock."""

    policies: ServicePolicies
    rng: Any = attrs.field(factory=secrets.SystemRandom)

    # -- loading the small values ---------------------------------------------------------

    def member(self, tx: Tx, member_id: str) -> Member:
        m = tx.get(f"member:{member_id}", Member)
        if m is None:
            raise NotFound(UNKNOWN_MEMBER(member=member_id))
        return m

    def wallet(self, tx: Tx, member_id: str) -> Wallet:
        return tx.get(f"wallet:{member_id}", Wallet) or Wallet(member_id)

    def ledger(self, tx: Tx, member_id: str) -> PointsLedger:
        return tx.get(f"points:{member_id}", PointsLedger) or PointsLedger.open(
            member_id, self.policies.ledger)

    def standing(self, tx: Tx, member: Member) -> MemberStanding | None:
        ladder = self.policies.chain.ladder
        if ladder is None:
            return None
        s = tx.get(f"standing:{member.id}", MemberStanding)
        if s is None:
            known = {t.code for t in ladder.tiers}
            s = (MemberStanding(member.id, member.tier) if member.tier in known
                 else MemberStanding.new(member.id, ladder))
        return s

    def order(self, tx: Tx, order_id: str) -> ServiceOrder:
        o = tx.get(f"order:{order_id}", ServiceOrder)
        if o is None:
            raise NotFound(UNKNOWN_ORDER(order=order_id))
        return o

    # -- members ------------------------------------------------------------------------

    def put_member(self, tx: Tx, member_id: str, member: Member) -> Answer:
        check_id(member_id, "member id")
        if member.id != member_id:
            raise Invalid(MEMBER_MISMATCH())
        before = tx.get(f"member:{member_id}", Member)
        if before is not None:
            # paid_orders is the service's to count; the rest of the profile is the caller's.
            member = attrs.evolve(member, paid_orders=before.paid_orders)
        tx.put(f"member:{member_id}", member)
        return ok(member, 200 if before is not None else 201)

    def grant_points(self, tx: Tx, member_id: str, command: Earn, now: DateTime) -> Answer:
        self.member(tx, member_id)
        ledger = self.ledger(tx, member_id)
        out = ledger.handle(command, now=now)
        if not out.ok:
            raise refuse(out.reason)
        self._save(tx, f"points:{member_id}", ledger, out)
        return ok(Outcome(command.id, tuple(out.events), None), 201)

    def claim(self, tx: Tx, member_id: str, template_id: str, command_id: str,
              now: DateTime) -> Answer:
        self.member(tx, member_id)
        template = self.policies.template(template_id)
        if template is None:
            raise NotFound(UNKNOWN_TEMPLATE(template=template_id))
        wallet = self.wallet(tx, member_id)
        cmd = ClaimCoupon(command_id, command_id, template)
        if getattr(template, "total_quota", None) is not None:
            qkey = f"coupon-quota:{template.id}"
            quota = tx.get(qkey, CouponQuota) or CouponQuota()
            both = claim_coupon(quota, wallet, cmd, now=now)
            if not both.ok:
                raise refuse(both.reason)
            tx.put(qkey, both.state.quota)
            tx.put(f"wallet:{member_id}", both.state.wallet)
            tx.emit(f"wallet:{member_id}", both.events)
            return ok(Outcome(command_id, tuple(both.events), None), 201)
        out = wallet.handle(cmd, now=now)
        if not out.ok:
            raise refuse(out.reason)
        self._save(tx, f"wallet:{member_id}", wallet, out)
        return ok(Outcome(command_id, tuple(out.events), None), 201)

    def statement(self, tx: Tx, member_id: str, now: DateTime) -> Answer:
        member = self.member(tx, member_id)
        standing = self.standing(tx, member)
        ledger = self.ledger(tx, member_id)
        wallet = self.wallet(tx, member_id)
        index = tx.get(f"orders-of:{member_id}", OrderIndex) or OrderIndex(member_id)
        orders = []
        for oid in index.order_ids[-50:]:
            o = self.order(tx, oid)
            orders.append(OrderSummary(o.id, o.status, o.quote.payable, o.refunded,
                                       o.quote.points_used, o.points_earned, o.placed_at))
        coupons = tuple(
            CouponLine(c.id, c.template.id, str(getattr(wallet.status_of(c.id), "value", "")),
                       c.valid.end if c.valid is not None else None)
            for c in wallet.coupons()
        )
        return ok(MemberStatement(
            attrs.evolve(member, tier=standing.tier if standing else member.tier),
            standing.tier if standing else member.tier,
            standing.total_growth if standing else 0,
            ledger.balance(now), ledger.pending_points(now), coupons, tuple(orders), now,
        ))

    def guide_statement(self, tx: Tx, guide_id: str, month: str) -> Answer:
        """The guide's commission statement for a month (佣金月结单), from its day shards."""
        m = re.fullmatch(r"(\d{4})-(\d{2})", month)
        if m is None or not 1 <= int(m.group(2)) <= 12:
            raise Invalid(reason_code("service.bad_month", zh="月份须为YYYY-MM",
                                      en="month must be YYYY-MM")())
        start = pendulum.datetime(int(m.group(1)), int(m.group(2)), 1, tz=self.policies.tz)
        records = [r for _, shard in tx.scan(f"settlement:{guide_id}:{month}-", SettlementLedger)
                   for _key, r in shard.records.items() if r.line.payee == guide_id]
        statements = guide_statements(records, Window(start, start.add(months=1)))
        statement = statements.get(guide_id)
        if statement is None:
            statement = Statement(guide_id, StatementLevel.PAYEE,
                                  Window(start, start.add(months=1)), (), (), ())
        return ok(statement)

    # -- quote ----------------------------------------------------------------------------

    def _cart(self, tx: Tx, cart: Cart, standing_tier: str | None, member: Member) -> Cart:
        lines = []
        for ln in cart.lines:
            sku = self.policies.sku(ln.sku.id)
            if sku is None:
                raise Invalid(UNKNOWN_SKU(sku=ln.sku.id))
            lines.append(Line(ln.id, sku, ln.quantity))  # the catalogue's price, not the client's
        m = attrs.evolve(member, tier=standing_tier)
        return Cart(m, lines, cart.store, cart.channel, cart.fulfillment)

    def _price(
        self, tx: Tx, cart: Cart, now: DateTime, *, points: int | None,
        coupons: Sequence[str] | None, steps: Sequence[Any] = (),
    ) -> tuple[Quote, Cart, Decimal]:
        member = self.member(tx, cart.member.id)
        standing = self.standing(tx, member)
        tier = standing.tier if standing is not None else member.tier
        priced_cart = self._cart(tx, cart, tier, member)
        chain = self.policies.chain
        all_steps: list[Any] = list(steps)
        multiplier = Decimal(1)
        if chain.benefits is not None:
            m = priced_cart.member
            benefits = benefits_for(
                chain.benefits, MemberFacts(m.id, tier=tier, birthday=m.birthday, tags=m.tags), now)
            all_steps.append(MemberPriceStep(benefits))
            multiplier = benefits.points_multiplier
        if points and self.policies.deduction is not None:
            ledger = self.ledger(tx, member.id)
            all_steps.append(PointsDeductionStep(
                self.policies.deduction, available=ledger.available(now), requested=points))
        wallet = self.wallet(tx, member.id)
        q = quote(priced_cart, now, promotions=chain.promotions,
                  coupons=wallet.available(now), steps=all_steps, stacking=chain.stacking,
                  shipping=chain.shipping, chosen_coupons=coupons)
        return q, priced_cart, multiplier

    def quote(self, tx: Tx, cart: Cart, now: DateTime, points: int | None,
              coupons: Sequence[str] | None) -> Answer:
        q, _, _ = self._price(tx, cart, now, points=points, coupons=coupons)
        return ok(_lean(q))

    # -- place an order -------------------------------------------------------------------

    def place(
        self, tx: Tx, order_id: str, cart: Cart, now: DateTime, *, points: int | None,
        coupons: Sequence[str] | None, seckill: str | None, group_open: str | None,
        group_join: str | None,
    ) -> Answer:
        check_id(order_id, "order id (the Idempotency-Key)")
        if tx.get(f"order:{order_id}", ServiceOrder) is not None:
            raise refuse(ORDER_EXISTS(order=order_id))
        member = self.member(tx, cart.member.id)
        standing = self.standing(tx, member)
        tier = standing.tier if standing is not None else member.tier
        steps: list[Any] = []
        pay_by = now.add(minutes=self.policies.payment_timeout_minutes)
        hold: SeckillHold | None = None
        seat: GroupSeat | None = None
        if seckill is not None:
            hold, reservation = self._reserve(tx, order_id, cart, attrs.evolve(member, tier=tier),
                                              seckill, now=now)
            campaign = self.policies.seckill_campaign(hold.campaign)
            assert campaign is not None
            assert reservation.expires_at is not None
            steps.append(SeckillPriceStep(campaign, hold.slot, (reservation,)))
            pay_by = min(pay_by, reservation.expires_at)
        group_id = group_open or group_join
        if group_id is not None:
            seat, step, seat_pay_by = self._take_seat(
                tx, order_id, cart, member, group_id, leader=group_open is not None, now=now)
            steps.append(step)
            pay_by = min(pay_by, seat_pay_by)
        q, priced_cart, _ = self._price(tx, cart, now, points=points, coupons=coupons,
                                        steps=steps)
        for cid in coupons or ():
            if cid not in q.coupons_used:
                why = next((n.reason for n in q.not_applied if n.rule == cid), None)
                raise refuse(why or COUPON_NOT_APPLIED(coupon=cid))
        if q.coupons_used:
            wallet = self.wallet(tx, member.id)
            for cid in q.coupons_used:
                out = wallet.handle(LockCoupon(f"{order_id}:lock:{cid}", cid, order_id), now=now)
                if not out.ok:
                    raise refuse(out.reason)
                self._save(tx, f"wallet:{member.id}", wallet, out)
                wallet = out.state
        order = ServiceOrder(order_id, member.id, priced_cart, _lean(q), OrderStatus.PLACED, now,
                             pay_by, seckill=hold, group=seat, tier_before=tier)
        tx.put(f"order:{order_id}", order, due=pay_by)
        tx.get(f"quote:{order_id}", Quote)
        tx.put(f"quote:{order_id}", q)  # with its inputs: read by partial refunds only
        ikey = f"orders-of:{member.id}"
        index = tx.get(ikey, OrderIndex) or OrderIndex(member.id)
        tx.put(ikey, attrs.evolve(index, order_ids=(*index.order_ids, order_id)))
        return ok(order, 201)

    def _reserve(self, tx: Tx, order_id: str, cart: Cart, member: Member, spec: str, *,
                 now: DateTime) -> tuple[SeckillHold, Reservation]:
        campaign_id, _, slot_id = spec.partition("/")
        campaign = self.policies.seckill_campaign(campaign_id)
        if campaign is None or slot_id not in {s.id for s in campaign.slots}:
            raise NotFound(UNKNOWN_CAMPAIGN(campaign=spec))
        slot = campaign.slot(slot_id)
        skus = {it.sku for it in slot.items}
        lines = [ln for ln in cart.lines if ln.sku.id in skus]
        if len(lines) != 1:
            raise Invalid(ACTIVITY_LINE(sku="/".join(sorted(skus))))
        line = lines[0]
        adm = campaign.admit(member, line.sku.id, slot_id, now=now, fulfillment=cart.fulfillment,
                             store=cart.store, channel=cart.channel)
        if adm.reason is not None:
            raise refuse(adm.reason)
        status = campaign.status(slot_id, now, member.tier)
        assert status.phase is SlotPhase.OPEN
        assert status.occurrence is not None
        fresh = campaign.counters(slot_id, status.occurrence)[line.sku.id]
        rules = campaign.stock_rules()
        mkey = f"seckill:member:{campaign.id}:{member.id}"
        record = tx.get(mkey, MemberRecord) or MemberRecord(member.id)
        n = len(fresh)
        first = bucket_for(member.id, n)
        last_refusal: Reason | None = None
        glance: StockCounter | None = None
        for i in range(n):
            b = (first + i) % n
            bkey = f"seckill:bucket:{fresh[b].key}"
            seen = tx.peek(bkey, StockCounter)
            if seen is not None and seen.available < line.quantity and not rules.waiting_list:
                glance = glance or seen
                continue  # sold out at a glance: do not queue on its lock
            counter = tx.get(bkey, StockCounter, lock=True) or fresh[b]
            out = StockSlice(rules, counter, record).handle(
                Reserve(order_id, member.id, line.quantity), now=now)
            if out.ok:
                tx.put(bkey, out.state.counter)
                tx.put(mkey, out.state.member)
                okey = f"seckill:order:{order_id}"
                tx.get(okey, Reservation)
                tx.put(okey, out.state.order)
                tx.emit(bkey, out.events)
                res = out.state.order
                assert res is not None
                return SeckillHold(campaign.id, slot_id, counter.slot_key, counter.sku, b,
                                   line.quantity), res
            last_refusal = out.reason
            if out.reason.code not in ("seckill.sold_out", "seckill.not_enough_stock"):
                break  # a limit or a rule: another bucket would say the same
        if last_refusal is None:  # every bucket looked sold out: let sirui say why
            assert glance is not None
            out = StockSlice(rules, glance, record).handle(
                Reserve(order_id, member.id, line.quantity), now=now)
            assert not out.ok
            last_refusal = out.reason
        raise refuse(last_refusal)

    def _take_seat(self, tx: Tx, order_id: str, cart: Cart, member: Member, group_id: str,
                   *, leader: bool, now: DateTime) -> tuple[GroupSeat, Any, DateTime]:
        campaign_id, _, gid = group_id.partition("/")
        policy = self.policies.groupbuy_policy(campaign_id)
        if policy is None or not gid:
            raise NotFound(UNKNOWN_CAMPAIGN(campaign=group_id))
        check_id(gid, "group id")
        lines = [ln for ln in cart.lines if ln.sku.id == policy.sku]
        if len(lines) != 1:
            raise Invalid(ACTIVITY_LINE(sku=policy.sku))
        line = lines[0]
        gkey = f"groupbuy:group:{policy.id}:{gid}"
        group = tx.get(gkey, Group)
        if group is None and not leader:
            raise NotFound(UNKNOWN_GROUP(group=gid))
        cmd: OpenGroup | JoinGroup = (
            OpenGroup(order_id, gid, member, line.quantity, cart.fulfillment) if leader
            else JoinGroup(order_id, gid, member, line.quantity, cart.fulfillment))
        out = self._group_command(tx, policy, gkey, group, cmd, now=now)
        new_group = out.state.group
        seat = next(s for s in new_group.seats if s.join_id == order_id)
        step = GroupBuyPriceStep.for_seat(policy, seat, line.id)
        return GroupSeat(policy.id, gid, leader), step, seat.pay_by

    def _group_command(self, tx: Tx, policy: Any, gkey: str, group: Group | None, cmd: Any, *,
                       now: DateTime) -> Any:
        ckey = f"groupbuy:counters:{policy.id}"
        counters = tx.get(ckey, GroupBuyCounters, lock=True) or GroupBuyCounters(policy.id)
        ids = GroupSlice.members_for(cmd, group)
        usage = [tx.get(f"groupbuy:usage:{policy.id}:{m}", MemberUsage) or MemberUsage(m)
                 for m in ids]
        out = GroupSlice(policy, counters, group, usage).handle(cmd, now=now)
        if not out.ok:
            raise refuse(out.reason)
        tx.put(ckey, out.state.counters)
        tx.put(gkey, out.state.group)
        for u in out.state.usage:
            tx.put(f"groupbuy:usage:{policy.id}:{u.member_id}", u)
        tx.emit(gkey, out.events)
        return out

    # -- pay ------------------------------------------------------------------------------

    def pay(self, tx: Tx, order_id: str, payment_id: str, now: DateTime) -> Answer:
        out: Any  # outcomes of several machines in turn
        ledger: Any
        order = self.order(tx, order_id)
        if order.status is not OrderStatus.PLACED:
            raise refuse(ORDER_NOT_OPEN(status=order.status.value, action="pay"))
        if now >= order.pay_by:
            raise refuse(PAYMENT_TIMEOUT(pay_by=order.pay_by))
        q, cart = order.quote, order.cart
        member = self.member(tx, order.member_id)
        chain = self.policies.chain
        if q.coupons_used:
            wallet = self.wallet(tx, member.id)
            for cid in q.coupons_used:
                out = wallet.handle(UseCoupon(f"{order_id}:use:{cid}", cid, order_id), now=now)
                if not out.ok:
                    raise refuse(out.reason)
                self._save(tx, f"wallet:{member.id}", wallet, out)
                wallet = out.state
        ledger = self.ledger(tx, member.id)
        spend_id = f"{order_id}:spend" if q.points_used else None
        if spend_id is not None:
            out = ledger.handle(Spend(spend_id, q.points_used, order_id=order_id), now=now)
            if not out.ok:
                raise refuse(out.reason)
            self._save(tx, f"points:{member.id}", ledger, out)
            ledger = out.state
        if order.seckill is not None:
            self._stock(tx, order, Confirm(order_id), now)
        if order.group is not None:
            policy = self.policies.groupbuy_policy(order.group.campaign)
            gkey = f"groupbuy:group:{order.group.campaign}:{order.group.group_id}"
            self._group_command(tx, policy, gkey, tx.get(gkey, Group),
                                PaySeat(f"{order_id}:pay", order.group.group_id, order_id),
                                now=now)
        standing = self.standing(tx, member)
        tier = standing.tier if standing is not None else member.tier
        earned, record = self._earn(tx, order, member=member, tier=tier, ledger=ledger,
                                    spend_id=spend_id, now=now)
        tier_after = tier
        if standing is not None and chain.ladder is not None:
            out = standing.handle(RecordOrder(order_id, q.goods_payable,
                                              first_order=member.paid_orders == 0,
                                              points=earned, at=now), chain.ladder, now=now)
            if not out.ok:
                raise refuse(out.reason)
            self._save(tx, f"standing:{member.id}", standing, out)
            tier_after = out.state.tier
        paid_member = attrs.evolve(member, paid_orders=member.paid_orders + 1)
        tx.put(f"member:{member.id}", paid_member)
        core_order = Order(order_id, attrs.evolve(member, tier=tier), cart.lines,
                           order.placed_at, now, cart.store, cart.fulfillment,
                           Attribution(guide=member.guide, channel=cart.channel))
        lines, shards = self._commission(tx, core_order, q, now)
        issued = self._after_payment(tx, member.id, core_order, q, now)
        paid_order = attrs.evolve(
            order, status=OrderStatus.PAID, paid_at=now, payment_id=payment_id,
            tier_after=tier_after, points=record, points_earned=earned, commission=lines,
            settlement_shards=shards, coupons_issued=issued)
        tx.put(f"order:{order_id}", paid_order, due=None)
        return ok(paid_order)

    def _earn(self, tx: Tx, order: ServiceOrder, *, member: Member, tier: str | None,
              ledger: PointsLedger, spend_id: str | None,
              now: DateTime) -> tuple[int, OrderPoints]:
        """Points earned on what was paid, at the tier's multiplier; the order's points record."""
        chain, q, cart = self.policies.chain, order.quote, order.cart
        multiplier = Decimal(1)
        if chain.benefits is not None:
            multiplier = benefits_for(chain.benefits, MemberFacts(
                member.id, tier=tier, birthday=member.birthday, tags=member.tags),
                now).points_multiplier
        earned = 0
        earned_by_line: dict[str, int] = {}
        earn_id = None
        if chain.points is not None:
            eq = quote_earning(chain.points, [EarningLine(ln.id, ln.sku, q.line(ln.id).paid)
                                              for ln in cart.lines],
                               now=now, tier_multiplier=multiplier)
            earned, earned_by_line = eq.points, dict(eq.by_line)
            if earned:
                earn_id = f"{order.id}:earn"
                out = ledger.handle(Earn(earn_id, earned, order_id=order.id), now=now)
                if not out.ok:
                    raise refuse(out.reason)
                self._save(tx, f"points:{member.id}", ledger, out)
        record = OrderPoints.of(order.id, {ln.id: ln.quantity for ln in cart.lines},
                                earn_id=earn_id, earned=earned_by_line, spend_id=spend_id,
                                spent=dict(q.points_by_line()))
        return earned, record

    def _commission(self, tx: Tx, order: Order, q: Quote,
                    now: DateTime) -> tuple[tuple[Any, ...], tuple[str, ...]]:
        """Guide commission on what each line paid, recorded in the payees' day shards."""
        chain = self.policies.chain
        if chain.commission is None:
            return (), ()
        paid = CommissionOrder(order, [
            CommissionOrderLine(ln.id, ln.sku, ln.quantity, q.line(ln.id).paid)
            for ln in order.lines
        ], now)
        lines = guide_commission(paid, chain.commission, chain.attribution)
        by_payee: dict[str, list[Any]] = {}
        for c in lines:
            if c.payee is not None:
                by_payee.setdefault(c.payee, []).append(c)
        shards: list[str] = []
        for payee, mine in sorted(by_payee.items()):
            skey = f"settlement:{payee}:{_day(now, self.policies.tz)}"
            ledger = (tx.get(skey, SettlementLedger, lock=True)
                      or SettlementLedger(self.policies.settlement))
            out = ledger.handle(RecordCommission(f"{order.id}:commission", mine), now=now)
            if not out.ok:
                raise refuse(out.reason)
            self._save(tx, skey, ledger, out)
            shards.append(skey)
        return tuple(lines), tuple(shards)

    def _after_payment(self, tx: Tx, member_id: str, order: Order, q: Quote,
                       now: DateTime) -> tuple[str, ...]:
        chain = self.policies.chain
        templates = {t.id: t for t in chain.coupons}
        issued: list[str] = []
        wallet = None
        for trig in chain.triggers:
            if not isinstance(trig, AfterPaymentGift):
                continue
            decision = trig.decide(OrderPaid(order, q.goods_payable), now=now)
            if not decision.issue:
                continue
            for claim in decision.claims(templates):
                if getattr(claim.template, "total_quota", None) is not None:
                    continue  # quota templates are issued through /coupons (claim_coupon)
                wallet = wallet or self.wallet(tx, member_id)
                out = wallet.handle(claim, now=now)
                if out.ok and out.state is not wallet:
                    self._save(tx, f"wallet:{member_id}", wallet, out)
                    wallet = out.state
                    issued.append(claim.coupon_id)
        return tuple(issued)

    def _stock(self, tx: Tx, order: ServiceOrder, cmd: Any, now: DateTime) -> Any:
        hold = order.seckill
        assert hold is not None
        campaign = self.policies.seckill_campaign(hold.campaign)
        assert campaign is not None
        bkey = f"seckill:bucket:{hold.bucket_key}"
        mkey = f"seckill:member:{hold.campaign}:{order.member_id}"
        okey = f"seckill:order:{order.id}"
        counter = tx.get(bkey, StockCounter, lock=True)
        record = tx.get(mkey, MemberRecord)
        res = tx.get(okey, Reservation)
        assert counter is not None
        assert record is not None
        assert res is not None
        out = StockSlice(campaign.stock_rules(), counter, record, res).handle(cmd, now=now)
        if not out.ok:
            return out
        if out.state.order is not res:
            tx.put(bkey, out.state.counter)
            tx.put(mkey, out.state.member)
            tx.put(okey, out.state.order)
            tx.emit(bkey, out.events)
        return out

    # -- cancel, time out -----------------------------------------------------------------

    def close(self, tx: Tx, order_id: str, now: DateTime, *, timeout: bool) -> Answer:
        out: Any  # outcomes of several machines in turn
        order = self.order(tx, order_id)
        action = "expire" if timeout else "cancel"
        if order.status is not OrderStatus.PLACED:
            raise refuse(ORDER_NOT_OPEN(status=order.status.value, action=action))
        if timeout and now < order.pay_by:
            raise refuse(NOT_DUE(pay_by=order.pay_by))
        if order.quote.coupons_used:
            wallet = self.wallet(tx, order.member_id)
            for cid in order.quote.coupons_used:
                out = wallet.handle(UnlockCoupon(f"{order_id}:unlock:{cid}", cid, order_id),
                                    now=now)
                if out.ok:
                    self._save(tx, f"wallet:{order.member_id}", wallet, out)
                    wallet = out.state
        if order.seckill is not None:
            out = self._stock(tx, order, Expire(order_id) if timeout else Cancel(order_id), now)
            if not out.ok and out.reason.code == "seckill.not_due":
                out = self._stock(tx, order, Cancel(order_id), now)
            if not out.ok and out.reason.code != "seckill.reservation_released":
                raise refuse(out.reason)
        if order.group is not None:
            policy = self.policies.groupbuy_policy(order.group.campaign)
            gkey = f"groupbuy:group:{order.group.campaign}:{order.group.group_id}"
            group = tx.get(gkey, Group)
            cmd = LeaveGroup(f"{order_id}:leave", order.group.group_id, order.member_id)
            # A refusal (a leader with members) leaves the seat to the group's own clock:
            # the GroupTick at its pay_by releases it.
            with contextlib.suppress(Refusal):
                self._group_command(tx, policy, gkey, group, cmd, now=now)
        closed = attrs.evolve(order, status=OrderStatus.EXPIRED if timeout
                              else OrderStatus.CANCELLED, closed_at=now)
        tx.put(f"order:{order_id}", closed, due=None)
        return ok(closed)

    # -- refunds --------------------------------------------------------------------------

    def refund(self, tx: Tx, order_id: str, refund_key: str, returns: Mapping[str, int],
               now: DateTime) -> Answer:
        order = self.order(tx, order_id)
        if order.status is not OrderStatus.PAID:
            raise refuse(ORDER_NOT_PAID())
        refund_id = f"{order_id}:refund:{refund_key}"
        if refund_id in order.refund_ids:
            raise refuse(REFUND_ID_TAKEN(refund=refund_key))
        updated = self._refund(tx, order, refund_id, returns, now)
        return ok(updated, 201)

    def _refund(self, tx: Tx, order: ServiceOrder, refund_id: str, returns: Mapping[str, int],
                now: DateTime) -> ServiceOrder:
        out: Any  # outcomes of several machines in turn
        ledger: Any
        full_quote = tx.get(f"quote:{order.id}", Quote) or order.quote
        result = refund(full_quote, returns, order.refunds)  # misuse raises (422)
        member_id = order.member_id
        record = order.points
        if record is not None:
            plan = record.refund(refund_id, returns)
            if plan.commands:
                ledger = self.ledger(tx, member_id)
                for cmd in plan.commands:
                    out = ledger.handle(cmd, now=now)
                    if not out.ok:
                        raise refuse(out.reason)
                    self._save(tx, f"points:{member_id}", ledger, out)
                    ledger = out.state
            record = plan.order
        chain = self.policies.chain
        member = self.member(tx, member_id)
        standing = self.standing(tx, member)
        if standing is not None and chain.ladder is not None:
            out = standing.handle(RefundOrder(refund_id, order.id, result.goods), chain.ladder,
                                  now=now)
            if not out.ok:
                raise refuse(out.reason)
            self._save(tx, f"standing:{member_id}", standing, out)
        if order.settlement_shards:
            lines = [LineRefund(rl.id, rl.quantity, rl.amount) for rl in result.lines]
            for skey in order.settlement_shards:
                ledger_s = tx.get(skey, SettlementLedger, lock=True)
                assert ledger_s is not None
                mine = {r.line.line_id for r in ledger_s.records_of(order.id)}
                part = [ln for ln in lines if ln.line_id in mine]
                if not part:
                    continue
                out = ledger_s.handle(
                    ApplyRefund(refund_id, CommissionRefund(refund_id, order.id, part, at=now)),
                    now=now)
                if not out.ok and out.reason.code != "settlement.nothing_to_refund":
                    raise refuse(out.reason)
                if out.ok:
                    self._save(tx, skey, ledger_s, out)
        if result.coupons_returned:
            wallet = self.wallet(tx, member_id)
            for cid in result.coupons_returned:
                out = wallet.handle(ReturnCoupon(f"{refund_id}:return:{cid}", cid, order.id),
                                    now=now)
                if out.ok:
                    self._save(tx, f"wallet:{member_id}", wallet, out)
                    wallet = out.state
        updated = attrs.evolve(order, points=record, refunds=(*order.refunds, result),
                               refund_ids=(*order.refund_ids, refund_id))
        tx.put(f"order:{order.id}", updated)
        return updated

    # -- group-buy deadlines ----------------------------------------------------------------

    def group_tick(self, tx: Tx, campaign_id: str, group_id: str, command_id: str,
                   now: DateTime) -> Answer:
        policy = self.policies.groupbuy_policy(campaign_id)
        if policy is None:
            raise NotFound(UNKNOWN_CAMPAIGN(campaign=campaign_id))
        gkey = f"groupbuy:group:{policy.id}:{group_id}"
        group = tx.get(gkey, Group)
        if group is None:
            raise NotFound(UNKNOWN_GROUP(group=group_id))
        out = self._group_command(tx, policy, gkey, group, GroupTick(command_id, group_id),
                                  now=now)
        for ev in out.events:
            if isinstance(ev, RefundDue):
                paid = tx.get(f"order:{ev.join_id}", ServiceOrder)
                if paid is not None and paid.status is OrderStatus.PAID:
                    line = next(ln for ln in paid.cart.lines if ln.sku.id == policy.sku)
                    done = sum(rl.quantity for r in paid.refunds for rl in r.lines
                               if rl.id == line.id)
                    if done < line.quantity:
                        self._refund(tx, paid, f"{paid.id}:refund:{command_id}",
                                     {line.id: line.quantity - done}, now)
        return ok(Outcome(command_id, tuple(out.events), out.state.group))

    # -- bargain, lottery ---------------------------------------------------------------------

    def _bargain(self, tx: Tx, campaign_id: str, bargain_id: str, cmd: Any,
                 now: DateTime) -> Answer:
        policy = self.policies.bargain_policy(campaign_id)
        if policy is None:
            raise NotFound(UNKNOWN_CAMPAIGN(campaign=campaign_id))
        ckey = f"bargain:counters:{policy.id}"
        bkey = f"bargain:bargain:{policy.id}:{bargain_id}"
        counters = tx.get(ckey, BargainCounters, lock=True) or BargainCounters(policy.id)
        bargain = tx.get(bkey, BargainState)
        if bargain is None and not isinstance(cmd, StartBargain):
            raise NotFound(UNKNOWN_CAMPAIGN(campaign=f"{campaign_id}/{bargain_id}"))
        ids = BargainSlice.members_for(cmd, bargain)
        usage = [tx.get(f"bargain:usage:{policy.id}:{m}", BargainUsage) or BargainUsage(m)
                 for m in ids]
        out = BargainSlice(policy, counters, bargain, usage).handle(cmd, now=now, rng=self.rng)
        if not out.ok:
            raise refuse(out.reason)
        tx.put(ckey, out.state.counters)
        tx.put(bkey, out.state.bargain)
        for u in out.state.usage:
            tx.put(f"bargain:usage:{policy.id}:{u.member_id}", u)
        tx.emit(bkey, out.events)
        return ok(Outcome(cmd.id, tuple(out.events), out.state.bargain), 201)

    def bargain_start(self, tx: Tx, *, campaign_id: str, member_id: str, bargain_id: str,
                      command_id: str, now: DateTime) -> Answer:
        check_id(bargain_id, "bargain id")
        member = self.member(tx, member_id)
        return self._bargain(tx, campaign_id, bargain_id,
                             StartBargain(command_id, bargain_id, member), now)

    def bargain_help(self, tx: Tx, *, campaign_id: str, bargain_id: str, member_id: str,
                     command_id: str, now: DateTime) -> Answer:
        helper = self.member(tx, member_id)
        return self._bargain(tx, campaign_id, bargain_id,
                             HelpBargain(command_id, bargain_id, helper), now)

    def draw(self, tx: Tx, campaign_id: str, member_id: str, command_id: str,
             now: DateTime) -> Answer:
        got: Any
        campaign = self.policies.lottery_campaign(campaign_id)
        if campaign is None:
            raise NotFound(UNKNOWN_CAMPAIGN(campaign=campaign_id))
        self.member(tx, member_id)
        pkey = f"lottery:pool:{campaign.id}"
        mkey = f"lottery:member:{campaign.id}:{member_id}"
        pool = tx.get(pkey, PoolState, lock=True) or PoolState.open(campaign.pool, now)
        mine = tx.get(mkey, MemberLottery) or MemberLottery.new(member_id, campaign)
        out = LotteryState(campaign, pool, mine).handle(Draw(command_id), now=now, rng=self.rng)
        if not out.ok:
            raise refuse(out.reason)
        tx.put(pkey, out.state.pool)
        tx.put(mkey, out.state.member)
        tx.emit(mkey, out.events)
        for ev in out.events:
            if not isinstance(ev, PrizeWon):
                continue
            if isinstance(ev.reward, PointsReward):
                ledger = self.ledger(tx, member_id)
                got = ledger.handle(Earn(f"{command_id}:prize", ev.reward.points,
                                         source="lottery"), now=now)
                if got.ok:
                    self._save(tx, f"points:{member_id}", ledger, got)
            elif isinstance(ev.reward, CouponReward):
                template = self.policies.template(ev.reward.template_id)
                if template is not None:
                    wallet = self.wallet(tx, member_id)
                    got = wallet.handle(ClaimCoupon(f"{command_id}:prize", f"lot-{command_id}",
                                                    template), now=now)
                    if got.ok:
                        self._save(tx, f"wallet:{member_id}", wallet, got)
        return ok(Outcome(command_id, tuple(out.events), None), 201)

    # -- helpers --------------------------------------------------------------------------------

    def _save(self, tx: Tx, key: str, before: Any, out: Any) -> None:
        """Stage an accepted outcome's state and events (a replay changes nothing: no events)."""
        if out.state is before:
            return  # a replay: sirui returned the very same state
        tx.get(key, type(before))
        tx.put(key, out.state)
        tx.emit(key, out.events)


__all__ = ["Invalid", "Mall", "NotFound", "ok", "problem", "refuse"]
