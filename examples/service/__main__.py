"""Start the reference service: ``python -m examples.service --port 8000`` (from the repo root).

Creates the schema if it is missing, loads the operator's policies (the
built-in sample chain by default) and serves HTTP with one uvicorn worker.
``--database-url`` (or ``DATABASE_URL``) picks the database: an SQLite file
by default (WAL mode, busy timeout), PostgreSQL when the URL names one
(``postgresql+psycopg://user:pass@host/db``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m examples.service", description=__doc__.split(
        "\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--policies", default=None,
                   help="operator's policies (TOML); default examples/service/policies.toml")
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                   help="SQLAlchemy URL; default $DATABASE_URL or sqlite:///sirui-service.db")
    p.add_argument("--clock", default=None,
                   help="a test clock that starts at this ISO time and stands still until "
                        "POST /admin/clock moves it (e.g. 2026-11-11T10:00:00+08:00)")
    p.add_argument("--sweep-seconds", type=float, default=1.0,
                   help="how often unpaid orders past their pay-by are expired (0: never)")
    p.add_argument("--pool-size", type=int, default=16)
    p.add_argument("--log-level", default="warning")
    args = p.parse_args(argv)

    import uvicorn
    from examples.service.app import Clock, asgi
    from examples.service.policies import load_policies
    from examples.service.store import Store

    from sirui.core import ConfigError

    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        policies = load_policies(args.policies)
    except ConfigError as exc:
        print(f"{args.policies or 'policies'}: {exc}", file=sys.stderr)
        return 2
    url = args.database_url or "sqlite:///sirui-service.db"
    store = Store(url, pool_size=args.pool_size)
    store.create_schema()
    clock = Clock(store, policies.tz, args.clock)
    app = asgi(store, policies, clock, args.sweep_seconds)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                access_log=False, timeout_graceful_shutdown=5, timeout_keep_alive=30,
                backlog=4096)
    return 0


if __name__ == "__main__":
    sys.exit(main())
