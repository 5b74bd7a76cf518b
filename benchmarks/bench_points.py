"""Points benchmarks: spending on a large ledger, the balance at a moment, a year of sign-ins."""

from __future__ import annotations

import itertools

import pendulum

from _harness import Case
from sirui.loyalty.points import (
    Earn,
    ExpireAfterDays,
    LedgerPolicy,
    PointsLedger,
    SignIn,
    SigninCalendar,
    SigninPolicy,
    Spend,
)

T0 = pendulum.datetime(2020, 1, 1, 10, tz="Asia/Shanghai")


def ledger_with(buckets: int) -> tuple[PointsLedger, pendulum.DateTime]:
    """A ledger of ``buckets`` buckets, one earned per day, each expiring after 10 years."""
    led = PointsLedger.open("m1", LedgerPolicy(expiry=ExpireAfterDays(3650)))
    now = T0
    for i in range(buckets):
        now = T0.add(hours=6 * i)
        led = led.handle(Earn(f"e{i}", 100, source="signin"), now=now).state
    return led, now


def _spend_case() -> object:
    led, now = ledger_with(10_000)
    ids = itertools.count()
    # 250 points: crosses three buckets, so the spend really walks and rebuilds
    return lambda: led.handle(Spend(f"s{next(ids)}", 250), now=now)


def _balance_case() -> object:
    led, _now = ledger_with(10_000)
    at = T0.add(days=3650 + 600)  # about a quarter of the buckets expired by then
    return lambda: led.balance(at)


def _signin_year() -> object:
    pol = SigninPolicy()
    days = [T0.add(days=d) for d in range(365)]

    def run() -> SigninCalendar:
        cal = SigninCalendar.open("m1", pol)
        for i, t in enumerate(days):
            cal = cal.handle(SignIn(f"s{i}"), now=t).state
        return cal

    return run


def cases(quick: bool) -> list[Case]:
    return [
        Case("points_spend_10k_buckets", setup=_spend_case),  # type: ignore[arg-type]
        Case("points_balance_at", setup=_balance_case),  # type: ignore[arg-type]
        Case("signin_year", setup=_signin_year),  # type: ignore[arg-type]
    ]
