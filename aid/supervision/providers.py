"""Data from areas built in parallel (status changes, funds), looked up by name.

Each function returns None when the other area's module or one of the fields
assumed here is missing; callers then show `UNAVAILABLE` instead of a figure.
Assumed contracts (the lead wires them on merge):

- aid.changes.models.StatusChange: school_id, student_id, kind (code, e.g.
  "suspend"; labels in CHANGE_KINDS), happened_on, deadline (stored when
  recorded), school_processed_on (the leader's approval date), state.
- aid.funds.models.Allocation: school_id, programme_id, semester, amount_fen.
- aid.funds.models.PaymentLine: school_id, student_id, programme_id, batch_id,
  amount_fen, status ("paid" when the bank confirmed it), paid_at.
- aid.funds.models.PaymentBatch: id, school_id, programme_id, semester.
Payments are due within PAYMENT_DUE_DAYS of the semester's first day.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, false, func, or_, select, true

from aid import area_module
from aid.extensions import db
from aid.scoping import scope

UNAVAILABLE = "数据来源尚未启用"
IGNORED_CHANGE_STATES = ("new", "cancelled", "declined")

CHANGE_FIELDS = ("school_id", "student_id", "kind", "happened_on", "deadline", "school_processed_on", "state")
ALLOCATION_FIELDS = ("school_id", "programme_id", "semester", "amount_fen")
LINE_FIELDS = ("school_id", "student_id", "programme_id", "batch_id", "amount_fen", "status", "paid_at")
BATCH_FIELDS = ("id", "school_id", "programme_id", "semester")
# A grant is paid on time when the bank confirms it within this many days of the
# semester's first day (资助资金应及时发放; the province may tighten it).
PAYMENT_DUE_DAYS = 90


def _model(area: str, name: str, fields: tuple[str, ...]):
    try:
        module = area_module(area, "models")
    except ImportError:
        return None
    model = getattr(module, name, None) if module is not None else None
    if model is None or any(not hasattr(model, f) for f in fields):
        return None
    return model


def status_change_model():
    return _model("changes", "StatusChange", CHANGE_FIELDS)


def allocation_model():
    return _model("funds", "Allocation", ALLOCATION_FIELDS)


def payment_models():
    line = _model("funds", "PaymentLine", LINE_FIELDS)
    batch = _model("funds", "PaymentBatch", BATCH_FIELDS)
    return (line, batch) if line is not None and batch is not None else None


def overdue_change_clause(change, today: date):
    """Processed after the deadline, or still unprocessed past it."""
    return and_(change.state.not_in(IGNORED_CHANGE_STATES),
                or_(and_(change.school_processed_on.is_(None), change.deadline < today),
                    change.school_processed_on > change.deadline))


def overdue_changes_select(user, today: date):
    change = status_change_model()
    if change is None:
        return None
    return scope(select(change).where(overdue_change_clause(change, today)), change, user)


def suspension_start_subquery():
    """(student_id, started) of each student's latest 休学 change, or None."""
    change = status_change_model()
    if change is None:
        return None
    return (select(change.student_id.label("student_id"), func.max(change.happened_on).label("started"))
            .where(change.kind == "suspend", change.state == "approved")
            .group_by(change.student_id).subquery())


def _change_counts_select(school_ids_stmt, start: date, end: date, today: date, *group: str):
    """(*group columns, total, on time, late, open and overdue) over the changes that happened in
    [start, end], grouped by `group` (column names); None while the changes area is absent."""
    change = status_change_model()
    if change is None:
        return None
    processed = change.school_processed_on
    late = and_(processed.is_not(None), processed > change.deadline)
    open_overdue = and_(processed.is_(None), change.deadline < today)
    on_time = and_(processed.is_not(None), processed <= change.deadline)
    columns = [getattr(change, name) for name in group]
    return (select(*columns, func.count(), func.sum(case((on_time, 1), else_=0)), func.sum(case((late, 1), else_=0)),
                   func.sum(case((open_overdue, 1), else_=0)))
            .where(change.school_id.in_(school_ids_stmt), change.happened_on >= start, change.happened_on <= end,
                   change.state.not_in(IGNORED_CHANGE_STATES))
            .group_by(*columns).order_by(*columns))


def status_change_counts(school_ids_stmt, start: date, end: date, today: date) -> list[tuple] | None:
    """[(change_type, total, on_time, late, open_overdue)] for changes that happened in [start, end]."""
    stmt = _change_counts_select(school_ids_stmt, start, end, today, "kind")
    if stmt is None:
        return None
    from aid.changes.models import CHANGE_KINDS

    return [(CHANGE_KINDS.get(t, t), n, int(a or 0), int(b or 0), int(c or 0))
            for t, n, a, b, c in db.session.execute(stmt).all()]


def status_change_counts_by_school(school_ids_stmt, start: date, end: date,
                                   today: date) -> list[tuple] | None:
    """[(school_id, kind_code, total, on_time, late, open_overdue)] for changes that happened in
    [start, end]: status_change_counts per school (the report snapshots add them up)."""
    stmt = _change_counts_select(school_ids_stmt, start, end, today, "school_id", "kind")
    if stmt is None:
        return None
    return [(sid, t, n, int(a or 0), int(b or 0), int(c or 0)) for sid, t, n, a, b, c in db.session.execute(stmt).all()]


def funds_by_school(school_ids_stmt, semester: str) -> dict[int, tuple[int, int]] | None:
    """{school_id: (allocated_fen, paid_fen)} for the semester."""
    allocation = allocation_model()
    payments = payment_models()
    if allocation is None or payments is None:
        return None
    line, batch = payments
    allocated = dict(db.session.execute(
        select(allocation.school_id, func.sum(allocation.amount_fen))
        .where(allocation.school_id.in_(school_ids_stmt), allocation.semester == semester)
        .group_by(allocation.school_id)).all())
    paid = dict(db.session.execute(
        select(line.school_id, func.sum(line.amount_fen)).join(batch, batch.id == line.batch_id)
        .where(line.school_id.in_(school_ids_stmt), batch.semester == semester, line.status == "paid")
        .group_by(line.school_id)).all())
    return {sid: (int(allocated.get(sid) or 0), int(paid.get(sid) or 0)) for sid in set(allocated) | set(paid)}


def _timeliness_select(semester: str, *group):
    """(paid on time, paid late, due and not paid) sums over the semester's payment lines,
    after the `group` columns; None while the funds area is absent."""
    from datetime import datetime, timedelta

    from aid.programmes.semesters import Semester

    payments = payment_models()
    if payments is None:
        return None, None
    line, batch = payments
    due = datetime.combine(Semester.parse(semester).start_date + timedelta(days=PAYMENT_DUE_DAYS), datetime.min.time())
    paid = line.status == "paid"
    on_time = and_(paid, line.paid_at.is_not(None), line.paid_at < due)
    late = and_(paid, line.paid_at.is_not(None), line.paid_at >= due)
    unpaid = and_(line.status == "pending", true() if datetime.now() >= due else false())
    stmt = (select(*(getattr(line, name) for name in group), func.sum(case((on_time, 1), else_=0)),
                   func.sum(case((late, 1), else_=0)), func.sum(case((unpaid, 1), else_=0)))
            .join(batch, batch.id == line.batch_id).where(batch.semester == semester))
    return stmt, line


def payment_timeliness(school_ids_stmt, semester: str) -> tuple[int, int, int] | None:
    """(paid on time, paid late, due and not paid) payment lines for the semester."""
    stmt, line = _timeliness_select(semester)
    if stmt is None:
        return None
    row = db.session.execute(stmt.where(line.school_id.in_(school_ids_stmt))).one()
    return tuple(int(v or 0) for v in row)


def payment_timeliness_by_school(school_ids_stmt, semester: str) -> dict[int, tuple[int, int, int]] | None:
    """{school_id: (paid on time, paid late, due and not paid)}: payment_timeliness per school."""
    stmt, line = _timeliness_select(semester, "school_id")
    if stmt is None:
        return None
    rows = db.session.execute(stmt.where(line.school_id.in_(school_ids_stmt)).group_by(line.school_id)).all()
    return {sid: tuple(int(v or 0) for v in values) for sid, *values in rows}


def paid_lines_not_enrolled_select(user, not_enrolled: tuple[str, ...]):
    payments = payment_models()
    if payments is None:
        return None
    line, _batch = payments
    from aid.students.models import Student

    from aid.database import mostly_true

    # driven from the few students not enrolled (status index), then their lines by student_id:
    # SQLite would otherwise walk every paid line (≈ 220 ms for a province's 120,000 → ≈ 20 ms)
    not_enrolled_ids = select(Student.id).where(Student.status.in_(not_enrolled))
    return scope(select(line).where(mostly_true(line.status == "paid"), line.student_id.in_(not_enrolled_ids)),
                 line, user)
