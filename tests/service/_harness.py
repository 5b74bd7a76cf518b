"""Run the reference service (examples/service) as a real process on 127.0.0.1 for the tests.

Each test module gets fresh databases: an SQLite file in a temporary
directory, and a PostgreSQL database ``sirui_test_<random>`` created on the
server that ``SIRUI_TEST_POSTGRES_URL`` names (dropped afterwards). In CI
(``CI=true``) a missing or unreachable PostgreSQL fails the tests; elsewhere
a missing URL skips them with the reason.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[2]
CLOCK = "2026-11-11T10:00:00+08:00"
PG_ENV = "SIRUI_TEST_POSTGRES_URL"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_admin_url() -> str:
    """The PostgreSQL URL to create test databases on, or skip/fail as the environment says."""
    url = os.environ.get(PG_ENV)
    in_ci = os.environ.get("CI") == "true"
    if not url:
        if in_ci:
            pytest.fail(f"{PG_ENV} is not set: CI must run the service tests on PostgreSQL")
        pytest.skip(f"{PG_ENV} is not set: the service tests run on SQLite only here "
                    "(set it to a superuser URL, e.g. postgresql+psycopg://u:p@127.0.0.1/postgres)")
    try:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        pytest.fail(f"{PG_ENV}={shown} is unreachable: {type(exc).__name__}: {exc}")
    return url


class Database:
    """One fresh database for a test module: its URL, a dump of its tables, and cleanup."""

    def __init__(self, kind: str, tmp: Path) -> None:
        self.kind = kind
        self._admin: str | None = None
        self._name: str | None = None
        if kind == "sqlite":
            self.url = f"sqlite:///{tmp / 'service.db'}"
        else:
            self._admin = postgres_admin_url()
            self._name = f"sirui_test_{secrets.token_hex(6)}"
            engine = sa.create_engine(self._admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self._name}"'))
            engine.dispose()
            self.url = sa.engine.make_url(self._admin).set(database=self._name).render_as_string(
                hide_password=False)
        self.engine = sa.create_engine(self.url)

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params).all())

    def states(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Stored state documents whose key starts with ``prefix``, as plain JSON."""
        return {r.key: json.loads(r.body) for r in self.rows(
            "SELECT key, body FROM states WHERE key LIKE :p ORDER BY key", p=prefix + "%")}

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in key order: compare two dumps to see any write."""
        out = {}
        for table, key in (("states", "key"), ("outbox", "seq"), ("commands", "id"),
                           ("meta", "key")):
            out[table] = [tuple(r) for r in self.rows(f"SELECT * FROM {table} ORDER BY {key}")]
        return out

    def close(self) -> None:
        self.engine.dispose()
        if self._admin is not None and self._name is not None:
            engine = sa.create_engine(self._admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)'))
            engine.dispose()


class Server:
    """``python -m examples.service`` on a free port, with the test clock, as a subprocess."""

    def __init__(self, db: Database, tmp: Path, policies: Path | None = None) -> None:
        self.db = db
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.policies = policies
        self.log = tmp / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [sys.executable, "-m", "examples.service", "--host", "127.0.0.1",
                "--port", str(self.port), "--database-url", self.db.url, "--clock", CLOCK,
                "--sweep-seconds", "0", "--log-level", "warning"]
        if self.policies is not None:
            args += ["--policies", str(self.policies)]
        out = self.log.open("ab")
        self.proc = subprocess.Popen(args, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.base + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what was committed must be all there is."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=30)


def cart(member: str, *lines: tuple[str, int], store: str = "S01") -> dict[str, Any]:
    """A cart document as a client sends it (prices are the server's catalogue's)."""
    return {"member": {"id": member}, "store": store, "lines": [
        {"id": f"L{i}", "sku": {"id": sku, "price": "0.01"}, "quantity": qty}
        for i, (sku, qty) in enumerate(lines, 1)]}


def problem_ok(resp: httpx.Response) -> dict[str, Any]:
    """A 4xx answer is a Problem with a code and messages in both languages."""
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:500])
    body = resp.json()
    assert body["type"] == "examples.service.models.Problem", body
    assert body["status"] == resp.status_code
    assert body["code"] and body["zh"] and body["en"], body
    return body  # type: ignore[no-any-return]
