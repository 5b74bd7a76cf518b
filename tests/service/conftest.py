"""Fixtures: fresh databases (SQLite always, PostgreSQL when configured) and servers on them.

``db`` is a fresh database per test module and kind, for the tests that
need their own server (their own policies, or a SIGKILL). ``shared`` is one
server with the default policies per kind and pytest-xdist worker, on its
own database, for the tests that only need distinct member and order ids
(each server start costs seconds of imports and cattrs hook generation).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

for _module in ("fastapi", "uvicorn", "sqlalchemy", "httpx"):
    pytest.importorskip(_module, reason="the service extra is not installed")

from service._harness import Database, Server  # noqa: E402


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        Database]:
    database = Database(request.param, tmp_path_factory.mktemp(request.param))
    try:
        yield database
    finally:
        database.close()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def shared(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"shared-{request.param}")
    database = Database(request.param, tmp)
    srv = Server(database, tmp)
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()
        database.close()
