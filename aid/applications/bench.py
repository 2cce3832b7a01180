"""Bench data: about two applications per student — the current semester in every
state (the queues' work) and the semester before, mostly paid — plus a few
scholarship recommendations; bulk inserts, no per-row workflow history."""
from sqlalchemy import insert, select

from aid.applications.models import Application
from aid.extensions import db
from aid.programmes.defaults import DEFAULT_GRANT_LEVELS
from aid.programmes.models import ProgrammeVersion
from aid.programmes.semesters import Semester
from aid.programmes.service import programme_by_code

CURRENT = {"draft": 8, "submitted": 14, "returned": 3, "reviewed": 12, "rejected": 2, "school_approved": 12,
           "on_notice": 6, "noticed": 14, "bureau_approved": 9, "disbursed": 20}
PREVIOUS = {"disbursed": 80, "bureau_approved": 8, "noticed": 4, "rejected": 5, "returned": 3}
GRANT_ANNUAL = {level.name: level.annual_fen for level in DEFAULT_GRANT_LEVELS}
LOWEST = DEFAULT_GRANT_LEVELS[-1].name
SCHOLARSHIP_FEN = 600000


def _version_for(programme, semester: Semester) -> int:
    return db.session.scalar(select(ProgrammeVersion.id).where(
        ProgrammeVersion.programme_id == programme.id, ProgrammeVersion.valid_from_ordinal <= semester.ordinal)
        .order_by(ProgrammeVersion.valid_from_ordinal.desc()).limit(1))


def bench_step(ctx) -> None:
    rng = ctx.rng
    current = Semester.parse(ctx.semester)
    previous = Semester(current.year, "spring") if current.term == "autumn" else Semester(current.year - 1, "autumn")
    waiver, grant = programme_by_code("tuition_waiver"), programme_by_code("national_grant")
    scholarship = programme_by_code("national_scholarship")
    versions = {(p.id, s): _version_for(p, s) for p in (waiver, grant, scholarship) for s in (current, previous)}
    levels = ctx.shared.get("hardship_levels", {})
    officer = ctx.users["school_officer"].id
    cur_states, cur_weights = zip(*CURRENT.items())
    prev_states, prev_weights = zip(*PREVIOUS.items())
    rows, total = [], 0

    def add(student_id, school_id, programme, semester, state, level, amount):
        nonlocal rows, total
        rows.append(dict(school_id=school_id, student_id=student_id, programme_id=programme.id,
                         programme_version_id=versions[(programme.id, semester)], semester=str(semester),
                         level=level, amount_fen=amount, state=state, note="", created_by=officer, version=1))
        if len(rows) >= 10000:
            db.session.execute(insert(Application), rows)
            total, rows = total + len(rows), []

    for sid, school_id, _class, mode, _status, intake, tuition in ctx.students():
        level = levels.get(sid, LOWEST)
        grant_fen = GRANT_ANNUAL.get(level, GRANT_ANNUAL[LOWEST]) // 2
        add(sid, school_id, waiver, current, rng.choices(cur_states, cur_weights)[0], "", tuition // 2)
        if intake <= previous.start_date:
            # enrolled before this school year: last semester's application, mostly paid
            programme = grant if mode == "full_time" and rng.random() < 0.5 else waiver
            add(sid, school_id, programme, previous, rng.choices(prev_states, prev_weights)[0],
                level if programme is grant else "", grant_fen if programme is grant else tuition // 2)
            if rng.random() < 0.005:
                add(sid, school_id, scholarship, current, rng.choices(cur_states, cur_weights)[0], "",
                    SCHOLARSHIP_FEN)
        elif mode == "full_time":
            add(sid, school_id, grant, current, rng.choices(cur_states, cur_weights)[0], level, grant_fen)
    if rows:
        db.session.execute(insert(Application), rows)
        total += len(rows)
    ctx.shared["applications"] = total
