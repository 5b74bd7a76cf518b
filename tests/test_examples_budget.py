"""The example budget: counts follow the active Hypothesis profile, and misuse is refused."""

from __future__ import annotations

import pytest
from hypothesis import settings

from examples_budget import CI_EXAMPLES, scaled


def test_a_share_of_the_ci_count_scales_with_the_profile() -> None:
    full = settings().max_examples
    assert scaled(CI_EXAMPLES) == full
    assert scaled(6) == max(1, full * 6 // CI_EXAMPLES)


@pytest.mark.parametrize("bad", [0.5, 1.0, 0, -3, True])
def test_a_fraction_or_a_non_count_is_refused(bad: object) -> None:
    """``scaled(0.5)`` once meant one example under every profile; it is an error now."""
    with pytest.raises(TypeError, match="an int >= 1"):
        scaled(bad)  # type: ignore[arg-type]
