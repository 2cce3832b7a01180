"""Helpers for the funds tests: programmes with versions, bureau-approved applications."""
from __future__ import annotations

import random
from dataclasses import replace

from aid.applications.models import Application
from aid.core.identity import generate_bank_card
from aid.extensions import db
from aid.programmes.models import Programme, ProgrammeVersion
from aid.funds.demo import rules_json_for
from aid.programmes.defaults import NATIONAL_GRANT_2025, TUITION_WAIVER
from aid.programmes.semesters import Semester
from aid.students.personal import set_aid_card

SEMESTER = "2025-autumn"


def programme(code: str, name: str, kind: str, *, paid_to_card: bool = True, schedule: str = "semester",
              valid_from: str = "2023-spring") -> Programme:
    existing = db.session.query(Programme).filter_by(code=code).one_or_none()
    if existing is not None:
        return existing
    p = Programme(code=code, name=name, kind=kind, paid_to_card=paid_to_card)
    db.session.add(p)
    db.session.flush()
    if paid_to_card:
        rules = replace(NATIONAL_GRANT_2025, code=code, name=name, valid_from=Semester.parse(valid_from))
    else:
        rules = replace(TUITION_WAIVER, code=code, name=name, valid_from=Semester.parse(valid_from))
    db.session.add(ProgrammeVersion(programme_id=p.id, valid_from=valid_from,
                                    valid_from_ordinal=Semester.parse(valid_from).ordinal,
                                    rules_json=rules_json_for(rules), payment_schedule=schedule))
    db.session.flush()
    return p


def grant() -> Programme:
    return programme("t_grant", "国家助学金", "national_grant")


def monthly_grant() -> Programme:
    return programme("t_grant_monthly", "地方助学金", "local", schedule="monthly")


def waiver() -> Programme:
    return programme("t_waiver", "免学费", "tuition_waiver", paid_to_card=False)


def approved(student, prog: Programme, amount_fen: int = 150000, semester: str = SEMESTER,
             level: str = "比较困难", state: str = "bureau_approved") -> Application:
    version = prog.versions[0] if prog.versions else None
    app = Application(school_id=student.school_id, student_id=student.id, programme_id=prog.id,
                      programme_version_id=version.id, semester=semester, level=level, amount_fen=amount_fen,
                      state=state)
    db.session.add(app)
    db.session.flush()
    return app


def give_card(student, seed: int, kind: str = "aid_card") -> str:
    number = generate_bank_card(random.Random(seed))
    set_aid_card(student, number, kind)
    return number
