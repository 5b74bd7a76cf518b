"""Shared builders for the seckill tests: the operator's 每日10:00 milk seckill."""

from __future__ import annotations

import datetime as dt

import pendulum

from sirui.campaigns.seckill import (
    PurchaseLimits,
    SeckillCampaign,
    SeckillItem,
    SeckillSlot,
)
from sirui.core.money import Money
from sirui.core.windows import DailySlot

TZ = "Asia/Shanghai"


def at(
    h: int, m: int = 0, s: int = 0, us: int = 0, day: int = 11, tz: str = TZ
) -> pendulum.DateTime:
    return pendulum.datetime(2026, 11, day, h, m, s, us, tz=tz)


def milk(stock: int = 100, buckets: int = 1) -> SeckillItem:
    """A 59-yuan tin of formula at 9.90 in the seckill."""
    return SeckillItem("milk", Money.of("9.90"), Money.of("59"), stock, buckets)


def daily_campaign(**kw: object) -> SeckillCampaign:
    """每日10:00和20:00秒杀, 30 minutes each, preview an hour before."""
    slots = (
        SeckillSlot("am", (milk(),), daily=DailySlot(dt.time(10), dt.time(10, 30)),
                    preview_minutes=60),
        SeckillSlot("pm", (milk(),), daily=DailySlot(dt.time(20), dt.time(20, 30))),
    )
    args: dict[str, object] = {"limits": PurchaseLimits(per_slot=1, per_day=2)}
    args.update(kw)
    return SeckillCampaign("double11", slots, **args)  # type: ignore[arg-type]
