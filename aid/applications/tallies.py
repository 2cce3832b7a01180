"""Application counts per school, semester, programme, level and state, read from the tallies
that database triggers keep (migration 0017) instead of counting applications: the approval
queue's tabs and the waiting-work badges (home panel, navigation).

The triggers cover every write path (ORM, workflow steps, bulk inserts, restores); these
functions read them, fold PostgreSQL's appended +1/-1 rows (`compact`) and rebuild them from
the applications table (`rebuild`, the repair path; `check` says whether they agree).
"""
from __future__ import annotations

from sqlalchemy import func, select

from aid.applications.models import Application, ApplicationTally
from aid.extensions import db
from aid.scoping import scope
from aid.tallies import TriggerTally

KEY = ("school_id", "semester", "programme_id", "level", "state")


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


_UPKEEP = TriggerTally(Application, ApplicationTally, KEY)
check, compact, rebuild = _UPKEEP.check, _UPKEEP.compact, _UPKEEP.rebuild
