"""Bench data: about twenty status changes per school over the last four months,
in every state; open ones past their stored deadline show as overdue."""
from datetime import datetime, timedelta

from sqlalchemy import insert

from aid.changes.models import CHANGE_KINDS, StatusChange
from aid.changes.service import stored_deadline
from aid.extensions import db
from aid.timeutil import local_today

PER_SCHOOL = 20
STATES = {"recorded": 20, "returned": 5, "school_approved": 15, "approved": 48, "cancelled": 5}
TRANSFER_STATES = {"awaiting_receiver": 40, "approved": 40, "declined": 20}
REASONS = {"suspend": "因病休学一年", "resume": "休学期满复学", "withdraw": "本人申请退学", "transfer": "随父母工作调动转学",
           "repeat": "成绩不合格留级", "military": "应征入伍", "switch_class": "本人申请转专业"}


def bench_step(ctx) -> None:
    rng = ctx.rng
    today = local_today()
    officer = ctx.users["school_officer"].id
    by_school: dict[int, list] = {}
    for row in ctx.students():
        by_school.setdefault(row.school_id, []).append(row)
    kinds = list(CHANGE_KINDS)
    states, weights = zip(*STATES.items())
    t_states, t_weights = zip(*TRANSFER_STATES.items())
    deadlines: dict = {}
    rows = []
    for school_id, students in by_school.items():
        for student in rng.sample(students, k=min(PER_SCHOOL, len(students))):
            kind = rng.choice(kinds)
            transfer = kind == "transfer"
            state = rng.choices(t_states, t_weights)[0] if transfer else rng.choices(states, weights)[0]
            happened = today - timedelta(days=rng.randint(1, 120))
            if happened not in deadlines:
                deadlines[happened] = stored_deadline(happened)
            processed = happened + timedelta(days=rng.randint(1, 25)) if state not in (
                "recorded", "returned", "cancelled") else None
            if processed and processed > today:
                processed = today
            rows.append(dict(
                school_id=school_id, student_id=student.id, kind=kind, happened_on=happened, reason=REASONS[kind],
                from_class_id=student.class_id,
                target_school_id=rng.choice([s for s in ctx.school_ids if s != school_id]) if transfer else None,
                status_before="在籍", state=state, school_processed_on=processed, deadline=deadlines[happened],
                completed_at=datetime.combine(processed, datetime.min.time()) if state == "approved" else None,
                recorded_by=officer, version=1))
    db.session.execute(insert(StatusChange), rows)
