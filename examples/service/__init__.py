"""The reference host: sirui behind a real HTTP service and a real database.

``python -m examples.service --port 8000`` from the repository root (needs
the ``service`` extra). See ``docs/guides/service.md``: the endpoints, the
storage design (states as codec JSON with a version column, compare-and-set
writes, an outbox, idempotency keys), seckill stock sharded over bucket rows,
and how the tests run it against SQLite and PostgreSQL under concurrency and
a SIGKILL.
"""
