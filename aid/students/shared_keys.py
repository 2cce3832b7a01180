"""The keyed-hash values that two or more active students share (student_shared_keys).

The duplicate-ID and shared-card red flags (aid.supervision.flags) count from this small table
instead of grouping the whole register on every view. It lives in the students area because
every write of students starts here or in an area that depends on it; supervision only reads it.

Kept exact on every write path:
- ORM writes (forms, status changes, transfers, demo): a session hook collects the ID/card hashes
  of each inserted, deleted or changed student (old and new values; `active_history` on those
  columns loads the old one) before a flush and recomputes just those values after it;
- Core/bulk writes (`insert(Student)` in the importer and the bench data) call
  `refresh_shared_keys(kind, values)` for the values they wrote, or `rebuild_shared_keys()`
  after loading a whole register.

`flask --app app students rebuild-shared-keys` recomputes the table from scratch (a repair for a
write that bypassed both, e.g. SQL typed into a database shell).
"""
from __future__ import annotations

from itertools import chain

from sqlalchemy import case, delete, event, func, insert, inspect, literal, select
from sqlalchemy.orm import Session

from aid.extensions import db
from aid.students.models import Student, StudentSharedKey

ACTIVE_STATUSES = ("在籍", "休学")  # on a school's register now
KINDS = {"id": "id_number_hash", "card": "aid_card_hash"}
WATCHED = ("id_number_hash", "aid_card_hash", "status")
CHUNK = 500
_PENDING = "aid.students.shared_keys.pending"

_students = Student.__table__
_shared = StudentSharedKey.__table__


def _active_count(column):
    """How many active students hold each value: status is tested in the aggregate, not in WHERE,
    so every engine looks the values up in the hash index (SQLite would otherwise walk the
    status index for the two statuses that cover almost every student)."""
    return func.count(case((_students.c.status.in_(ACTIVE_STATUSES), 1)))


def refresh_shared_keys(kind: str, values, connection=None) -> None:
    """Recompute the given hash values of one kind ("id" or "card"): indexed look-ups only."""
    column = _students.c[KINDS[kind]]
    conn = connection if connection is not None else db.session.connection()
    wanted = sorted({v for v in values if v})
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        shared = set(conn.execute(select(column).where(column.in_(chunk)).group_by(column)
                                  .having(_active_count(column) > 1)).scalars())
        present = set(conn.execute(select(_shared.c.key_hash).where(
            _shared.c.kind == kind, _shared.c.key_hash.in_(chunk))).scalars())
        if present - shared:
            conn.execute(delete(_shared).where(_shared.c.kind == kind, _shared.c.key_hash.in_(sorted(present - shared))))
        if shared - present:
            conn.execute(_insert_ignoring_duplicates(conn), [{"kind": kind, "key_hash": v} for v in sorted(shared - present)])


def _insert_ignoring_duplicates(conn):
    # a concurrent transaction may have added the same value since we looked: nothing to do then
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        return pg_insert(_shared).on_conflict_do_nothing()
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        return sqlite_insert(_shared).on_conflict_do_nothing()
    return insert(_shared)


def rebuild_shared_keys(connection=None) -> dict[str, int]:
    """Recompute the whole table with one grouping per kind (after a bulk load, or as a repair)."""
    conn = connection if connection is not None else db.session.connection()
    conn.execute(delete(_shared))
    for kind, name in KINDS.items():
        column = _students.c[name]
        conn.execute(insert(_shared).from_select(
            ["kind", "key_hash"],
            select(literal(kind).label("kind"), column).where(column.is_not(None)).group_by(column)
            .having(_active_count(column) > 1)))
    return dict(conn.execute(select(_shared.c.kind, func.count()).group_by(_shared.c.kind)).all())


def shared_values(kind: str) -> set[str]:
    return set(db.session.execute(select(_shared.c.key_hash).where(_shared.c.kind == kind)).scalars())


# --- the ORM hook ---------------------------------------------------------------------------------

@event.listens_for(Session, "before_flush")
def _collect(session, _flush_context, _instances) -> None:
    pending = None
    for obj in chain(session.new, session.dirty, session.deleted):
        if not isinstance(obj, Student):
            continue
        state = inspect(obj)
        if state.persistent and obj not in session.deleted and not any(
                state.attrs[name].history.has_changes() for name in WATCHED):
            continue  # another column changed: the groups are not affected
        if pending is None:
            pending = session.info.setdefault(_PENDING, {kind: set() for kind in KINDS})
        for kind, name in KINDS.items():
            history = state.attrs[name].history
            pending[kind].update(v for v in chain(history.added, history.deleted, history.unchanged,
                                                  (getattr(obj, name),)) if v)


@event.listens_for(Session, "after_flush")
def _apply(session, _flush_context) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    conn = session.connection()
    for kind, values in pending.items():
        if values:
            refresh_shared_keys(kind, values, conn)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session, _previous_transaction) -> None:
    session.info.pop(_PENDING, None)
