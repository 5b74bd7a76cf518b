"""Why a subscription plan refuses a command, in Chinese and English.

Chinese messages show dates as ``2026年11月11日`` and times as
``2026年11月10日 20:00`` (the ``*_zh`` parameters), statuses and actions by
their Chinese names; the machine-readable parameters (``date``,
``cutoff``, ``state``) carry the values themselves for hosts and analysts.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sirui.rules.reasons import reason_code

__all__ = ["SUBSCRIPTION_REASONS", "zh_day", "zh_time"]


def zh_day(day: dt.date) -> str:
    """``2026年11月11日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def zh_time(t: dt.datetime) -> str:
    """``2026年11月10日 20:00`` (``t`` already in the store's zone)."""
    return f"{zh_day(t.date())} {t.hour:02d}:{t.minute:02d}"


CUTOFF_PASSED = reason_code(
    "subscription.cutoff_passed",
    zh="第{number}期（{date_zh}配送）已过截单时间{cutoff_zh}，不能再修改",
    en="Delivery {number} on {date} can no longer be changed: changes closed at {cutoff}",
)
SKIP_LIMIT = reason_code(
    "subscription.skip_limit_reached",
    zh="每个周期购最多跳过{limit}期，已跳过{used}期",
    en="At most {limit} skips per plan; {used} used",
)
PAUSE_LIMIT = reason_code(
    "subscription.pause_limit_reached",
    zh="累计暂停不能超过{limit}天（已暂停{used}天，本次申请{days}天）",
    en="Pauses may total at most {limit} days ({used} used, {days} asked)",
)
POSTPONE_LIMIT = reason_code(
    "subscription.postpone_too_far",
    zh="每期最多延后{limit}天（本次{days}天）",
    en="A delivery can be postponed by at most {limit} days ({days} asked)",
)
NOT_LATER = reason_code(
    "subscription.not_later",
    zh="延期后的日期须晚于原配送日期{date_zh}",
    en="The new date must be after {date}",
)
PAUSE_IN_PAST = reason_code(
    "subscription.pause_in_past",
    zh="暂停须从今天（{today_zh}）或以后开始",
    en="A pause starts today ({today}) or later",
)
NOTHING_TO_PAUSE = reason_code(
    "subscription.nothing_to_pause",
    zh="{start_zh}至{last_zh}没有待配送的订单",
    en="No delivery falls between {start} and {last}",
)
STILL_PAUSED = reason_code(
    "subscription.still_paused",
    zh="配送暂停中，{until_zh}起才能恢复",
    en="Paused until {until}; it resumes from that day",
)
NOT_PAUSED = reason_code(
    "subscription.not_paused", zh="周期购未暂停", en="The plan is not paused"
)
PLAN_PAUSED = reason_code(
    "subscription.paused",
    zh="周期购暂停中（{until_zh}恢复），恢复后才能修改",
    en="The plan is paused until {until}; changes are possible after it resumes",
)
PLAN_ENDED = reason_code(
    "subscription.ended", zh="周期购已结束", en="The plan has ended"
)
NOT_DUE = reason_code(
    "subscription.not_due",
    zh="第{number}期（{date_zh}配送）的截单时间{cutoff_zh}未到",
    en="Delivery {number} on {date} is not due before its cutoff at {cutoff}",
)
DELIVERY_STATE = reason_code(
    "subscription.delivery_state",
    zh="第{number}期{state_zh}，不能{action_zh}",
    en="Delivery {number} is {state}; it cannot be {action}",
)
NOTHING_TO_REFUND = reason_code(
    "subscription.nothing_to_refund",
    zh="没有可退款的待配送期数",
    en="No undelivered delivery can still be refunded",
)
NOT_ENOUGH_TO_REFUND = reason_code(
    "subscription.not_enough_to_refund",
    zh="仅剩{left}期可退款，申请退{asked}期",
    en="Only {left} deliveries can be refunded; {asked} asked",
)
PAYMENT_MISMATCH = reason_code(
    "subscription.payment_mismatch",
    zh="周期购应付{price}，实付{paid}",
    en="The plan costs {price}; paid {paid}",
)
FIRST_TOO_SOON = reason_code(
    "subscription.first_delivery_too_soon",
    zh="首期最早{earliest_zh}配送",
    en="The first delivery can be on {earliest} at the earliest",
)

#: Every refusal code of the subscription plan, by code.
SUBSCRIPTION_REASONS: Final = {r.code: r for r in (
    CUTOFF_PASSED, SKIP_LIMIT, PAUSE_LIMIT, POSTPONE_LIMIT, NOT_LATER, PAUSE_IN_PAST,
    NOTHING_TO_PAUSE, STILL_PAUSED, NOT_PAUSED, PLAN_PAUSED, PLAN_ENDED, NOT_DUE,
    DELIVERY_STATE, NOTHING_TO_REFUND, NOT_ENOUGH_TO_REFUND, PAYMENT_MISMATCH, FIRST_TOO_SOON,
)}
