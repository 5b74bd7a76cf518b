"""Every state machine keeps the one contract (DESIGN.md principle 3).

The machines are enumerated from the package, not listed by hand: a class
with a ``handle`` method that no ``machine_cases.py`` covers fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Any

import pytest

import sirui
from contract import MachineCase, reload
from sirui.core.errors import IdConflictError, SiruiError
from sirui.rules import Accepted, PruneLog, Rejected

_SKIP_PACKAGES = ("sirui.simulate", "sirui.testing", "sirui.cli", "sirui._demo", "sirui.__main__",
                  "sirui.money", "sirui.errors")  # the last two: deprecated shortcuts
# every tests/machine_cases_*.py module contributes its CASES
_CASE_MODULES = tuple(
    sorted(p.stem for p in Path(__file__).parent.glob("machine_cases_*.py"))
)


def _machines() -> set[type[Any]]:
    found: set[type[Any]] = set()
    for info in pkgutil.walk_packages(sirui.__path__, "sirui."):
        if info.name.startswith(_SKIP_PACKAGES):
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__.startswith("sirui.") and callable(getattr(cls, "handle", None)):
                found.add(cls)
    return found


def _cases() -> list[MachineCase]:
    out: list[MachineCase] = []
    for name in _CASE_MODULES:
        out += importlib.import_module(name).CASES
    return out


CASES = _cases()


def test_every_machine_has_a_case() -> None:
    covered = {c.machine for c in CASES}
    missing = sorted(f"{m.__module__}.{m.__qualname__}" for m in _machines() - covered)
    assert not missing, f"machines without a MachineCase: {missing}"


def test_every_case_is_a_machine() -> None:
    assert {c.machine for c in CASES} <= _machines()


@pytest.fixture(params=CASES, ids=lambda c: c.name)
def case(request: pytest.FixtureRequest) -> MachineCase:
    return request.param  # type: ignore[no-any-return]


def test_handle_takes_now_by_keyword_only(case: MachineCase) -> None:
    params = inspect.signature(case.machine.handle).parameters
    assert "now" in params
    assert params["now"].kind is inspect.Parameter.KEYWORD_ONLY


def test_accept_changes_state_with_events(case: MachineCase) -> None:
    out = case.run(case.state, case.accept)
    assert isinstance(out, Accepted), out
    assert out.events, "an accepted command reports what happened"


def test_state_survives_save_and_reload(case: MachineCase) -> None:
    assert reload(case.state) == case.state
    out = case.run(case.state, case.accept)
    assert reload(out.state) == out.state


def test_replay_after_reload_gives_the_original_outcome(case: MachineCase) -> None:
    first = case.run(case.state, case.accept)
    stored = reload(first.state)
    again = case.run(stored, case.accept)
    assert isinstance(again, Accepted)
    assert again.events == first.events
    assert again.state == stored, "a replay changes nothing"


def test_same_id_other_content_raises(case: MachineCase) -> None:
    first = case.run(case.state, case.accept)
    assert case.conflict != case.accept
    with pytest.raises(IdConflictError):
        case.run(reload(first.state), case.conflict)


def test_rejection_returns_the_identical_state(case: MachineCase) -> None:
    if case.reject is None:
        pytest.skip("no business refusal reachable from this state")
    out = case.run(case.state, case.reject)
    assert isinstance(out, Rejected), out
    assert out.state is case.state
    assert not out.events
    again = case.run(case.state, case.reject)
    assert isinstance(again, Rejected), "a rejected id is not recorded; a retry is decided afresh"


def test_the_table_decides(case: MachineCase) -> None:
    if case.illegal is None:
        pytest.skip("every command type is legal in this state")
    out = case.run(case.state, case.illegal)
    assert isinstance(out, Rejected), out
    assert out.state is case.state


def test_prune_forgets_old_ids(case: MachineCase) -> None:
    first = case.run(case.state, case.accept)
    later = case.now.add(days=400)
    pruned = case.run(first.state, PruneLog("prune-1"), later)
    assert isinstance(pruned, Accepted), pruned
    stored = reload(pruned.state)
    # the old id is forgotten: the conflicting content is decided afresh
    try:
        case.run(stored, case.conflict, later)
    except IdConflictError:
        pytest.fail("a pruned id still conflicts")
    except SiruiError:
        pass  # decided afresh; misuse at that later time is the machine's own business
