"""progress=True shows a tqdm.auto bar on every engine: per stage (columnar), per partition."""

from __future__ import annotations

from typing import Any

import pytest

from sirui.simulate import simulate
from sirui.simulate.cli import builtin_scenario


class _FakeBar:
    """Stands in for ``tqdm.auto.tqdm``: records what the engine asked of its bar."""

    made: list[_FakeBar] = []  # noqa: RUF012

    def __init__(self, iterable: Any = None, **kw: Any) -> None:
        self.iterable, self.kw = iterable, kw
        self.n, self.postfix, self.closed = 0, [], False
        _FakeBar.made.append(self)

    def __iter__(self) -> Any:
        for item in self.iterable:
            self.n += 1
            yield item

    def __enter__(self) -> _FakeBar:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix_str(self, text: str) -> None:
        self.postfix.append(text)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> list[_FakeBar]:
    import tqdm.auto

    _FakeBar.made = []
    monkeypatch.setattr(tqdm.auto, "tqdm", _FakeBar)
    return _FakeBar.made


def test_columnar_engine_advances_a_bar_per_stage(
    tiny: dict[str, Any], bars: list[_FakeBar]
) -> None:
    scenario = builtin_scenario("simplified")
    result = simulate(tiny["orders"], tiny["members"], scenario, progress=True, engine="columnar")
    assert result.engine == "columnar"
    [bar] = bars
    assert bar.kw["total"] == 2 and bar.kw["unit"] == "stage" and bar.kw["desc"] == scenario.name
    assert bar.n == 2 and bar.closed
    assert bar.postfix == ["check input", "price"]


def test_no_bar_without_progress(tiny: dict[str, Any], bars: list[_FakeBar]) -> None:
    simulate(tiny["orders"], tiny["members"], builtin_scenario("simplified"), engine="columnar")
    assert bars == []


def test_columnar_bar_is_written_to_stderr(
    tiny: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = builtin_scenario("simplified")
    simulate(tiny["orders"], tiny["members"], scenario, progress=True, engine="columnar")
    err = capsys.readouterr().err
    assert f"{scenario.name}:" in err and "2/2" in err and "stage" in err


def test_dask_bar_counts_partitions(tiny: dict[str, Any], bars: list[_FakeBar]) -> None:
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    scenario = builtin_scenario("simplified")
    single = simulate(tiny["orders"], tiny["members"], scenario)
    with dask.config.set(scheduler="synchronous"):
        spread = simulate(
            dd.from_pandas(tiny["orders"], npartitions=3), tiny["members"], scenario, progress=True
        )
    assert spread.orders.equals(single.orders)
    [bar] = bars
    assert bar.kw["total"] == 3 and bar.kw["unit"] == "partition"
    assert bar.n == 3 and bar.closed
