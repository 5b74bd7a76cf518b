"""Fixtures: a fresh database per module and kind (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

for _module in ("fastapi", "uvicorn", "sqlalchemy", "httpx"):
    pytest.importorskip(_module, reason="the service extra is not installed")

from service._harness import Database  # noqa: E402


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        Database]:
    database = Database(request.param, tmp_path_factory.mktemp(request.param))
    try:
        yield database
    finally:
        database.close()
