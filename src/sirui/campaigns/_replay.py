"""Log retention shared by the social campaigns' whole-campaign stores (private).

Group-buy groups, bargains and assistance tasks each keep the commands they
accepted in their own `CommandLog` (idempotency per entity; see
`sirui.rules.commandlog`), so a slice prunes the one log it holds. The
in-memory stores (`GroupBuyCampaign`, `BargainCampaign`, `AssistCampaign`)
answer `PruneLog` for every entity at once; that sweep lives here once.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, Self, TypeVar

from sirui.core.persistent import PMap
from sirui.core.windows import DateTime
from sirui.rules import CommandLog, LogPruned, PruneLog

__all__ = ["prune_all"]


class _Logged(Protocol):
    @property
    def log(self) -> CommandLog: ...

    def with_log(self, log: CommandLog) -> Self: ...


E = TypeVar("E", bound=_Logged)


def prune_all(
    log: CommandLog, entities: PMap[str, E], command: PruneLog, now: DateTime,
    retention_days: int,
) -> tuple[CommandLog, PMap[str, E], tuple[LogPruned]]:
    """Apply ``command`` to a store: its own ``log`` and every entity's, pruned.

    ``retention_days`` is the policy's; the command may override it. Returns
    the store's log with the prune recorded, the entities with pruned logs,
    and one `LogPruned` counting every id forgotten. Visits every entity: a
    maintenance command, not one for the hot path.
    """
    days = retention_days if command.retention_days is None else command.retention_days
    before = now - dt.timedelta(days=days)
    kept, removed = log.pruned(before)
    out = entities
    for key, entity in entities.items():
        pruned, gone = entity.log.pruned(before)
        if gone:
            out = out.set(key, entity.with_log(pruned))
            removed += gone
    events = (LogPruned(before, removed),)
    return kept.record(command, events, now), out, events
