"""Status-change records for the route × role matrix: in every school of the test
world a suspension with one evidence file (stored under STORAGE_DIR), and one
administrator calendar entry (the calendar is province-wide, not school-owned)."""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

from flask import current_app

from aid.changes.models import CalendarDay, ChangeEvidence, StatusChange
from aid.extensions import db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
_CHANGES: dict[int, int] = {}


def build_world(w, key, objs):
    change = StatusChange(school_id=objs.school.id, student_id=objs.student.id, kind="suspend",
                          happened_on=date(2026, 10, 20), reason="因病休学", from_class_id=objs.school_class.id,
                          status_before="在籍", state="recorded", recorded_at=datetime(2026, 10, 21, 2, 0))
    db.session.add(change)
    db.session.flush()
    digest = hashlib.sha256(PNG).hexdigest()
    relative = Path(digest[:2]) / f"{digest}.png"
    target = Path(current_app.config["STORAGE_DIR"]) / "evidence" / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(PNG)
    evidence = ChangeEvidence(change_id=change.id, school_id=objs.school.id, filename="诊断证明.png",
                              mimetype="image/png", size=len(PNG), sha256=digest, path=str(relative))
    db.session.add(evidence)
    db.session.flush()
    objs.change, objs.evidence = change, evidence
    if key == "A1":
        day = CalendarDay(day=date(2099, 12, 31), is_workday=False, note="测试")
        db.session.add(day)
        db.session.flush()
        w.calendar_day = day


ROUTE_ARGS = {
    "changes.detail": lambda w, k: {"change_id": w.obj[k].change.id},
    "changes.act": lambda w, k: {"change_id": w.obj[k].change.id},
    "changes.return_form": lambda w, k: {"change_id": w.obj[k].change.id},
    "changes.evidence_upload": lambda w, k: {"change_id": w.obj[k].change.id},
    "changes.evidence_download": lambda w, k: {"change_id": w.obj[k].change.id,
                                               "evidence_id": w.obj[k].evidence.id},
    "changes.form_pdf": lambda w, k: {"change_id": w.obj[k].change.id},
    "changes.calendar_day_delete": lambda w, k: {"day_id": w.calendar_day.id},
}

# return_form offers a form only to a role that can act now (leader on a recorded change);
# others get 404 for their own record, which is the right answer.
OWN_STATUS = {"changes.return_form": (404,)}
