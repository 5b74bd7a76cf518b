"""Friend assistance / task fission (助力 / 任务宝): invite N friends, win a prize.

A member starts a task; friends help it through a shared link; when
``helps_required`` valid helps have arrived the task completes and the
member is due the prize (a coupon template, a free item: the prize is a code
the host resolves), while prize stock lasts.

Start with `AssistPolicy`. A host decides each command on a `TaskSlice`
(the policy, the campaign's `AssistCounters`, the one `AssistTask` the
command names and its members' `AssistUsage`) and stores the result; tests
and notebooks can keep a whole campaign in one `AssistCampaign`. Commands
are `StartTask`, `HelpTask`, `AssistTick` (the host's delay queue, at the
deadline) and `PruneLog`. See ``docs/mechanics/bargain.md``.
"""

from sirui.campaigns.assist._campaign import AssistCampaign
from sirui.campaigns.assist._messages import (
    AssistCompleted,
    AssistHelped,
    AssistTick,
    HelpTask,
    PrizeDue,
    PrizeOutOfStock,
    StartTask,
    TaskExpired,
    TaskStarted,
)
from sirui.campaigns.assist._policy import AssistPolicy
from sirui.campaigns.assist._slice import (
    ASSIST_REASONS,
    ASSIST_TRANSITIONS,
    AssistCounters,
    AssistStatus,
    AssistTask,
    AssistUsage,
    TaskSlice,
)
from sirui.core.registry import renamed as _renamed

__all__ = [
    "ASSIST_REASONS",
    "ASSIST_TRANSITIONS",
    "AssistCampaign",
    "AssistCompleted",
    "AssistCounters",
    "AssistHelped",
    "AssistPolicy",
    "AssistStatus",
    "AssistTask",
    "AssistTick",
    "AssistUsage",
    "HelpTask",
    "PrizeDue",
    "PrizeOutOfStock",
    "StartTask",
    "TaskExpired",
    "TaskSlice",
    "TaskStarted",
]

#: Old names kept one release (see CHANGELOG); each warns and names the new one.
__getattr__ = _renamed(__name__, {"TaskCompleted": "AssistCompleted"})
