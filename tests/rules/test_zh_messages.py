"""Every registered reason renders a Chinese message without English machine words.

A shopper reading a zh message must never see an English enum value
(``该团已succeeded``), a raw slot id (``每单限用1张store券``) or an ISO
timestamp (``2026-11-11T10:00:00+08:00``). Each reason's parameters are
classified below by what the callers pass (a datetime, an enum word, an id,
a number, Chinese text); the test renders every zh template in
`sirui.rules.reasons.CATALOGUE` with a representative value of each kind and
looks for ASCII words and ISO dates. A new parameter name must be classified
here before its reason can ship.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import pkgutil
import re
from typing import Any

import pendulum
import pytest

import sirui
from sirui.rules.reasons import CATALOGUE, ReasonCode

#: ``sirui.simulate`` needs the analysis extra (pandas) and registers no reasons.
_OPTIONAL = ("sirui.simulate",) if importlib.util.find_spec("pandas") is None else ()

for _info in pkgutil.walk_packages(sirui.__path__, "sirui."):
    if not _info.name.startswith(("sirui.cli", "sirui.__main__", "sirui.money", "sirui.errors",
                                  *_OPTIONAL)):
        importlib.import_module(_info.name)

#: Prefixes other test modules register their own demo reasons under.
_TEST_PREFIXES = ("test.", "codec.", "codec_test.", "groupbuy.demo_", "signin.demo_",
                  "stacking.demo_")


def _registered() -> dict[str, ReasonCode]:
    """sirui's own reasons (the catalogue also holds what tests register)."""
    return {c: e for c, e in CATALOGUE.items() if not c.startswith(_TEST_PREFIXES)}


WHEN = pendulum.datetime(2026, 11, 11, 2, tz="UTC")        # 10:00 in Shanghai
DAY = dt.date(2026, 11, 11)
WORD = "succeeded"                                           # what an enum value looks like
ZH = "已拼团成功"                                              # a *_zh rendering
ID = "o1001"                                                 # order, SKU, coupon, member ids

DATETIMES = {
    "at", "until", "start", "end", "deadline", "opens_at", "expires_at", "starts_at", "due",
    "due_by", "due_at", "next", "cutoff", "refunded_at", "granted_at", "earliest", "last",
    "today",
}
DATES = {"date", "day"}
ENUM_WORDS = {"status", "state", "source", "scope", "mode", "action", "cause", "segment",
              "command", "slot", "kind"}
IDS = {
    "coupon", "order", "order_id", "txn", "sku", "guide", "super_guide", "promoter", "payee",
    "entry_id", "redemption", "line_id", "member_id", "item", "gift", "campaign", "pool",
    "owner", "inviter", "transaction", "account", "withdrawal", "tasks",
}
# Names the operator gives in the admin UI (tier labels, store, channel and category ids,
# tags, rule, node and exclusion-group names): shown as configured, in whatever script
# the operator wrote them. Represented by an operator-style id with digits.
OPERATOR_NAMES = {"tier", "to", "allowed", "tag", "rule", "node", "group", "chosen", "metric",
                  "keep_at", "what", "zone"}
NUMBERS = {
    "limit", "amount", "threshold", "off", "days", "rate", "price", "left", "quantity",
    "short", "paid", "base", "available", "requested", "percent", "fee", "cap", "n", "max",
    "minimum", "debt", "count", "balance", "used", "taken", "saves", "points", "number",
    "multiplier", "floor", "each", "wanted", "unboosted", "split", "original", "combination",
    "boosted", "alone", "usable", "size", "share", "room", "returned", "refundable", "ratio",
    "rates", "quota", "per", "offset", "net", "maximum", "hours", "helpers", "held", "gross",
    "free", "every", "earned", "discount", "cycle", "cost", "commission", "carved",
    "cap_amount", "buy", "bundles", "before", "asked", "achievement", "chosen_saves",
    "distance_km", "max_km", "distance_m",
}
# The analyst's own column names and what a column should hold (sirui.simulate input
# errors): genuine Latin content of the analyst's file, shown as it is.
ANALYST_TEXT = {"column", "value", "expected"}
# Reason codes render the inner reasons' zh messages (``because_zh``, ``detail_zh``);
# the codes themselves stay in the machine-readable ``because`` / ``detail``.
CODES = {"because", "detail"}

#: Where one reason uses a common name for something else.
OVERRIDES: dict[str, dict[str, Any]] = {
    "groupbuy.limit_reached": {"limit": "groups opened"},
    "bargain.limit_reached": {"limit": "helps"},
    "assist.limit_reached": {"limit": "helps"},
}

#: Latin words that are genuine content of a template itself.
ALLOWED_WORDS = {
    "timezone",   # input.naive_timestamp: the CLI flag --timezone to pass
    "TA",         # 他/她 as Chinese apps write it (您已帮TA砍过价)
    "paid_at",    # the representative of ANALYST_TEXT: the analyst's own column name
}

#: Reasons whose zh still shows a machine word, with who owns the fix.
KNOWN: dict[str, str] = {
}

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T")
WORDS = re.compile(r"(?<![A-Za-z0-9_.-])[A-Za-z][A-Za-z_.]+(?![A-Za-z0-9_])")


def _value(code: str, name: str) -> Any:
    special = OVERRIDES.get(code, {})
    if name in special:
        return special[name]
    if name.endswith("_zh") or name in {"refunded_on", "granted_on", "due_on"}:
        return ZH
    kinds: list[tuple[set[str], Any]] = [
        (DATETIMES, WHEN), (DATES, DAY), (ENUM_WORDS, WORD), (IDS, ID),
        (OPERATOR_NAMES, "T01"), (NUMBERS, 3), (ANALYST_TEXT, "paid_at"),
        (CODES, ("condition.tier_not_in",)),
    ]
    for names, value in kinds:
        if name in names:
            return value
    raise AssertionError(f"{code}: classify parameter {name!r} in tests/rules/test_zh_messages.py")


def _render(entry: ReasonCode) -> str:
    params = {name: _value(entry.code, name) for name in entry.params}
    return entry(**params).zh


def _problems(entry: ReasonCode) -> list[str]:
    text = _render(entry)
    out = []
    if ISO_TIMESTAMP.search(text) or ISO_DATE.search(text):
        out.append(f"an ISO date: {text}")
    words = [w for w in WORDS.findall(text) if w not in ALLOWED_WORDS]
    if entry.code in OVERRIDES:
        words = [w for w in words if w not in str(OVERRIDES[entry.code]["limit"]).split()]
    if words:
        out.append(f"English words {words}: {text}")
    return out


def test_every_parameter_name_is_classified() -> None:
    unclassified = []
    for code, entry in sorted(_registered().items()):
        for name in entry.params:
            try:
                _value(code, name)
            except AssertionError as err:
                unclassified.append(str(err))
    assert not unclassified, "\n".join(unclassified)


@pytest.mark.parametrize("code", sorted(c for c in _registered() if c not in KNOWN))
def test_zh_message_has_no_english_machine_words_nor_iso_times(code: str) -> None:
    assert not _problems(CATALOGUE[code]), _problems(CATALOGUE[code])


@pytest.mark.parametrize("code", sorted(KNOWN))
def test_known_outstanding_reasons_are_still_outstanding(code: str) -> None:
    """When one of these is fixed, remove it from KNOWN (this test then fails)."""
    if code not in CATALOGUE:
        pytest.skip(f"{code} is no longer registered")
    assert _problems(CATALOGUE[code]), f"{code} is fixed: remove it from KNOWN"


def test_the_checks_catch_what_they_are_for(monkeypatch: pytest.MonkeyPatch) -> None:
    def entry(code: str, zh: str) -> ReasonCode:
        made = ReasonCode(code, zh=zh, en="-")
        monkeypatch.setitem(CATALOGUE, code, made)
        return made

    assert _problems(entry("groupbuy.demo_closed", "该团已{status}"))
    assert any("ISO" in p for p in _problems(entry("groupbuy.demo_late", "截止{deadline}")))
    assert any("ISO" in p for p in _problems(entry("signin.demo_day", "{day}已签到")))
    assert _problems(entry("stacking.demo_slot", "每单限用{limit}张{slot}券"))
    good = entry("groupbuy.demo_ok", "该团{status_zh}，截止{deadline_zh}，{amount}，{rate}")
    assert not _problems(good)
