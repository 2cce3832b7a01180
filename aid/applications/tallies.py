"""Application counts per school, semester, programme, level and state, read from the tallies
that database triggers keep (migration 0017) instead of counting applications: the approval
queue's tabs and the waiting-work badges (home panel, navigation).

The triggers cover every write path (ORM, workflow steps, bulk inserts, restores); these
functions read them, fold PostgreSQL's appended +1/-1 rows (`compact`) and rebuild them from
the applications table (`rebuild`, the repair path; `check` says whether they agree).
"""
from __future__ import annotations

from sqlalchemy import func, select, text

from aid.applications.models import Application, ApplicationTally
from aid.extensions import db
from aid.scoping import scope

KEY = ("school_id", "semester", "programme_id", "level", "state")
_KEY_SQL = ", ".join(KEY)


def counts(user, by: tuple[str, ...], *, semesters: list[str] | None = None, states: list[str] | None = None,
           school_id: int = 0, programme_id: int = 0, level: str = "") -> dict[tuple, int]:
    """{(*by values): applications} in the user's jurisdiction, e.g. by=("semester", "state");
    each filter left empty means any."""
    columns = [getattr(ApplicationTally, name) for name in by]
    total = func.sum(ApplicationTally.n)
    stmt = select(*columns, total).group_by(*columns).having(total != 0)
    if semesters is not None:
        stmt = stmt.where(ApplicationTally.semester.in_(semesters) if len(semesters) != 1
                          else ApplicationTally.semester == semesters[0])
    if states is not None:
        stmt = stmt.where(ApplicationTally.state.in_(states))
    if school_id:
        stmt = stmt.where(ApplicationTally.school_id == school_id)
    if programme_id:
        stmt = stmt.where(ApplicationTally.programme_id == programme_id)
    if level:
        stmt = stmt.where(ApplicationTally.level == level)
    return {tuple(row[:-1]): int(row[-1]) for row in db.session.execute(scope(stmt, ApplicationTally, user))}


def _live_counts() -> dict[tuple, int]:
    columns = [getattr(Application, name) for name in KEY]
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(select(*columns, func.count()).group_by(*columns))}


def _tally_counts() -> dict[tuple, int]:
    columns = [getattr(ApplicationTally, name) for name in KEY]
    total = func.sum(ApplicationTally.n)
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(
        select(*columns, total).group_by(*columns).having(total != 0))}


def check() -> list[tuple]:
    """Keys whose tally differs from the applications table: [(key, tally, actual)]; [] when exact."""
    live, tallies = _live_counts(), _tally_counts()
    return [(key, tallies.get(key, 0), live.get(key, 0)) for key in sorted(set(live) | set(tallies), key=str)
            if tallies.get(key, 0) != live.get(key, 0)]


def compact() -> int:
    """Fold the tallies into one row per key; returns the rows left. Safe while the app
    writes: on PostgreSQL the rows folded are exactly those deleted (rows appended by
    transactions still running survive); SQLite has one writer at a time anyway."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(
            f"WITH moved AS (DELETE FROM application_tallies RETURNING {_KEY_SQL}, n) "
            f"INSERT INTO application_tallies ({_KEY_SQL}, n) SELECT {_KEY_SQL}, sum(n) FROM moved "
            f"GROUP BY {_KEY_SQL} HAVING sum(n) != 0"))
    else:
        folded = _tally_counts()
        db.session.execute(ApplicationTally.__table__.delete())
        _insert(folded)
    return db.session.scalar(select(func.count()).select_from(ApplicationTally))


def rebuild() -> int:
    """Recount from the applications table (the repair path); returns the rows written."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE applications IN SHARE MODE"))  # no application write meanwhile
    db.session.execute(ApplicationTally.__table__.delete())
    live = _live_counts()
    _insert(live)
    return len(live)


def _insert(rows: dict[tuple, int]) -> None:
    if rows:
        db.session.execute(ApplicationTally.__table__.insert(),
                           [dict(zip(KEY, key), n=n) for key, n in rows.items() if n])
