from __future__ import annotations

from typing import Any

import pytest

from sirui.simulate import generate
from sirui.simulate.cli import builtin_scenario


@pytest.fixture(scope="session")
def tiny() -> dict[str, Any]:
    return generate("tiny", seed=7).frames()


@pytest.fixture(scope="session")
def baseline() -> Any:
    return builtin_scenario("baseline")


@pytest.fixture(scope="session")
def proposal() -> Any:
    return builtin_scenario("proposal")
