"""Bench data: hardship determinations of the current semester for about a fifth of
the full-time students, in every state (mostly filed); bulk inserts. The determined
levels are handed to the applications step (ctx.shared["hardship_levels"])."""
import json

from sqlalchemy import insert

from aid.extensions import db
from aid.hardship.models import HardshipApplication
from aid.hardship.service import DEFAULT_CATEGORIES, FamilyMember
from aid.programmes.semesters import Semester

STATE_WEIGHTS = {"filed": 60, "noticed": 6, "on_notice": 6, "determined": 6, "class_reviewed": 6,
                 "submitted": 6, "returned": 4, "draft": 6}
DETERMINED = {"determined", "on_notice", "noticed", "filed"}
LEVELS = ("特别困难", "比较困难", "一般困难")
CATEGORIES = tuple(code for code, *_ in DEFAULT_CATEGORIES)
FAMILY = json.dumps([FamilyMember("父亲", "王建国", 46, "务农", 1200000).as_dict(),
                     FamilyMember("母亲", "李秀英", 44, "务工", 1800000).as_dict()], ensure_ascii=False)


def bench_step(ctx) -> None:
    rng = ctx.rng
    states, weights = zip(*STATE_WEIGHTS.items())
    year = Semester.parse(ctx.semester).school_year_start
    officer = ctx.users["school_officer"].id
    levels, rows = {}, []
    for sid, school_id, _class, mode, status, _intake, _tuition in ctx.students():
        if mode != "full_time" or status != "在籍" or rng.random() >= 0.2:
            continue
        state = rng.choices(states, weights)[0]
        level = rng.choices(LEVELS, (2, 4, 4))[0] if state in DETERMINED else ""
        if level:
            levels[sid] = level
        rows.append(dict(school_id=school_id, student_id=sid, school_year=f"{year}-{year + 1}",
                         semester=ctx.semester, categories=json.dumps([rng.choice(CATEGORIES)]), family_json=FAMILY,
                         circumstances="父母务农，收入微薄，家中有两名子女上学。", state=state,
                         class_opinion="经班级评议小组评议，情况属实。" if state not in ("draft", "submitted") else "",
                         level=level, created_by=officer, version=1))
        if len(rows) >= 5000:
            db.session.execute(insert(HardshipApplication), rows)
            rows = []
    if rows:
        db.session.execute(insert(HardshipApplication), rows)
    ctx.shared["hardship_levels"] = levels
