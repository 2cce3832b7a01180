"""应助尽助 found in SQL: the latest determination of the school year counts, categories are
matched as whole codes, the count covers every finding while only `limit` rows are loaded."""
from __future__ import annotations

import json

from aid.extensions import db
from aid.hardship import service as hardship
from aid.hardship.models import HardshipApplication
from tests.integration.test_aid_services import SEM, determine
from tests.world import add_student


def _row(student, semester, categories, state, level=""):
    app = HardshipApplication(school_id=student.school_id, student_id=student.id,
                              school_year=hardship.school_year_key(semester), semester=str(semester),
                              categories=json.dumps(categories), state=state, level=level)
    db.session.add(app)
    db.session.flush()
    return app


def test_the_latest_determination_of_the_school_year_decides(world):
    w = world
    o = w.obj["A1"]
    student = add_student(o.school, o.school_class, "A1学生丙")
    _row(student, SEM, ["orphan"], "filed", "一般困难")           # autumn: determined, no aid
    _row(student, SEM.next(), ["orphan"], "submitted")            # spring adjustment not finished
    officer = w.users["school_officer"]
    autumn = {r.student.id: r.problem for r in hardship.coverage_report(officer, SEM)}
    spring = {r.student.id: r.problem for r in hardship.coverage_report(officer, SEM.next())}
    assert "没有获批的资助" in autumn[student.id]
    assert "尚未完成认定" in spring[student.id]


def test_only_whole_priority_codes_match(world):
    w = world
    o = w.obj["A1"]
    other = add_student(o.school, o.school_class, "A1学生丁")
    near = add_student(o.school, o.school_class, "A1学生戊")
    mixed = add_student(o.school, o.school_class, "A1学生己")
    _row(other, SEM, ["other"], "filed", "一般困难")               # not a priority category
    _row(near, SEM, ["orphan_like", "xorphan"], "submitted")      # no code is "orphan" itself
    _row(mixed, SEM, ["other", "martyr_child"], "filed", "不困难")
    rows = hardship.coverage_report(w.users["school_officer"], SEM)
    found = {r.student.id: r for r in rows}
    assert set(found) == {mixed.id}
    assert found[mixed.id].categories == ["烈士子女"]
    assert found[mixed.id].problem == "认定为不困难（未填写理由）"


def test_count_covers_all_findings_and_rows_follow_school_class_name(world):
    w = world
    o = w.obj["A1"]
    names = ["A1学生庚", "A1学生辛", "A1学生壬"]
    students = [add_student(o.school, o.school_class, n) for n in names]
    for s in students:
        _row(s, SEM, ["minimum_living"], "submitted")
    determine(w, w.obj["A1b"].student, level="一般困难")
    total, rows = hardship.coverage_page(w.users["province_admin"], SEM, limit=2)
    assert total == 4
    assert len(rows) == 2
    everything = hardship.coverage_report(w.users["province_admin"], SEM)
    assert len(everything) == 4
    assert [r.student.id for r in rows] == [r.student.id for r in everything[:2]]
    keys = [(r.student.school_id, r.student.class_id or 0, r.student.name_sort) for r in everything]
    assert keys == sorted(keys)


def test_a_jurisdiction_of_many_schools_checks_one_school_at_a_time(world, client, auth, monkeypatch):
    from aid.hardship import views

    w = world
    a1, b1 = w.obj["A1"], w.obj["B1"]
    mine = add_student(a1.school, a1.school_class, "A1学生癸")
    theirs = add_student(b1.school, b1.school_class, "B1学生甲")
    _row(mine, SEM, ["orphan"], "submitted")
    _row(theirs, SEM, ["orphan"], "submitted")
    db.session.commit()
    monkeypatch.setattr(views, "COVERAGE_ALL_SCHOOLS_UP_TO", 1)
    auth.login("p_admin")
    page = client.get(f"/hardship/coverage?semester={SEM}").get_data(as_text=True)
    assert "请先选择学校" in page and "A1学生癸" not in page and "B1学生甲" not in page
    one = client.get(f"/hardship/coverage?semester={SEM}&school_id={a1.school.id}",
                     headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "A1学生癸" in one and "B1学生甲" not in one and "共 <strong>1</strong> 人" in one
