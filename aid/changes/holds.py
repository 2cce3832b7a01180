"""Holds on a student's aid: the interface the disbursement area uses.

An approved 休学 (or 入伍, which keeps the place as a suspension), 退学 or 转学
(转出) puts a hold on the student's aid for dates from the day the change
happened; an approved 复学 lifts it from its own date. The latest approved change
on or before `on_date` decides. A transfer holds payments by the school the
student left: pass `school_id` (the paying school) to apply it; at the receiving
school the student is enrolled (在籍) and not held.

Students without any approved change record (e.g. imported with their status)
are held by their register status, as before.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select

from aid.database import id_groups
from aid.extensions import db
from aid.students.models import Student
from aid.timeutil import local_today

HOLD_STATUSES = {"休学": "休学", "退学": "退学", "转出": "转学（转出）"}
TIMELINE_KINDS = ("suspend", "military", "withdraw", "resume", "transfer")


def _reason(kind: str, happened_on: date) -> str:
    day = f"{happened_on.year}年{happened_on.month}月{happened_on.day}日"
    return {
        "suspend": f"{day}起休学，暂停发放",
        "military": f"{day}起应征入伍（保留学籍），暂停发放",
        "withdraw": f"{day}退学，停止发放",
        "transfer": f"{day}转学（转出），原学校停止发放",
    }[kind]


def holds_for(student_ids: list[int] | Select, on_date: date | None = None, *,
              school_id: int | None = None) -> dict[int, str]:
    """{student_id: Chinese reason} for the students held on `on_date` (default today).
    `student_ids` is a list of ids or a select of one id column (a whole school's list: one
    statement per kind of record instead of long lists of bound ids)."""
    from aid.changes.models import StatusChange

    chunks = id_groups(student_ids)
    if not chunks:
        return {}
    on_date = on_date or local_today()
    held: dict[int, str] = {}
    for chunk in chunks:
        changes = db.session.execute(
            select(StatusChange.student_id, StatusChange.kind, StatusChange.happened_on, StatusChange.school_id)
            .where(StatusChange.student_id.in_(chunk), StatusChange.state == "approved",
                   StatusChange.kind.in_(TIMELINE_KINDS))
            .order_by(StatusChange.student_id, StatusChange.happened_on, StatusChange.completed_at,
                      StatusChange.id)).all()
        with_records = {row.student_id for row in changes}
        latest: dict[int, tuple] = {}
        for row in changes:
            if row.happened_on > on_date:
                continue
            if row.kind == "transfer" and (school_id is None or row.school_id != school_id):
                continue  # the student is enrolled at the receiving school
            latest[row.student_id] = row
        for sid, row in latest.items():
            if row.kind != "resume":
                held[sid] = _reason(row.kind, row.happened_on)
        # students without such records are held by their register status
        legacy = chunk if isinstance(chunk, Select) else [sid for sid in chunk if sid not in with_records]
        if isinstance(legacy, Select) or legacy:
            rows = db.session.execute(
                select(Student.id, Student.status).where(Student.id.in_(legacy),
                                                         Student.status.in_(HOLD_STATUSES))).all()
            held.update({sid: f"学籍状态为{HOLD_STATUSES[status]}，暂停发放" for sid, status in rows
                         if sid not in with_records})
    return held


def hold_candidates_select():
    """The only students holds_for() can ever hold (approved timeline changes, or a hold
    status on the register): a small set to start from instead of every paid student."""
    from sqlalchemy import union

    from aid.changes.models import StatusChange

    return union(select(StatusChange.student_id).where(StatusChange.state == "approved",
                                                       StatusChange.kind.in_(TIMELINE_KINDS)),
                 select(Student.id).where(Student.status.in_(HOLD_STATUSES)))


def can_be_held(student_id):
    """hold_candidates_select() as a condition on one row's `student_id` column (correlated: a
    school's own lines are probed one by one instead of gathering the province's candidates)."""
    from sqlalchemy import exists, or_

    from aid.changes.models import StatusChange

    return or_(
        exists().where(StatusChange.student_id == student_id, StatusChange.state == "approved",
                       StatusChange.kind.in_(TIMELINE_KINDS)),
        exists().where(Student.id == student_id, Student.status.in_(HOLD_STATUSES)))


def hold_for(student_id: int, on_date: date | None = None, *, school_id: int | None = None) -> str | None:
    return holds_for([student_id], on_date, school_id=school_id).get(student_id)
