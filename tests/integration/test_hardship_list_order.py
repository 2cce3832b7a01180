"""The determinations list filtered by state keeps its order (newest semester, then school, class and
name) for the province, a bureau and a school officer, whichever index each reads, and pages
through every row exactly once."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import insert, select

from aid.auth.models import User
from aid.extensions import db
from aid.hardship import service, views
from aid.hardship.models import HardshipApplication
from aid.scoping import scope
from aid.students.models import SchoolClass, Student
from tests.world import add_student

SEMESTERS = ("2024-autumn", "2025-autumn", "2025-spring")
STATES = ("filed", "draft", "filed", "submitted")


def _fill(world) -> None:
    """Determinations in three semesters for students of two classes in four schools, in an order
    unrelated to the list's (ids interleave schools, classes and names)."""
    rows, n = [], 0
    for key in ("B1", "A2", "A1", "Z1"):
        o = world.obj[key]
        second = SchoolClass(school_id=o.school.id, major_id=o.major.id, name=f"{key}2024级2班",
                             intake_date=date(2024, 9, 1))
        db.session.add(second)
        db.session.flush()
        students = [add_student(o.school, cls, f"{key}{cls.id}{name}")
                    for cls in (second, o.school_class) for name in ("丙", "甲", "乙")]
        for semester in SEMESTERS:
            for s in reversed(students):
                n += 1
                rows.append(dict(school_id=s.school_id, student_id=s.id, school_year="2024-2025",
                                 semester=semester, categories="[]", family_json="[]", circumstances="",
                                 state=STATES[n % len(STATES)], class_opinion="", level="", level_reason="",
                                 version=1))
    db.session.execute(insert(HardshipApplication), rows)
    db.session.commit()


def _expected(user, state: str) -> list[int]:
    """The list's order computed in Python from the jurisdiction's rows in that state."""
    rows = db.session.execute(scope(
        select(HardshipApplication.id, HardshipApplication.semester, HardshipApplication.school_id,
               Student.class_id, Student.name_sort).join(Student, Student.id == HardshipApplication.student_id)
        .where(HardshipApplication.state == state), HardshipApplication, user)).all()
    ordered = sorted(rows, key=lambda r: (r.school_id, r.class_id, r.name_sort))
    ordered.sort(key=lambda r: r.semester, reverse=True)  # stable: semester DESC, then the rest ascending
    return [r.id for r in ordered]


@pytest.mark.parametrize("username", ["p_admin", "a_bureau", "a1_officer", "a1_leader"])
def test_the_list_filtered_by_state_is_in_the_lists_order(world, username):
    _fill(world)
    user = db.session.execute(select(User).where(User.username == username)).scalar_one()
    for state in ("filed", "draft"):
        listed = list(db.session.scalars(service.list_stmt(user, state=state).with_only_columns(HardshipApplication.id)))
        expected = _expected(user, state)
        assert listed == expected and len(expected) >= 6
        for semester in SEMESTERS[:2]:
            listed = list(db.session.scalars(service.list_stmt(user, state=state, semester=semester)
                                             .with_only_columns(HardshipApplication.id)))
            kept = set(db.session.scalars(select(HardshipApplication.id).where(HardshipApplication.semester == semester)))
            assert listed == [i for i in expected if i in kept]


@pytest.mark.parametrize("username", ["p_admin", "a1_officer"])
def test_the_pages_show_each_row_once_in_order(world, client, auth, monkeypatch, username):
    _fill(world)
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    user = db.session.execute(select(User).where(User.username == username)).scalar_one()
    expected = _expected(user, "filed")
    names = dict(db.session.execute(select(HardshipApplication.id, Student.name)
                                    .join(Student, Student.id == HardshipApplication.student_id)).all())
    auth.login(username)
    shown, page = [], 1
    while True:
        part = client.get(f"/hardship/?state=filed&page={page}", headers={"HX-Request": "true"}).get_data(as_text=True)
        shown += re.findall(r"<td>([^<]+)</td>\s*<td>(?:<span class=\"badge warn\">是</span>)?</td>", part)
        if "下一页" not in part:
            break
        page += 1
    assert shown == [names[i] for i in expected]


def test_the_list_marks_priority_categories(world, client, auth):
    o = world.obj["A1"]
    other = add_student(o.school, o.school_class, "其他类别丁")
    db.session.execute(insert(HardshipApplication), [dict(
        school_id=o.school.id, student_id=other.id, school_year="2025-2026", semester="2026-spring",
        categories='["other"]', family_json="[]", circumstances="", state="draft", class_opinion="", level="",
        level_reason="", version=1)])
    db.session.commit()
    auth.login("a1_officer")
    part = client.get("/hardship/?state=draft", headers={"HX-Request": "true"}).get_data(as_text=True)
    flags = dict(re.findall(r"<td>([^<]+)</td>\s*<td>(<span class=\"badge warn\">是</span>)?</td>", part))
    assert flags[o.student.name] and not flags["其他类别丁"]  # 最低生活保障家庭学生 is a priority group
