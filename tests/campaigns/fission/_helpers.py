"""Shared builders for the fission tests: a campaign clock and members."""

from __future__ import annotations

from typing import Any

import pendulum

from sirui.core.money import Money
from sirui.core.nouns import Member

T0 = pendulum.datetime(2026, 11, 1, 10, tz="Asia/Shanghai")
END = T0.add(days=10)


def yuan(text: str) -> Money:
    return Money.of(text)


def member(mid: str, **kw: Any) -> Member:
    kw.setdefault("paid_orders", 3)
    return Member(mid, **kw)


def codes(events: Any) -> list[str]:
    return [type(e).__name__ for e in events]
