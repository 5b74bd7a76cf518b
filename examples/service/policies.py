"""The operator's policies: one TOML file, loaded through sirui's codec.

`ServicePolicies` is a host class like any other value: `sirui.config.load`
builds it from the file's tables (every problem reported with its path) and
`sirui.config.json_schema(ServicePolicies)` describes the file for an admin
UI. ``chain`` is a ``scenario.bundle`` (promotions, coupon templates,
triggers, shipping, tier ladder, benefits, points, commission) or the text
``"builtin:baseline"`` (the sample chain's rules shipped with sirui);
``catalogue`` defaults to the sample chain's 20 SKUs.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from sirui.campaigns.bargain import BargainPolicy
from sirui.campaigns.groupbuy import GroupBuyPolicy
from sirui.campaigns.lottery import LotteryCampaign
from sirui.campaigns.seckill import SeckillCampaign
from sirui.commission import SettlementPolicy
from sirui.config import dump, load, loads_toml
from sirui.core import ConfigError, Money, Sku
from sirui.loyalty.points import DeductionPolicy, LedgerPolicy
from sirui.simulate import Scenario

DEFAULT_FILE = Path(__file__).with_name("policies.toml")


@attrs.frozen
class ServicePolicies:
    """Everything the service decides with (the file ``--policies`` names)."""

    chain: Scenario
    catalogue: tuple[Sku, ...]
    deduction: DeductionPolicy | None = None
    """Points as cash at checkout (积分抵现); None: points are not spent at checkout."""
    ledger: LedgerPolicy = attrs.field(factory=LedgerPolicy)
    settlement: SettlementPolicy = attrs.field(factory=SettlementPolicy)
    seckill: tuple[SeckillCampaign, ...] = ()
    groupbuy: tuple[GroupBuyPolicy, ...] = ()
    bargain: tuple[BargainPolicy, ...] = ()
    lottery: tuple[LotteryCampaign, ...] = ()
    payment_timeout_minutes: int = 30
    """How long an ordinary order waits for payment (activities may set shorter)."""
    tz: str = "Asia/Shanghai"

    def sku(self, sku_id: str) -> Sku | None:
        return _catalogue_index(self).get(sku_id)

    def seckill_campaign(self, campaign_id: str) -> SeckillCampaign | None:
        return next((c for c in self.seckill if c.id == campaign_id), None)

    def groupbuy_policy(self, campaign_id: str) -> GroupBuyPolicy | None:
        return next((c for c in self.groupbuy if c.id == campaign_id), None)

    def bargain_policy(self, campaign_id: str) -> BargainPolicy | None:
        return next((c for c in self.bargain if c.id == campaign_id), None)

    def lottery_campaign(self, campaign_id: str) -> LotteryCampaign | None:
        return next((c for c in self.lottery if c.id == campaign_id), None)

    def template(self, template_id: str) -> Any:
        return next((t for t in self.chain.coupons if t.id == template_id), None)


_INDEX: dict[int, dict[str, Sku]] = {}


def _catalogue_index(p: ServicePolicies) -> dict[str, Sku]:
    idx = _INDEX.get(id(p))
    if idx is None:
        idx = _INDEX[id(p)] = {s.id: s for s in p.catalogue}
    return idx


def builtin_chain(name: str) -> Scenario:
    """A scenario shipped with sirui (``baseline``, ``proposal``, ``simplified``)."""
    text = resources.files("sirui.simulate").joinpath(f"scenarios/{name}.toml").read_text("utf-8")
    chain = loads_toml(text)
    assert isinstance(chain, Scenario)
    return chain


def sample_catalogue() -> tuple[Sku, ...]:
    """The sample chain's SKUs (`sirui.simulate.sample.CATALOGUE`)."""
    from sirui.simulate.sample import CATALOGUE

    return tuple(
        Sku(sku, Money(price), spu=spu, category=cat, cost=Money(cost), name=name,
            tags=frozenset(t for t in [tags] if t))
        for sku, spu, name, cat, price, cost, tags in CATALOGUE
    )


def load_policies(path: str | Path | None = None) -> ServicePolicies:
    """Read the operator's TOML (the default file without a path); raise `ConfigError`."""
    path = Path(path) if path is not None else DEFAULT_FILE
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([(str(path), str(exc))]) from None
    chain = doc.get("chain", "builtin:baseline")
    if isinstance(chain, str):
        if chain.startswith("builtin:"):
            doc["chain"] = dump(builtin_chain(chain.split(":", 1)[1]))
        else:
            ref = (path.parent / chain).read_text("utf-8")
            doc["chain"] = dump(loads_toml(ref))
    if "catalogue" not in doc:
        doc["catalogue"] = [dump(s) for s in sample_catalogue()]
    return load(doc, ServicePolicies)
