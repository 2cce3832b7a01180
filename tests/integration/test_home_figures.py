"""The register figures on the home pages: students per study mode and registration state,
inside the user's jurisdiction only (one grouped query shared by the page and its panel)."""
from __future__ import annotations

import re

from sqlalchemy import select

from aid.extensions import db
from aid.students.models import Student
from tests.conftest import Auth
from tests.world import add_student


def figure(html: str, label: str) -> int:
    m = re.search(r'<span class="label">' + re.escape(label) + r'</span><strong>(\d+)</strong>', html)
    assert m, f"{label} not on the page"
    return int(m.group(1))


def expected(school_ids, **where) -> int:
    return sum(1 for s in db.session.execute(select(Student)).scalars()
               if s.school_id in school_ids and all(getattr(s, k) == v for k, v in where.items()))


def test_home_figures_follow_the_jurisdiction(app, world):
    a1, a2, b1 = world.obj["A1"], world.obj["A2"], world.obj["B1"]
    add_student(a2.school, a2.school_class, "非全日制甲", study_mode="part_time", registration_state="submitted")
    add_student(a1.school, a1.school_class, "待报送甲", registration_state="draft")
    add_student(a1.school, a1.school_class, "已退回甲", registration_state="returned")
    add_student(b1.school, b1.school_class, "乙市非全日制", study_mode="part_time", registration_state="submitted")
    db.session.commit()
    city_a = {a1.school.id, a2.school.id}

    bureau = Auth(app.test_client())
    bureau.login(world.user("bureau_officer").username)
    html = bureau.client.get("/home").get_data(as_text=True)
    assert figure(html, "全日制在册学生") == expected(city_a, study_mode="full_time") >= 4
    assert figure(html, "非全日制在册学生") == expected(city_a, study_mode="part_time") >= 1
    assert figure(html, "待审核电子注册") == expected(city_a, registration_state="submitted") >= 1

    province = Auth(app.test_client())
    province.login(world.user("province_admin").username)
    html = province.client.get("/home").get_data(as_text=True)
    assert figure(html, "非全日制在册学生") == expected(city_a | {b1.school.id}, study_mode="part_time") >= 2

    officer = Auth(app.test_client())
    officer.login(world.user("school_officer").username)
    html = officer.client.get("/home").get_data(as_text=True)
    assert figure(html, "全日制学生") == expected({a1.school.id}, study_mode="full_time") >= 4
    assert figure(html, "非全日制学生") == expected({a1.school.id}, study_mode="part_time")
    assert figure(html, "待报送注册") == expected({a1.school.id}, registration_state="draft") >= 1
    assert figure(html, "被退回注册") == expected({a1.school.id}, registration_state="returned") >= 1
