"""Authorities, schools and users: managed inside the jurisdiction only."""
from sqlalchemy import select

from aid.auth.models import User
from aid.extensions import db
from aid.org.models import Authority, School
from tests.conftest import csrf_from, login_client


def _form(client, path):
    return csrf_from(client.get(path).get_data(as_text=True))


def test_province_admin_creates_a_county_bureau(world, app):
    c = login_client(app, "p_admin")
    resp = c.post("/org/authorities", data={"csrf_token": _form(c, "/org/authorities"), "name": "甲市丙县人社局",
                                             "level": "county", "parent_id": world.authorities["A"].id})
    assert resp.status_code == 302
    county = db.session.scalar(select(Authority).where(Authority.name == "甲市丙县人社局"))
    assert county.parent_id == world.authorities["A"].id


def test_county_under_province_is_refused(world, app):
    c = login_client(app, "p_admin")
    resp = c.post("/org/authorities", data={"csrf_token": _form(c, "/org/authorities"), "name": "错误县",
                                             "level": "county", "parent_id": world.authorities["P"].id})
    assert "县（区）人社局的上级必须是设区市人社局" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Authority).where(Authority.name == "错误县")) is None


def test_bureau_cannot_put_a_school_under_another_city(world, app):
    c = login_client(app, "a_bureau")
    page = c.get("/org/schools/new").get_data(as_text=True)
    assert "乙市人社局" not in page  # not offered
    resp = c.post("/org/schools/new", data={"csrf_token": csrf_from(page), "code": "X9", "name": "越权学校",
                                            "kind": "技工学校", "ownership": "public",
                                            "authority_id": world.authorities["B"].id})
    assert resp.status_code == 400
    assert db.session.scalar(select(School).where(School.code == "X9")) is None


def test_invalid_credit_code_is_refused_field_by_field(world, app):
    c = login_client(app, "a_bureau")
    resp = c.post("/org/schools/new", data={"csrf_token": _form(c, "/org/schools/new"), "code": "X10",
                                            "name": "新学校", "kind": "技工学校", "ownership": "public",
                                            "authority_id": world.authorities["A"].id,
                                            "credit_code": "91350100M000100Y44"})
    assert resp.status_code == 400 and "统一社会信用代码无效" in resp.get_data(as_text=True)


def test_over_long_name_is_refused(world, app):
    c = login_client(app, "a_bureau")
    resp = c.post("/org/schools/new", data={"csrf_token": _form(c, "/org/schools/new"), "code": "X11",
                                            "name": "长" * 300, "kind": "技工学校", "ownership": "public",
                                            "authority_id": world.authorities["A"].id})
    assert resp.status_code == 400 and "学校名称不能超过100字" in resp.get_data(as_text=True)
    assert db.session.scalar(select(School).where(School.code == "X11")) is None


def test_bureau_creates_school_accounts_only(world, app):
    c = login_client(app, "a_bureau")
    token = _form(c, "/org/users/new")
    resp = c.post("/org/users/new", data={"csrf_token": token, "username": "sneaky", "display_name": "越权",
                                          "role": "province_admin", "school_id": 0, "authority_id": 0})
    assert resp.status_code == 400
    assert db.session.scalar(select(User).where(User.username == "sneaky")) is None
    resp = c.post("/org/users/new", data={"csrf_token": token, "username": "b_officer", "display_name": "外校",
                                          "role": "school_officer", "school_id": world.schools["B1"].id,
                                          "authority_id": 0})
    assert resp.status_code == 400
    assert db.session.scalar(select(User).where(User.username == "b_officer")) is None


def test_school_search_is_an_htmx_partial_and_scoped(world, app):
    c = login_client(app, "a_bureau")
    partial = c.get("/org/schools?q=A", headers={"HX-Request": "true"})
    html = partial.get_data(as_text=True)
    assert "<html" not in html and "A1技工学校" in html and "B1技工学校" not in html
    full = c.get("/org/schools?q=A").get_data(as_text=True)
    assert "<html" in full and "A2技工学校" in full
