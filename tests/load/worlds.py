"""Worlds for the live-server tests, built through the services (so every record is as
the app would write it)."""
from __future__ import annotations

import random
from datetime import date

from aid.extensions import db

LEADERS = ("a1_leader", "a1_leader2")
OFFICERS = ("a1_officer", "a1_officer2")


def approval_world(applications: int = 300) -> dict:
    """The test world plus a second leader and `applications` submitted applications in school A1."""
    from aid.applications import service as applications_service
    from aid.programmes import service as programmes
    from tests.areas.aid import SEMESTER
    from tests.world import add_student, add_user, build_world

    w = build_world()
    a1 = w.obj["A1"]
    add_user(w, "school_leader_2", "a1_leader2", "school_leader", school_id=a1.school.id)
    programme = programmes.programme_by_code("tuition_waiver")
    officer = w.users["school_officer"]
    rng = random.Random(20261125)
    ids = []
    for n in range(applications):
        born = date(2008, rng.randint(1, 12), rng.randint(1, 28))
        student = add_student(a1.school, a1.school_class, f"负载学生{n:03d}", born=born,
                              gender=rng.choice("男女"), rng_seed=100000 + n)
        ids.append(applications_service.create_application(officer, student, programme, SEMESTER, submit=True).id)
    db.session.commit()
    return {"school_code": a1.school.code, "class_name": a1.school_class.name, "semester": str(SEMESTER),
            "application_ids": ids}


def plain_world() -> dict:
    from tests.world import build_world

    w = build_world()
    a1 = w.obj["A1"]
    return {"school_code": a1.school.code, "class_name": a1.school_class.name}


def ledger_world(lines: int) -> dict:
    """The test world plus a draft payment batch of `lines` grant lines in school A1, built
    by the officer (so the leader may lock it): large enough that its ledger is rendered
    in a background job by worker processes."""
    from aid.funds import service
    from tests.funds_support import SEMESTER, approved, grant
    from tests.world import add_student, build_world

    w = build_world()
    a1 = w.obj["A1"]
    prog = grant()
    for n in range(lines):
        student = add_student(a1.school, a1.school_class, f"台账学生{n:04d}", rng_seed=200000 + n)
        approved(student, prog, amount_fen=150000 + n, semester=SEMESTER)
    batch = service.build_batch(w.users["school_officer"], school_id=a1.school.id, programme_id=prog.id,
                                period_text=SEMESTER)
    db.session.commit()
    assert batch.line_count == lines, batch.line_count
    return {"school_code": a1.school.code, "batch_id": batch.id}
