"""Conformance cases for the promotion machines (see `tests/test_machine_contract.py`)."""

from __future__ import annotations

import pendulum

from contract import MachineCase
from sirui.core.money import Money
from sirui.core.windows import DaysAfterClaim
from sirui.promotions import (
    AmountOffCoupon,
    ClaimCoupon,
    ExpireCoupons,
    LockCoupon,
    UnlockCoupon,
    UseCoupon,
    Wallet,
)

TZ = "Asia/Shanghai"


def _wallet_cases() -> list[MachineCase]:
    """A wallet with one coupon valid now and one valid from tomorrow (次日生效)."""
    now = pendulum.datetime(2026, 11, 11, 10, tz=TZ)
    m100 = AmountOffCoupon("m100-10", validity=DaysAfterClaim(7), off=Money.of("10"),
                           threshold=Money.of("100"), per_member_limit=1)
    tomorrow = AmountOffCoupon("next-day", validity=DaysAfterClaim(7, starts_after_days=1),
                               off=Money.of("5"), threshold=Money.of("50"))
    w = Wallet("m1")
    w = w.handle(ClaimCoupon("claim-1", "c1", m100), now=now).state
    w = w.handle(ClaimCoupon("claim-2", "c2", tomorrow), now=now).state
    used = w.handle(UseCoupon("pay-1", "c1", "o1"), now=now).state
    return [
        MachineCase(
            name="Wallet",
            state=w,
            now=now,
            accept=LockCoupon("lock-1", "c1", "o1"),
            conflict=LockCoupon("lock-1", "c1", "o2"),    # the same id for another order
            reject=LockCoupon("lock-2", "c2", "o2"),      # not valid before tomorrow
            illegal=UnlockCoupon("unlock-1", "c1", "o1"),  # AVAILABLE cannot be unlocked
        ),
        MachineCase(
            name="Wallet-used",
            state=used,
            now=now.add(days=8),
            accept=ExpireCoupons("sweep-1"),              # c2 ended on day 8
            conflict=UseCoupon("sweep-1", "c2", "o2"),
            reject=ClaimCoupon("claim-3", "c3", m100),    # one per member
            illegal=LockCoupon("lock-3", "c1", "o3"),     # USED cannot be locked
        ),
    ]


CASES: list[MachineCase] = [*_wallet_cases()]
