"""Notices in the test world: in every school a grant notice posted now (so the
public pages show it), listing that school's student, with an open objection
and a stored PDF. Also helpers that create the records notices are built from."""
from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from sqlalchemy import select

from aid.applications.models import Application
from aid.extensions import db
from aid.hardship.models import HardshipApplication
from aid.notices.models import Notice, NoticeItem, Objection
from aid.notices.policy import rules_to_json
from aid.notices.service import apply_snapshot, snapshot
from aid.programmes.defaults import NATIONAL_GRANT_2025, NATIONAL_SCHOLARSHIP, TUITION_WAIVER
from aid.programmes.models import Programme, ProgrammeVersion
from aid.timeutil import local_today

SEMESTER = "2025-autumn"


def _province_of(authority):
    while authority.parent_id is not None:
        authority = db.session.get(type(authority), authority.parent_id)
    return authority


ROUTE_ARGS = {
    "notices.detail": lambda w, k: {"notice_id": w.obj[k].notice.id},
    "notices.period": lambda w, k: {"notice_id": w.obj[k].notice.id},
    "notices.action": lambda w, k: {"notice_id": w.obj[k].notice.id, "action": "approve"},
    "notices.pdf": lambda w, k: {"notice_id": w.obj[k].notice.id},
    "notices.objection_new": lambda w, k: {"notice_id": w.obj[k].notice.id},
    "notices.objection_resolve": lambda w, k: {"objection_id": w.obj[k].objection.id},
    "notices.public_notice": lambda w, k: {"notice_id": w.obj[k].notice.id},
    "notices.public_pdf": lambda w, k: {"notice_id": w.obj[k].notice.id},
    "notices.public_school": lambda w, k: {"school_id": w.obj[k].school.id},
    "notices.public_province": lambda w, k: {"authority_id": _province_of(w.obj[k].school.authority).id},
    "notices.public_policy": lambda w, k: {"authority_id": _province_of(w.obj[k].school.authority).id},
}


def programme(code: str = "nt_grant", kind: str = "national_grant", name: str = "国家助学金") -> Programme:
    """A province-wide programme with one version (created once per code)."""
    p = db.session.execute(select(Programme).where(Programme.code == code)).scalar_one_or_none()
    if p is None:
        p = Programme(code=code, name=name, kind=kind, school_id=None)
        db.session.add(p)
        db.session.flush()
        rules = {"national_grant": NATIONAL_GRANT_2025, "national_scholarship": NATIONAL_SCHOLARSHIP,
                 "tuition_waiver": TUITION_WAIVER}.get(kind, NATIONAL_GRANT_2025)
        rules = dataclasses.replace(rules, code=code, name=name)
        db.session.add(ProgrammeVersion(programme_id=p.id, valid_from=str(rules.valid_from),
                                        valid_from_ordinal=rules.valid_from.ordinal, rules_json=rules_to_json(rules)))
        db.session.flush()
    return p


def application(student, prog: Programme, state: str = "school_approved", level: str = "一般困难",
                semester: str = SEMESTER) -> Application:
    version = prog.versions[0]
    app_row = Application(school_id=student.school_id, student_id=student.id, programme_id=prog.id,
                          programme_version_id=version.id, semester=semester, level=level,
                          amount_fen=50000, state=state)
    db.session.add(app_row)
    db.session.flush()
    return app_row


def hardship(student, state: str = "determined", level: str = "特别困难", semester: str = SEMESTER,
             categories=("dibao",), circumstances: str = "") -> HardshipApplication:
    row = HardshipApplication(school_id=student.school_id, student_id=student.id, school_year="2025-2026",
                              semester=semester, categories=json.dumps(list(categories)),
                              circumstances=circumstances, state=state, level=level)
    db.session.add(row)
    db.session.flush()
    return row


def build_world(w, key, objs):
    if key == "A1b":  # same school as A1: the same records
        objs.notice, objs.objection = w.obj["A1"].notice, w.obj["A1"].objection
        return
    from aid.printing.service import store_document

    today = local_today()
    source = application(objs.student, programme(), state="on_notice")
    notice = Notice(school_id=objs.school.id, kind="grant", semester=SEMESTER, title=f"{objs.school.name}助学金公示",
                    contact="学生资助管理部门", state="posted", first_day=today - timedelta(days=1),
                    end_day=today + timedelta(days=14), workdays=10)
    db.session.add(notice)
    db.session.flush()
    item = NoticeItem(notice_id=notice.id, school_id=objs.school.id, source_type="application",
                      source_id=source.id, position=1)
    apply_snapshot(item, snapshot(source, "grant"))
    db.session.add(item)
    db.session.flush()
    doc = store_document(b"%PDF-1.4\n% test world notice\n", kind="notice", title=notice.title,
                         school_id=objs.school.id, object_type="notices", object_id=notice.id)
    notice.document_id = doc.id
    objection = Objection(notice_id=notice.id, school_id=objs.school.id, item_id=item.id, received_on=today,
                          received_by="经办人", channel="电话", content="对名单有疑问")
    db.session.add(objection)
    db.session.flush()
    objs.notice, objs.objection = notice, objection
