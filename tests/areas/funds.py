"""Funds records in every school of the test world, for the route × role matrix."""
from __future__ import annotations

from aid.extensions import db
from aid.funds.models import PaymentBatch, PaymentLine, Settlement
from tests.funds_support import SEMESTER, grant


def build_world(w, key, objs):
    """A locked batch paying the school's student (no application: other areas count
    applications in the world), and for each school a settlement."""
    prog = grant()
    student = objs.student
    amount = 150000
    batch = PaymentBatch(school_id=student.school_id, programme_id=prog.id, semester=SEMESTER, period=SEMESTER,
                         state="locked", line_count=1, total_fen=amount)
    db.session.add(batch)
    db.session.flush()
    line = PaymentLine(batch_id=batch.id, school_id=student.school_id, student_id=student.id, programme_id=prog.id,
                       period=SEMESTER, serial=1, level="比较困难", amount_fen=amount,
                       status="paid", card_masked=student.aid_card_masked, card_kind="aid_card")
    db.session.add(line)
    objs.funds_batch, objs.funds_line = batch, line
    if key != "A1b":
        s = Settlement(school_id=student.school_id, programme_id=prog.id, semester=SEMESTER, allocated_fen=0,
                       paid_fen=0, returned_fen=0, recovered_fen=0, surplus_fen=0, students_registered=0,
                       students_aided=0)
        db.session.add(s)
        objs.funds_settlement = s
    db.session.flush()


def _batch(w, k):
    return {"batch_id": w.obj[k].funds_batch.id}


def _settlement(w, k):
    return {"settlement_id": w.obj["A1" if k == "A1b" else k].funds_settlement.id}


ROUTE_ARGS = {
    "funds.batch_detail": _batch,
    "funds.batch_review": _batch,
    "funds.batch_lock": _batch,
    "funds.batch_discard": _batch,
    "funds.batch_ledger": _batch,
    "funds.batch_ledger_progress": _batch,
    "funds.batch_ledger_render": _batch,
    "funds.batch_bank_file": _batch,
    "funds.batch_bank_return": _batch,
    "funds.my_confirm": lambda w, k: {"line_id": w.obj[k].funds_line.id},
    "funds.recovery_mark": lambda w, k: {"line_id": w.obj[k].funds_line.id},
    "funds.settlement_detail": _settlement,
    "funds.settlement_statement": _settlement,
}

# the ledger and statement of the world's records were never rendered
OWN_STATUS = {"funds.batch_ledger": (404,), "funds.settlement_statement": (404,)}
