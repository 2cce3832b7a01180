"""Supervision and reports records in every school of the test world, and their route arguments."""
from __future__ import annotations

import json
from datetime import date, timedelta

from aid.extensions import db
from aid.supervision.models import Inspection, InspectionPoint, Measure, RollCall, RollCallEntry
from aid.supervision.service import population_digest


def build_world(w, key, objs):
    population = [objs.student.id]
    rc = RollCall(school_id=objs.school.id, kind="remote", seed=f"seed-{key}", sample_size=1, population_size=1,
                  population_json=json.dumps(population), population_sha256=population_digest(population))
    db.session.add(rc)
    db.session.flush()
    entry = RollCallEntry(roll_call_id=rc.id, school_id=objs.school.id, student_id=objs.student.id, position=1)
    measure = Measure(school_id=objs.school.id, kind="interview", reason=f"{key}测试约谈",
                      deadline=date.today() + timedelta(days=30), state="open")
    inspection = Inspection(school_id=objs.school.id, visit_date=date(2026, 3, 2), inspectors=f"{key}检查组")
    db.session.add_all([entry, measure, inspection])
    db.session.flush()
    for code in ("rules", "data", "tiering", "payment", "archives"):
        db.session.add(InspectionPoint(inspection_id=inspection.id, point=code, result="pass"))
    db.session.flush()
    objs.rollcall, objs.entry, objs.measure, objs.inspection = rc, entry, measure, inspection


def _rc(w, k):
    return {"rollcall_id": w.obj[k].rollcall.id}


ROUTE_ARGS = {
    "supervision.rollcall_detail": _rc,
    "supervision.rollcall_redraw": _rc,
    "supervision.rollcall_pdf": _rc,
    "supervision.rollcall_result": lambda w, k: {"rollcall_id": w.obj[k].rollcall.id, "entry_id": w.obj[k].entry.id},
    "supervision.flag_detail": lambda w, k: {"code": "duplicate_id"},
    "supervision.flag_review": lambda w, k: {"code": "duplicate_id"},
    "supervision.flag_finding": lambda w, k: {"code": "duplicate_id"},
    "supervision.measure_detail": lambda w, k: {"measure_id": w.obj[k].measure.id},
    "supervision.measure_respond": lambda w, k: {"measure_id": w.obj[k].measure.id},
    "supervision.measure_close": lambda w, k: {"measure_id": w.obj[k].measure.id},
    "supervision.measure_reopen": lambda w, k: {"measure_id": w.obj[k].measure.id},
    "supervision.inspection_detail": lambda w, k: {"inspection_id": w.obj[k].inspection.id},
    "supervision.inspection_follow_up": lambda w, k: {"inspection_id": w.obj[k].inspection.id},
    "reports.export": lambda w, k: {"table": "registered"},
}
