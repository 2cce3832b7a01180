"""A student applies for the hardship determination through the form; bad input changes nothing."""
from sqlalchemy import func, select

from aid.extensions import db
from aid.hardship.models import HardshipApplication
from aid.programmes import service as programmes


def _form(**over):
    data = {"semester": "2025-autumn", "categories": ["orphan"], "circumstances": "父母双亡，由祖母抚养。",
            "declaration": "y", "members-0-relation": "祖母", "members-0-name": "李某", "members-0-age": "70",
            "members-0-occupation": "无业", "members-0-income_yuan": "3600.50"}
    data.update(over)
    return data


def _count():
    return db.session.scalar(select(func.count()).select_from(HardshipApplication))


def test_student_applies_with_family_income_and_declaration(world, client, auth):
    auth.login("a1_student")
    before = _count()
    resp = auth.post("/hardship/new", _form(categories=["no_such_category"]), token_from="/hardship/new")
    assert resp.status_code == 422 and _count() == before
    resp = auth.post("/hardship/new", _form(circumstances=""), token_from="/hardship/new")
    assert resp.status_code == 422 and "请填写家庭经济困难情况说明" in resp.get_data(as_text=True)
    resp = auth.post("/hardship/new", _form(), token_from="/hardship/new")
    assert resp.status_code == 302
    app = db.session.execute(select(HardshipApplication).where(HardshipApplication.semester == "2025-autumn")).scalar_one()
    assert app.student_id == world.obj["A1"].student.id and app.declaration_signed_at is not None
    assert '"annual_income_fen": 360050' in app.family_json
    again = auth.post("/hardship/new", _form(), token_from="/hardship/new")
    assert again.status_code == 422 and "不能重复申请" in again.get_data(as_text=True)
    page = client.get(f"/hardship/{app.id}").get_data(as_text=True)
    assert "孤儿" in page and "3,600.50" in page and "提交认定申请" in page


def test_officer_applies_for_a_student_of_the_school_only(world, client, auth):
    auth.login("a1_officer")
    foreign = world.obj["A2"].student.register_no
    resp = auth.post("/hardship/new", _form(register_no=foreign), token_from="/hardship/new")
    assert resp.status_code == 422 and "本校没有该学籍号的学生" in resp.get_data(as_text=True)
    resp = auth.post("/hardship/new", _form(register_no=world.obj["A1b"].student.register_no), token_from="/hardship/new")
    assert resp.status_code == 302


def test_bureau_sets_scholarship_quotas_for_its_schools(world, client, auth):
    auth.login("a_bureau")
    page = client.get("/programmes/quotas?semester=2025-autumn").get_data(as_text=True)
    a1, b1 = world.schools["A1"], world.schools["B1"]
    assert f"quota_{a1.id}" in page and f"quota_{b1.id}" not in page
    resp = auth.post("/programmes/quotas?semester=2025-autumn", {f"quota_{a1.id}": "abc"})
    assert resp.status_code == 422 and "非负整数" in resp.get_data(as_text=True)
    resp = auth.post("/programmes/quotas?semester=2025-autumn", {f"quota_{a1.id}": "4", f"quota_{b1.id}": "9"})
    assert resp.status_code == 302
    scholarship = programmes.programme_by_code("national_scholarship")
    assert programmes.quota_for(scholarship, a1.id, programmes.Semester(2025, "autumn")) == 4
    assert programmes.quota_for(scholarship, b1.id, programmes.Semester(2025, "autumn")) is None
