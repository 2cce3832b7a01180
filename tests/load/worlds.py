"""Worlds for the live-server tests, built through the services (so every record is as
the app would write it)."""
from __future__ import annotations

import random
from datetime import date

from aid.extensions import db

LEADERS = ("a1_leader", "a1_leader2")
OFFICERS = ("a1_officer", "a1_officer2")
BUREAU = ("a_bureau",)


def approval_world(applications: int = 300, noticed: int = 0) -> dict:
    """The test world plus a second leader and `applications` submitted applications in school A1,
    and `noticed` more whose notice period is over (the bureau approves them, then they are
    paid in batches), walked there through the transitions one step at a time."""
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
    if noticed:
        from aid.applications.workflow import APPLICATION_WORKFLOW
        from aid.workflow import apply_transition

        walk = (("review", w.users["school_officer_2"]), ("approve_school", w.users["school_leader"]),
                ("post_notice", officer), ("end_notice", officer))
        for n in range(noticed):
            student = add_student(a1.school, a1.school_class, f"公示学生{n:03d}", rng_seed=300000 + n)
            app = applications_service.create_application(officer, student, programme, SEMESTER, submit=True)
            for action, user in walk:
                apply_transition(APPLICATION_WORKFLOW, app, action, user)
                db.session.flush()  # one version per step
            ids.append(app.id)
    db.session.commit()
    from sqlalchemy import func, select

    from aid.funds.models import PaymentBatch
    from aid.workflow import WorkflowStep

    return {"school_code": a1.school.code, "class_name": a1.school_class.name, "semester": str(SEMESTER),
            "application_ids": ids, "programme_id": programme.id,
            "last_step_id": db.session.execute(select(func.max(WorkflowStep.id))).scalar() or 0,
            "last_batch_id": db.session.execute(select(func.max(PaymentBatch.id))).scalar() or 0}


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
