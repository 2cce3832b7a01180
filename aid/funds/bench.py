"""Bench data: fund allocations (central and provincial shares, a little over what was
approved) and payment batches per school, programme and semester — the semester before
paid and returned by the bank (a few lines failed), the current one's disbursed
applications paid, and a draft batch of its bureau-approved ones; bulk inserts, no
workflow history, no rendered ledgers (the benchmark renders those itself)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import insert, select

from aid.applications.models import Application
from aid.extensions import db
from aid.funds.models import Allocation, PaymentBatch, PaymentLine
from aid.funds.periods import periods_of
from aid.funds.service import schedule_for
from aid.programmes.models import Programme
from aid.programmes.semesters import Semester
from aid.students.models import Student

FAILED_SHARE = 0.02
FAILURE_REASON = "账户已销户"
CHUNK = 10000


def _previous(semester: Semester) -> Semester:
    return Semester(semester.year, "spring") if semester.term == "autumn" else Semester(semester.year - 1, "autumn")


def bench_step(ctx) -> None:
    current = Semester.parse(ctx.semester)
    officer, leader = ctx.users["school_officer"].id, ctx.users["school_leader"].id
    programmes = {p.id: p for p in db.session.execute(select(Programme)).scalars()}
    allocations, batches, lines = 0, 0, 0
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
