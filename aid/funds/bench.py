"""Bench data for funds: fund allocations (central and provincial shares, a little over what
was approved) and payment batches per school, programme and semester — the semester before
paid and returned by the bank (a few lines failed), the current one's disbursed applications
paid, a draft batch of its bureau-approved ones — and a locked batch of LEDGER_ROWS lines in
the bench officer's school, whose disbursement ledger the benchmark renders
(tests/bench/inprocess.py `ledger`). Bulk inserts, no workflow history, no rendered ledgers.

The ledger batch is the national grant of the semester before the data set's current one,
paid to the students' cards, one line per full-time student in register order;
`ensure_ledger_batch()` is idempotent: the benchmark calls it on a database generated before
this step existed. It is made first; the application-driven batches then leave out the
students it already pays for that programme and period (one payment per student, programme
and period is a unique index).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import insert, select

from aid.applications.models import Application
from aid.auth.models import User
from aid.extensions import db
from aid.funds.models import Allocation, PaymentBatch, PaymentLine
from aid.funds.periods import periods_of
from aid.funds.service import schedule_for
from aid.programmes.models import Programme
from aid.programmes.defaults import DEFAULT_GRANT_LEVELS
from aid.programmes.semesters import Semester
from aid.programmes.service import current_semester, programme_by_code
from aid.students.models import SchoolClass, Student
from aid.timeutil import utcnow

LEDGER_ROWS = 1000
NOTE = "基准测试发放批次（{rows}人）"
HALF_YEAR = {level.name: level.annual_fen // 2 for level in DEFAULT_GRANT_LEVELS}
LOWEST = DEFAULT_GRANT_LEVELS[-1].name
FAILED_SHARE = 0.02
FAILURE_REASON = "账户已销户"
CHUNK = 10000


def bench_step(ctx) -> None:
    ensure_ledger_batch(LEDGER_ROWS, semester=ctx.semester, at_most=True)  # a tiny data set: fewer lines
    _allocations_and_batches(ctx)


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


def _allocations_and_batches(ctx) -> None:
    current = Semester.parse(ctx.semester)
    officer, leader = ctx.users["school_officer"].id, ctx.users["school_leader"].id
    programmes = {p.id: p for p in db.session.execute(select(Programme)).scalars()}
    allocations, batches, lines = 0, 0, 0
    paid_already = {tuple(row) for row in db.session.execute(select(
        PaymentLine.student_id, PaymentLine.programme_id, PaymentLine.period))}  # the ledger batch's students
    for semester, plans in ((_previous(current), (("disbursed", "returned"),)),
                            (current, (("disbursed", "returned"), ("bureau_approved", "draft")))):
        apps = db.session.execute(
            select(Application.id, Application.school_id, Application.student_id, Application.programme_id,
                   Application.level, Application.amount_fen, Application.state,
                   Student.aid_card_enc, Student.aid_card_hash, Student.aid_card_masked, Student.aid_card_kind)
            .join(Student, Student.id == Application.student_id)
            .where(Application.semester == str(semester), Application.state.in_(("disbursed", "bureau_approved")))
            .order_by(Application.school_id, Application.programme_id, Application.id)).all()
        groups: dict[tuple[int, int, str], list] = {}
        for a in apps:
            groups.setdefault((a.school_id, a.programme_id, a.state), []).append(a)
        approved: dict[tuple[int, int], int] = {}
        for (school_id, programme_id, _state), rows in groups.items():
            approved[(school_id, programme_id)] = approved.get((school_id, programme_id), 0) + sum(r.amount_fen for r in rows)
        alloc_rows = []
        for (school_id, programme_id), total in sorted(approved.items()):
            allotted = total * 105 // 100  # a little over what was approved: the surplus to settle
            central = allotted * 8 // 10
            for source, amount, number in (("central", central, 1), ("province", allotted - central, 2)):
                alloc_rows.append(dict(school_id=school_id, programme_id=programme_id, semester=str(semester),
                                       source=source, doc_number=f"基准财教〔{semester.year}〕{number}号",
                                       doc_date=semester.start_date, amount_fen=amount, note="",
                                       created_by=ctx.users["province_admin"].id))
        if alloc_rows:
            db.session.execute(insert(Allocation), alloc_rows)
            allocations += len(alloc_rows)
        line_rows = []
        for (school_id, programme_id, app_state), rows in groups.items():
            state = dict(plans).get(app_state)
            if state is None:
                continue
            programme = programmes[programme_id]
            period = periods_of(semester, schedule_for(programme, semester))[0].key
            rows = [r for r in rows if (r.student_id, programme_id, period) not in paid_already]
            if not rows:
                continue
            paid_at = datetime.combine(semester.start_date + timedelta(days=45), time(10))
            batch = PaymentBatch(school_id=school_id, programme_id=programme_id, semester=str(semester),
                                 period=period, state=state, note="", created_by=officer,
                                 line_count=len(rows), total_fen=sum(r.amount_fen for r in rows))
            if state == "returned":
                batch.reviewed_by, batch.reviewed_at = officer, paid_at - timedelta(days=3)
                batch.locked_by, batch.locked_at = leader, paid_at - timedelta(days=2)
                batch.bank_exported_at, batch.bank_returned_at = paid_at - timedelta(days=1), paid_at
            db.session.add(batch)
            db.session.flush()
            batches += 1
            for serial, r in enumerate(rows, start=1):
                failed = state == "returned" and ctx.rng.random() < FAILED_SHARE
                status = "pending" if state == "draft" else ("failed" if failed else "paid")
                card = programme.paid_to_card
                line_rows.append(dict(
                    batch_id=batch.id, school_id=school_id, student_id=r.student_id, programme_id=programme_id,
                    application_id=r.id, period=period, serial=serial, level=r.level or "", amount_fen=r.amount_fen,
                    standard_fen=0 if card else r.amount_fen * 2, status=status,
                    card_kind=r.aid_card_kind if card else "", card_enc=r.aid_card_enc if card else None,
                    card_hash=r.aid_card_hash if card else None, card_masked=r.aid_card_masked if card else "",
                    failure_reason=FAILURE_REASON if failed else "",
                    paid_at=paid_at if status == "paid" else None))
                if len(line_rows) >= CHUNK:
                    db.session.execute(insert(PaymentLine), line_rows)
                    lines, line_rows = lines + len(line_rows), []
        if line_rows:
            db.session.execute(insert(PaymentLine), line_rows)
            lines += len(line_rows)
    ctx.shared["funds"] = (allocations, batches, lines)
