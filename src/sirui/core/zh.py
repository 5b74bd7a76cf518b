"""Chinese renderings of values for reason messages (中文文案).

A reason's zh template never shows an ISO timestamp, an English enum value
or a raw slot id: the mechanic passes a ``*_zh`` parameter rendered here
beside the machine-readable value (which hosts and analysts keep reading).

>>> import pendulum
>>> zh_datetime(pendulum.datetime(2026, 11, 11, 2, tz="UTC"), "Asia/Shanghai")
'2026年11月11日 10:00'
>>> zh_date(pendulum.date(2026, 11, 11))
'2026年11月11日'
"""

from __future__ import annotations

import datetime as dt

from pendulum import DateTime

from sirui.core.windows import zone

__all__ = ["zh_date", "zh_datetime"]


def zh_date(t: dt.date, tz: str | None = None) -> str:
    """``2026年11月11日``: the calendar day of ``t`` (a datetime in ``tz`` if given)."""
    if isinstance(t, dt.datetime) and tz is not None:
        t = _local(t, tz)
    return f"{t.year}年{t.month}月{t.day}日"


def zh_datetime(t: dt.datetime, tz: str | None = None) -> str:
    """``2026年11月11日 10:00``: ``t`` in the store's zone ``tz`` (else its own zone)."""
    local = t if tz is None else _local(t, tz)
    return f"{local.year}年{local.month}月{local.day}日 {local.hour:02d}:{local.minute:02d}"


def _local(t: dt.datetime, tz: str) -> dt.datetime:
    if isinstance(t, DateTime):
        return t.in_timezone(zone(tz))
    return t.astimezone(zone(tz))
