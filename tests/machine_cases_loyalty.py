"""Conformance cases for the loyalty machines (see `tests/test_machine_contract.py`).

One function per sub-package; `CASES` joins them.
"""

from __future__ import annotations

import pendulum

from contract import MachineCase

TZ = "Asia/Shanghai"


def _points_cases() -> list[MachineCase]:
    """The points machines of `sirui.loyalty.points`."""
    return [
        *_ledger_cases(), *_stored_value_cases(), *_mall_cases(), *_signin_cases(),
        *_task_cases(),
    ]


def _ledger_cases() -> list[MachineCase]:
    from sirui.loyalty.points import (
        Earn,
        ExpireAfterDays,
        LedgerPolicy,
        PointsLedger,
        Spend,
        TakeBack,
    )

    now = pendulum.datetime(2026, 3, 1, 10, tz=TZ)
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAfterDays(365), pending_days=7))
    led = led.handle(Earn("signup", 500, source="follow"), now=now).state
    led = led.handle(Earn("o1:earn", 268, order_id="o1"), now=now).state   # pending
    led = led.handle(Spend("lottery-1", 100, purpose="lottery"), now=now).state
    return [
        MachineCase(
            name="PointsLedger",
            state=led,
            now=now.add(days=1),
            accept=Spend("o2:spend", 300, order_id="o2"),
            conflict=Spend("o2:spend", 301, order_id="o2"),
            reject=Spend("o3:spend", 401),                # 400 available; 268 still pending
            illegal=TakeBack("rf-1", "lottery-1", 50),    # a spend cannot be taken back
        ),
    ]


def _member_cases() -> list[MachineCase]:
    """The machines of `sirui.loyalty.members`: a paid card and a member's standing."""
    from sirui.core.money import Money
    from sirui.loyalty.members import (
        CardPlan,
        CardRefundRule,
        ClaimCouponPack,
        MemberStanding,
        PaidCard,
        PurchaseCard,
        RecordOrder,
        RefundCard,
        RefundMode,
        RefundOrder,
        RenewCard,
        StartTrial,
        Tier,
        TierLadder,
        UnpinTier,
    )

    now = pendulum.datetime(2026, 11, 11, 10, tz=TZ)
    plan = CardPlan("annual", Money.of("99"), coupon_pack="VIP-MONTHLY",
                    coupon_pack_value=Money.of("10"), refund=CardRefundRule(RefundMode.NONE))
    card = PaidCard.new("card-1", "m1", plan).handle(PurchaseCard("pay-1"), now=now).state
    ladder = TierLadder((Tier("normal"), Tier("silver", threshold=500),
                         Tier("gold", threshold=2000)))
    standing = MemberStanding.new("m1", ladder).handle(
        RecordOrder("o1", Money.of("300")), ladder, now=now).state
    return [
        MachineCase(
            name="PaidCard",
            state=card,
            now=now.add(days=1),
            accept=ClaimCouponPack("k1"),
            conflict=RenewCard("k1"),
            reject=RefundCard("refund-1"),        # the plan is not refundable
            illegal=StartTrial("trial-1"),        # an active card takes no trial
        ),
        MachineCase(
            name="MemberStanding",
            state=standing,
            now=now.add(days=1),
            accept=RecordOrder("o2", Money.of("250")),
            conflict=RecordOrder("o2", Money.of("251")),
            reject=RefundOrder("r1", "o9"),       # no such order in the ledger
            illegal=UnpinTier("u1"),              # nothing is pinned
            kwargs={"ladder": ladder},
        ),
    ]


def _stored_value_cases() -> list[MachineCase]:
    from sirui.core.money import Money
    from sirui.loyalty.points import (
        Pay,
        RefundPayment,
        RefundTopUp,
        StoredValueAccount,
        StoredValuePolicy,
        TopUp,
        TopUpTier,
    )

    now = pendulum.datetime(2026, 5, 1, 10, tz=TZ)
    y = Money.of
    policy = StoredValuePolicy((TopUpTier(y("500"), y("50")),), min_top_up=y("100"))
    acc = StoredValueAccount.open("m1", policy)
    acc = acc.handle(TopUp("tu-1", y("500")), now=now).state
    acc = acc.handle(Pay("pay-1", y("120"), (("formula", y("100")), ("wipes", y("20")))),
                     now=now).state
    return [
        MachineCase(
            name="StoredValueAccount",
            state=acc,
            now=now.add(hours=1),
            accept=RefundPayment("rf-1", "pay-1", frozenset({"wipes"})),
            conflict=RefundPayment("rf-1", "pay-1", frozenset({"formula"})),
            reject=TopUp("tu-2", y("50")),                 # below the 100 minimum
            illegal=RefundTopUp("rt-1", "pay-1"),          # a payment is not a top-up
        ),
    ]


def _mall_cases() -> list[MachineCase]:
    from sirui.loyalty.points import CancelRedemption, MallCatalogue, MallItem, PointsMall, Redeem

    now = pendulum.datetime(2026, 11, 11, 10, 5, tz=TZ)
    cup = MallItem("cup", points=3000, stock=2, per_member_limit=1, name="保温杯")
    mall = PointsMall.open(MallCatalogue((cup,)))
    mall = mall.handle(Redeem("x1", "m1", "cup", available_points=5000), now=now).state
    mall = mall.handle(Redeem("x2", "m2", "cup", available_points=5000), now=now).state
    mall = mall.handle(CancelRedemption("x2-cancel", "x2"), now=now).state
    return [
        MachineCase(
            name="PointsMall",
            state=mall,
            now=now.add(minutes=5),
            accept=Redeem("x3", "m3", "cup", available_points=3000),
            conflict=Redeem("x3", "m3", "cup", available_points=3001),
            reject=Redeem("x4", "m1", "cup", available_points=9000),   # one per member
            illegal=CancelRedemption("x2-cancel-2", "x2"),          # cancelled already
        ),
    ]


def _signin_cases() -> list[MachineCase]:
    import datetime as dt

    from sirui.loyalty.points import MakeUp, SignIn, SigninCalendar, SigninPolicy

    now = pendulum.datetime(2026, 3, 4, 9, tz=TZ)
    cal = SigninCalendar.open("m1", SigninPolicy(makeup_cost=20, makeups_per_month=1))
    for d in (1, 2):
        cal = cal.handle(SignIn(f"s{d}"), now=now.replace(day=d)).state
    return [
        MachineCase(
            name="SigninCalendar",
            state=cal,
            now=now,
            accept=MakeUp("mu-1", dt.date(2026, 3, 3), available_points=100),
            conflict=MakeUp("mu-1", dt.date(2026, 3, 3), available_points=99),
            reject=MakeUp("mu-2", dt.date(2026, 3, 3), available_points=10),  # cannot pay
            illegal=MakeUp("mu-3", dt.date(2026, 3, 2), available_points=100),  # signed
        ),
    ]


def _task_cases() -> list[MachineCase]:
    from sirui.core.windows import Window
    from sirui.loyalty.points import RecordAction, Task, TaskBoard, TaskPeriod, TaskProgress

    now = pendulum.datetime(2026, 11, 11, 10, tz=TZ)
    board = TaskBoard((
        Task("follow", "follow", 50),
        Task("share3", "share", 20, TaskPeriod.DAILY, target=3),
        Task("d11", "live", 30, window=Window(now.subtract(days=3), now.subtract(days=1))),
    ))
    progress = TaskProgress("m1", board)
    progress = progress.handle(RecordAction("a1", "follow"), now=now).state
    return [
        MachineCase(
            name="TaskProgress",
            state=progress,
            now=now.add(minutes=1),
            accept=RecordAction("a2", "share", times=3),
            conflict=RecordAction("a2", "share", times=2),
            reject=RecordAction("a3", "live"),           # the Double 11 live task has ended
            illegal=RecordAction("a4", "follow"),        # followed once: capped for good
        ),
    ]


CASES: list[MachineCase] = [*_points_cases(), *_member_cases()]
