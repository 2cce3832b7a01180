"""Test-world records of the aid areas (programmes, hardship, applications) and their
route arguments for the route × role matrix."""
from __future__ import annotations

import io

from aid.programmes.semesters import Semester

SEMESTER = Semester(2026, "spring")  # tests of 2025-autumn start from a clean semester


def _png() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def build_world(w, key, objs):
    from aid.applications import service as applications
    from aid.hardship import service as hardship
    from aid.programmes import service as programmes

    programmes.seed_defaults()
    hardship.seed_categories()
    officer = w.users["school_officer"]
    student = objs.student
    h = hardship.create_application(officer, student, SEMESTER, categories=["minimum_living"],
                                    members=[hardship.FamilyMember("母亲", "张某", 45, "务农", 1200000)],
                                    circumstances="家庭收入低。", declaration=True)
    objs.hardship = h
    objs.evidence = hardship.add_evidence(officer, h, "低保证.png", _png())
    objs.programme = programmes.programme_by_code("tuition_waiver")
    objs.application = applications.create_application(officer, student, objs.programme, SEMESTER)


ROUTE_ARGS = {
    "programmes.detail": lambda w, k: {"programme_id": w.obj[k].programme.id},
    "programmes.edit": lambda w, k: {"programme_id": w.obj[k].programme.id},
    "hardship.detail": lambda w, k: {"hardship_id": w.obj[k].hardship.id},
    "hardship.edit": lambda w, k: {"hardship_id": w.obj[k].hardship.id},
    "hardship.act": lambda w, k: {"hardship_id": w.obj[k].hardship.id},
    "hardship.upload": lambda w, k: {"hardship_id": w.obj[k].hardship.id},
    "hardship.adjust": lambda w, k: {"hardship_id": w.obj[k].hardship.id},
    "hardship.form_pdf": lambda w, k: {"hardship_id": w.obj[k].hardship.id},
    "hardship.evidence": lambda w, k: {"evidence_id": w.obj[k].evidence.id},
    "applications.detail": lambda w, k: {"application_id": w.obj[k].application.id},
    "applications.act": lambda w, k: {"application_id": w.obj[k].application.id},
    "applications.form_pdf": lambda w, k: {"application_id": w.obj[k].application.id},
}
