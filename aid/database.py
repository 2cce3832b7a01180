"""Engine set-up: SQLite pragmas and write locking; PostgreSQL needs nothing special."""
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

_READING = ContextVar("aid_reading", default=False)


@contextmanager
def reading():
    """Transactions begun inside only read: on SQLite they begin deferred, so a long
    computation (the report snapshots) does not hold the write lock. The caller ends the
    transaction (commit/rollback) inside the block, before it writes."""
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, emit BEGIN (see _begin_immediate).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Writers take the write lock at BEGIN, so concurrent writers wait
        # (busy_timeout) instead of failing with "database is locked" when a
        # read transaction tries to upgrade. Safe-method requests only read
        # and begin deferred, so readers never queue behind writers (WAL).
        if _READING.get() or (has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")):
            conn.exec_driver_sql("BEGIN")
        elif not has_request_context() and has_app_context() and current_app.config.get("SQLITE_DEFERRED_OUTSIDE_REQUESTS"):
            # tests that read while a live server writes: a reader must not hold the lock
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def mostly_true(condition):
    """Tell SQLite's planner that `condition` holds for most rows (its `likely()`), so it
    drives the query from a more selective index instead of this condition's own; other
    databases get the plain condition (PostgreSQL's statistics already say so)."""
    from sqlalchemy import func

    from aid.extensions import db

    return func.likely(condition) if db.engine.dialect.name == "sqlite" else condition


BOUND_IDS = 900  # ids per IN list: under SQLite's old limit of 999 bound parameters


def id_groups(ids, size: int = BOUND_IDS) -> list:
    """What to put in `column.in_(…)`, statement by statement: a select of one id column as it is
    (one statement), or a list of ids (duplicates dropped) in chunks of bound parameters."""
    from sqlalchemy import Select

    if isinstance(ids, Select):
        return [ids]
    ids = list(dict.fromkeys(ids))
    return [ids[start:start + size] for start in range(0, len(ids), size)]
