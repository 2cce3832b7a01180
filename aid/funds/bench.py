"""Bench data: a locked payment batch of LEDGER_ROWS lines in the bench officer's school,
whose disbursement ledger the benchmark renders (tests/bench/inprocess.py `ledger`).

The national grant of the semester before the data set's current one, paid to the
students' cards, one line per full-time student in register order (bulk inserts, no
per-line workflow history, like the other bench steps). `ensure_ledger_batch()` is
idempotent: the benchmark calls it on a database generated before this step existed.
"""
from __future__ import annotations

from sqlalchemy import insert, select

from aid.applications.models import Application
from aid.auth.models import User
from aid.extensions import db
from aid.funds.models import PaymentBatch, PaymentLine
from aid.programmes.defaults import DEFAULT_GRANT_LEVELS
from aid.programmes.semesters import Semester
from aid.programmes.service import current_semester, programme_by_code
from aid.students.models import SchoolClass, Student
from aid.timeutil import utcnow

LEDGER_ROWS = 1000
NOTE = "基准测试发放批次（{rows}人）"
HALF_YEAR = {level.name: level.annual_fen // 2 for level in DEFAULT_GRANT_LEVELS}
LOWEST = DEFAULT_GRANT_LEVELS[-1].name


def bench_step(ctx) -> None:
    ensure_ledger_batch(LEDGER_ROWS, semester=ctx.semester, at_most=True)  # a tiny data set: fewer lines


def _previous(semester: Semester) -> Semester:
    return Semester(semester.year, "spring") if semester.term == "autumn" else Semester(semester.year - 1, "autumn")


def ensure_ledger_batch(rows: int = LEDGER_ROWS, semester: str | None = None,
                        at_most: bool = False) -> PaymentBatch | None:
    """The locked `rows`-line batch of the bench officer's school; made on first call (the
    caller commits). `at_most`: with fewer students free, a smaller batch (None if none)."""
    officer = db.session.execute(select(User).where(User.username == "bench_officer")).scalar_one()
    leader = db.session.execute(select(User).where(User.username == "bench_leader")).scalar_one_or_none()
    note = NOTE.format(rows=rows)
    found = db.session.execute(select(PaymentBatch).where(
        PaymentBatch.school_id == officer.school_id, PaymentBatch.note == note)
        .order_by(PaymentBatch.id).limit(1)).scalar_one_or_none()
    if found is not None:
        return found
    grant = programme_by_code("national_grant")
    period = str(_previous(Semester.parse(semester) if semester else current_semester()))
    taken = select(PaymentLine.student_id).where(PaymentLine.programme_id == grant.id, PaymentLine.period == period,
                                                 PaymentLine.status.not_in(("failed", "cancelled")))
    students = db.session.execute(
        select(Student.id, Student.aid_card_enc, Student.aid_card_hash, Student.aid_card_masked,
               Student.aid_card_kind)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Student.school_id == officer.school_id, Student.study_mode == "full_time",
               Student.aid_card_enc.is_not(None), Student.id.not_in(taken))
        .order_by(SchoolClass.name, Student.name, Student.id).limit(rows)).all()
    if at_most:
        if not students:
            return None
        rows, note = len(students), NOTE.format(rows=len(students))
    if len(students) < rows:
        raise RuntimeError(f"the bench officer's school has only {len(students)} students free for a {rows}-line batch")
    levels = dict(db.session.execute(
        select(Application.student_id, Application.level).where(
            Application.school_id == officer.school_id, Application.programme_id == grant.id,
            Application.semester == period)).all())
    now = utcnow()
    batch = PaymentBatch(school_id=officer.school_id, programme_id=grant.id, semester=period, period=period,
                         state="locked", note=note, created_by=officer.id, created_at=now,
                         locked_by=leader.id if leader else None, locked_at=now)
    db.session.add(batch)
    db.session.flush()
    lines = []
    for serial, (sid, enc, card_hash, masked, kind) in enumerate(students, start=1):
        level = levels.get(sid) if levels.get(sid) in HALF_YEAR else LOWEST
        lines.append(dict(batch_id=batch.id, school_id=officer.school_id, student_id=sid, programme_id=grant.id,
                          period=period, serial=serial, level=level, amount_fen=HALF_YEAR[level], standard_fen=0,
                          status="pending", card_kind=kind or "aid_card", card_enc=enc, card_hash=card_hash,
                          card_masked=masked, failure_reason="", recovery_note="", created_at=now))
    db.session.execute(insert(PaymentLine), lines)
    batch.line_count = len(lines)
    batch.total_fen = sum(line["amount_fen"] for line in lines)
    db.session.flush()
    return batch
