"""应助尽助 lines are read as plain columns (no student or determination records): each line must
show what the records say, and the page must show the lines in the report's order."""
from __future__ import annotations

import re

from aid.extensions import db
from aid.hardship import service as hardship
from aid.hardship.models import HardshipApplication
from aid.students.models import Student
from tests.integration.test_aid_coverage_sql import _row
from tests.integration.test_aid_services import SEM
from tests.world import add_student


def _findings(world):
    w = world
    a1, a2 = w.obj["A1"], w.obj["A2"]
    made = [
        _row(add_student(a1.school, a1.school_class, "A1未认定"), SEM, ["orphan"], "submitted"),
        _row(add_student(a1.school, a1.school_class, "A1不困难"), SEM, ["martyr_child", "other"], "filed", "不困难"),
        _row(add_student(a2.school, a2.school_class, "A2无资助"), SEM, ["minimum_living"], "filed", "一般困难"),
    ]
    made[1].level_reason = "家庭收入高于当地标准"
    loose = add_student(a2.school, a2.school_class, "A2无班级")
    loose.class_id = None
    made.append(_row(loose, SEM, ["orphan"], "draft"))
    db.session.commit()
    return made


def test_coverage_lines_show_what_the_records_say(world):
    _findings(world)
    total, rows = hardship.coverage_page(world.users["province_admin"], SEM)
    assert total == len(rows) == 4
    for r in rows:
        student = db.session.get(Student, r.student.id)
        record = db.session.get(HardshipApplication, r.application.id)
        assert (r.student.name, r.student.school_id, r.student.class_id, r.student.name_sort) == \
            (student.name, student.school_id, student.class_id, student.name_sort)
        assert r.student.school_name == student.school.name
        assert r.student.class_name == (student.school_class.name if student.school_class else "")
        assert (r.application.student_id, r.application.state, r.application.level, r.application.level_reason) == \
            (student.id, record.state, record.level, record.level_reason)
    problems = {r.student.name: r.problem for r in rows}
    assert problems["A1不困难"] == "认定为不困难：家庭收入高于当地标准"
    assert problems["A1未认定"].startswith("尚未完成认定")
    assert "没有获批的资助" in problems["A2无资助"]
    assert {r.student.name: r.categories for r in rows}["A1不困难"] == ["烈士子女"]


def test_the_page_lists_the_report_in_its_order(world, client, auth):
    _findings(world)
    rows = hardship.coverage_report(world.users["bureau_officer"], SEM)
    auth.login("a_bureau")
    page = client.get(f"/hardship/coverage?semester={SEM}").get_data(as_text=True)
    shown = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", page)
    assert shown == [(r.student.school_name, r.student.class_name, r.student.name) for r in rows]
    assert ("A2技工学校", "", "A2无班级") in shown and len(shown) == 4
    assert f"共 <strong>{len(rows)}</strong> 人需要关注" in page
