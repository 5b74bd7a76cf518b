"""Example counts relative to the active Hypothesis profile, never fixed.

A test that needs fewer examples than the profile (a slow simulation) asks
for a share of it: ``scaled(6)`` is 6 under the ``ci`` profile (60) and 100
under ``thorough`` (1,000), so a thorough run is thorough everywhere.
"""

from __future__ import annotations

from hypothesis import settings

CI_EXAMPLES = 60


def scaled(at_ci: int) -> int:
    """``at_ci`` examples under the ``ci`` profile, scaled to the active one."""
    if type(at_ci) is not int or at_ci < 1:
        raise TypeError(f"scaled({at_ci!r}): give the count under the ci profile, an int >= 1")
    return max(1, settings().max_examples * at_ci // CI_EXAMPLES)
