"""Holds on a student's aid: the interface the disbursement area uses.

A student whose register status is 休学, 退学 or 转出 is held: no payment for
periods after the change. The status-change area refines this with the
approved change records (their dates), keeping these signatures.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from aid.extensions import db
from aid.students.models import Student

HOLD_STATUSES = {"休学": "休学", "退学": "退学", "转出": "转学（转出）"}


def holds_for(student_ids: list[int], on_date: date | None = None) -> dict[int, str]:
    """{student_id: Chinese reason} for the students held on `on_date`."""
    if not student_ids:
        return {}
    held: dict[int, str] = {}
    for chunk in range(0, len(student_ids), 900):
        rows = db.session.execute(
            select(Student.id, Student.status).where(Student.id.in_(student_ids[chunk:chunk + 900]),
                                                     Student.status.in_(HOLD_STATUSES))
        ).all()
        held.update({sid: f"学籍状态为{HOLD_STATUSES[status]}，暂停发放" for sid, status in rows})
    return held


def hold_for(student_id: int, on_date: date | None = None) -> str | None:
    return holds_for([student_id], on_date).get(student_id)
