"""Storage: sirui states as codec JSON rows, compare-and-set writes, an outbox, stored answers.

Four tables (SQLAlchemy Core, the same DDL on SQLite and PostgreSQL):

``states``
    One row per state value: ``key`` (``wallet:m1``, ``seckill:bucket:<counter key>``,
    ``order:o-1``...), the value's wire ``type`` and ``schema`` version, a
    ``version`` counter for compare-and-set, the codec's JSON ``body`` and an
    optional ``due_us`` (when the delay queue must look at it again).
``outbox``
    The events of every committed command, one row per event, written in the
    command's transaction; ``(command_id, n)`` is unique, so a command's
    events can never be stored twice.
``commands``
    The idempotency keys: one row per accepted command id with a hash of the
    request and the original HTTP answer (status and body), written in the
    same transaction as the states it changed.
``meta``
    Small settings (the test clock).

A command runs in `Store.run`: it reads what it needs through a `Tx`,
decides with sirui, stages the new values with `Tx.put` and the events with
`Tx.emit`; on commit every staged row is written with ``UPDATE ... WHERE key
= :k AND version = :v`` (or an ``INSERT`` for a new key). Any lost race (a
version moved, a key inserted meanwhile, a deadlock, a busy database) rolls
the whole transaction back and the command is decided again on fresh rows.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from sirui.config import dumps_json, loads_json, schema_version, wire_name
from sirui.rules import event_to_dict

T = TypeVar("T")

metadata = sa.MetaData()
_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

states = sa.Table(
    "states",
    metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("type", sa.String(160), nullable=False),
    sa.Column("schema", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("due_us", sa.BigInteger, nullable=True),
    sa.Index("states_due", "due_us"),
)
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("seq", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("command_id", sa.String(200), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("stream", sa.String(400), nullable=False),
    sa.Column("event", sa.String(160), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("command_id", "n", name="outbox_command_event"),
)
commands = sa.Table(
    "commands",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
)
meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

MAX_ATTEMPTS = 60

# Statements built once (SQLAlchemy caches their compiled form; building them costs too).
_GET = sa.select(states.c.version, states.c.body).where(states.c.key == sa.bindparam("k"))
_GET_FOR_UPDATE = _GET.with_for_update()
_PEEK = sa.select(states.c.body).where(states.c.key == sa.bindparam("k"))
_INSERT = states.insert()
_SET: dict[str, Any] = {"version": sa.bindparam("nv"), "type": sa.bindparam("t"),
                        "schema": sa.bindparam("s"), "body": sa.bindparam("b")}
_UPDATE = (states.update()
           .where(states.c.key == sa.bindparam("k"), states.c.version == sa.bindparam("v"))
           .values(**_SET))
_UPDATE_DUE = _UPDATE.values(due_us=sa.bindparam("d"))
_COMMAND = sa.select(commands.c.request_hash, commands.c.status, commands.c.body).where(
    commands.c.id == sa.bindparam("k"))


class Conflict(Exception):
    """A compare-and-set lost a race: the command is decided again on fresh rows."""


class Busy(Exception):
    """A command kept losing races for `MAX_ATTEMPTS` attempts."""


class StoredAnswerMismatch(Exception):
    """A command id was used before for another request."""

    def __init__(self, command_id: str) -> None:
        super().__init__(command_id)
        self.command_id = command_id


@attrs.frozen
class Answer:
    """An HTTP answer: status and the JSON text of its body."""

    status: int
    body: str
    replayed: bool = False


class Refusal(Exception):
    """A decision that writes nothing: the transaction is rolled back, the answer is not stored."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.status)
        self.answer = answer


_UNCHANGED: Any = object()


def micros(at: Any) -> int:
    """A tz-aware datetime as integer microseconds since the epoch (what ``due_us`` holds)."""
    return int(at.timestamp() * 1_000_000)


class Tx:
    """The rows one command reads and the values and events it stages."""

    def __init__(self, conn: Connection, now_us: int) -> None:
        self.conn = conn
        self.now_us = now_us
        self._loaded: dict[str, tuple[int | None, Any]] = {}
        self._writes: dict[str, tuple[Any, Any]] = {}
        self._events: list[tuple[str, dict[str, Any]]] = []

    def get(self, key: str, cls: type[T], *, lock: bool = False) -> T | None:
        """The value stored under ``key`` (as staged by this command if it was), or None.

        ``lock=True`` reads a hot row (a stock bucket, a settlement shard, a campaign's
        counters) ``FOR UPDATE`` on PostgreSQL, so that contenders queue on the row
        instead of deciding on a stale copy and losing the compare-and-set; the write
        is a compare-and-set all the same. (SQLite's writers are serialised already.)
        """
        if key in self._writes:
            return self._writes[key][0]  # type: ignore[no-any-return]
        if key in self._loaded:
            return self._loaded[key][1]  # type: ignore[no-any-return]
        query = _GET_FOR_UPDATE if lock and self.conn.dialect.name != "sqlite" else _GET
        row = self.conn.execute(query, {"k": key}).first()
        if row is None:
            self._loaded[key] = (None, None)
            return None
        value: T = loads_json(row.body, cls)
        self._loaded[key] = (row.version, value)
        return value

    def put(self, key: str, value: Any, due: Any = _UNCHANGED) -> None:
        """Stage ``value`` under ``key``; ``due`` (a datetime or None) sets ``due_us``."""
        if key not in self._loaded and key not in self._writes:
            raise RuntimeError(f"put({key!r}) before get(): read a row before replacing it")
        if key in self._writes and due is _UNCHANGED:
            due = self._writes[key][1]
        self._writes[key] = (value, due)

    def peek(self, key: str, cls: type[T]) -> T | None:
        """A look at a row without taking it into the command (no lock, not cached)."""
        if key in self._writes or key in self._loaded:
            return self.get(key, cls)
        row = self.conn.execute(_PEEK, {"k": key}).first()
        return None if row is None else loads_json(row.body, cls)

    def scan(self, prefix: str, cls: type[T]) -> list[tuple[str, T]]:
        """Every row whose key starts with ``prefix`` (read-only use: nothing is cached)."""
        rows = self.conn.execute(
            sa.select(states.c.key, states.c.body).where(states.c.key.startswith(prefix))
            .order_by(states.c.key)).all()
        return [(r.key, loads_json(r.body, cls)) for r in rows]

    def emit(self, stream: str, events: Iterable[Any]) -> None:
        """Stage events (sirui event values) for the outbox."""
        for ev in events:
            self._events.append((stream, event_to_dict(ev)))

    @property
    def events(self) -> list[tuple[str, dict[str, Any]]]:
        return list(self._events)

    def flush(self, command_id: str) -> None:
        """Write the staged rows (compare-and-set) and the events; `Conflict` on a lost race."""
        for key in sorted(self._writes):
            value, due = self._writes[key]
            version, before = self._loaded.get(key, (None, None))
            if value is before and due is _UNCHANGED:
                continue
            body = dumps_json(value, indent=None)
            cls = type(value)
            due_us = None if due is _UNCHANGED or due is None else micros(due)
            if version is None:
                try:
                    self.conn.execute(_INSERT, {
                        "key": key, "type": wire_name(cls), "schema": schema_version(cls),
                        "version": 1, "body": body, "due_us": due_us})
                except IntegrityError as exc:
                    raise Conflict(key) from exc
            else:
                params = {"k": key, "v": version, "nv": version + 1, "t": wire_name(cls),
                          "s": schema_version(cls), "b": body, "d": due_us}
                stmt = _UPDATE if due is _UNCHANGED else _UPDATE_DUE
                done = self.conn.execute(stmt, params)
                if done.rowcount != 1:
                    raise Conflict(key)
        if self._events:
            self.conn.execute(outbox.insert(), [
                {"command_id": command_id, "n": n, "stream": stream,
                 "event": str(doc.get("event", "")),
                 "body": json.dumps(doc, ensure_ascii=False, sort_keys=True),
                 "created_us": self.now_us}
                for n, (stream, doc) in enumerate(self._events)
            ])


def request_hash(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8") if isinstance(p, str) else p)
        h.update(b"\x00")
    return h.hexdigest()


def make_engine(url: str, pool_size: int = 16) -> Engine:
    """An engine for ``url``: SQLite in WAL mode with a busy timeout, or PostgreSQL."""
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        engine = sa.create_engine(
            u,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
        )

        @sa_event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _rec: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit BEGIN comes too late).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @sa_event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # Writers take the write lock up front: no lock upgrade, no SQLITE_BUSY_SNAPSHOT.
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return sa.create_engine(u, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


class Store:
    """The database: schema, the command runner and a few reads."""

    def __init__(self, url: str, pool_size: int = 16) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size)
        self.sqlite = self.engine.dialect.name == "sqlite"
        self.conflicts = 0
        self.commands_run = 0
        # SQLite has one writer at a time: queue this process's writers on a lock rather
        # than in SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._write_lock = threading.Lock()

    def create_schema(self) -> None:
        metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _connect(self, write: bool) -> Iterator[Connection]:
        if self.sqlite and write:
            with self._write_lock, self.engine.connect() as conn:
                yield conn.execution_options(sqlite_begin="IMMEDIATE")
        else:
            with self.engine.connect() as conn:
                yield conn

    def read(self, fn: Callable[[Tx], T], now_us: int) -> T:
        """Run ``fn`` on a read-only transaction."""
        with self._connect(write=False) as conn, conn.begin():
            return fn(Tx(conn, now_us))

    def run(
        self,
        command_id: str | None,
        req_hash: str,
        fn: Callable[[Tx], Answer],
        now_us: Callable[[], int],
    ) -> Answer:
        """Decide and commit one command, idempotently by ``command_id``.

        An id already stored answers its original answer (same request) or
        raises `StoredAnswerMismatch` (another request); a `Refusal` writes
        nothing and is not stored; an accepted answer (2xx) is stored with the
        rows and the events, all in one transaction. Lost races are retried
        with a short random backoff.
        """
        self.commands_run += 1
        for attempt in range(MAX_ATTEMPTS):
            try:
                with self._connect(write=True) as conn, conn.begin():
                    if command_id is not None:
                        stored = conn.execute(_COMMAND, {"k": command_id}).first()
                        if stored is not None:
                            if stored.request_hash != req_hash:
                                raise StoredAnswerMismatch(command_id)
                            return Answer(stored.status, stored.body, replayed=True)
                    tx = Tx(conn, now_us())
                    try:
                        answer = fn(tx)
                    except Refusal as refused:
                        conn.rollback()
                        return refused.answer
                    if answer.status >= 300:
                        conn.rollback()
                        return answer
                    tx.flush(command_id or f"anon:{random.getrandbits(64):016x}")
                    if command_id is not None:
                        try:
                            conn.execute(commands.insert().values(
                                id=command_id, request_hash=req_hash, status=answer.status,
                                body=answer.body, created_us=tx.now_us,
                            ))
                        except IntegrityError as exc:
                            raise Conflict(f"command {command_id}") from exc
                    return answer
            except (Conflict, IntegrityError, OperationalError) as exc:
                if isinstance(exc, OperationalError) and not _retryable(exc):
                    raise
                self.conflicts += 1
            except DBAPIError as exc:
                if not _retryable(exc):
                    raise
                self.conflicts += 1
            time.sleep(random.uniform(0, min(0.002 * (2 ** min(attempt, 8)), 0.2)))
        raise Busy(command_id or "")

    # -- small reads and writes ----------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).first()
            return None if row is None else str(row.value)

    def set_meta(self, key: str, value: str) -> None:
        with self._connect(write=True) as conn, conn.begin():
            done = conn.execute(meta.update().where(meta.c.key == key).values(value=value))
            if done.rowcount == 0:
                conn.execute(meta.insert().values(key=key, value=value))

    def due_keys(self, prefix: str, now_us: int, limit: int = 500) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(states.c.key)
                .where(states.c.due_us <= now_us, states.c.key.startswith(prefix))
                .order_by(states.c.due_us)
                .limit(limit)
            ).all()
            return [r.key for r in rows]

    def keys(self, prefix: str) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(states.c.key).where(states.c.key.startswith(prefix))
                .order_by(states.c.key)
            ).all()
            return [r.key for r in rows]


_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


def _retryable(exc: DBAPIError) -> bool:
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None)
    if state in _RETRYABLE_SQLSTATES:
        return True
    text = str(orig or exc).lower()
    return "database is locked" in text or "deadlock" in text or "busy" in text
