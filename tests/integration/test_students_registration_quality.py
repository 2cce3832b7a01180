"""Electronic registration (submit / verify / return) and the data-quality page's scoping."""
from __future__ import annotations

from sqlalchemy import func, select

from aid.extensions import db
from aid.students import personal
from aid.students.models import Student
from aid.workflow import WorkflowStep
from tests.world import add_student


def _drafts(world, n=2, key="A1"):
    o = world.obj[key]
    rows = [add_student(o.school, o.school_class, f"{key}草稿{i}", registration_state="draft") for i in range(n)]
    db.session.commit()
    return rows


def test_school_submits_bureau_verifies(world, client, auth):
    a, b = _drafts(world)
    auth.login("a1_officer")
    page = client.get("/students/registration").get_data(as_text=True)
    assert "A1草稿0" in page and "报送所选学生" in page
    resp = auth.post("/students/registration/submit", {"student_id": [a.id, b.id]}, headers={"HX-Request": "true"})
    assert resp.status_code == 200 and resp.headers["HX-Redirect"].startswith("/students/registration")
    db.session.expire_all()
    assert {a.registration_state, b.registration_state} == {"submitted"}
    auth.logout()
    auth.login("a_bureau")
    page = client.get("/students/registration").get_data(as_text=True)
    assert "A1草稿0" in page and "审核通过所选学生" in page and "A1技工学校" in page
    resp = auth.post("/students/registration/verify", {"student_id": [a.id]})
    assert resp.status_code == 302
    db.session.expire_all()
    assert a.registration_state == "verified" and b.registration_state == "submitted"
    steps = db.session.execute(select(WorkflowStep).where(WorkflowStep.object_id == a.id)
                               .order_by(WorkflowStep.id)).scalars().all()
    assert [(s.action, s.role) for s in steps] == [("submit", "school_officer"), ("verify", "bureau_officer")]
    detail = client.get(f"/students/{a.id}").get_data(as_text=True)
    assert "报送注册" in detail and "审核通过" in detail


def test_return_needs_a_typed_reason(world, client, auth):
    a, = _drafts(world, 1)
    auth.login("a1_officer")
    auth.post("/students/registration/submit", {"student_id": [a.id]})
    auth.logout()
    auth.login("a_bureau")
    resp = auth.post("/students/registration/return", {"student_id": [a.id], "reason": ""},
                     headers={"HX-Request": "true"})
    assert resp.status_code == 422 and "请填写退回原因" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert a.registration_state == "submitted"
    resp = auth.post("/students/registration/return", {"student_id": [a.id], "reason": "身份证复印件不清晰"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert a.registration_state == "returned" and a.registration_note == "身份证复印件不清晰"
    auth.logout()
    auth.login("a1_officer")
    assert "身份证复印件不清晰" in client.get("/students/registration?reg=returned").get_data(as_text=True)
    auth.post("/students/registration/submit", {"student_id": [a.id]})
    db.session.expire_all()
    assert a.registration_state == "submitted"


def test_bulk_steps_ignore_records_outside_the_jurisdiction(world, client, auth):
    foreign, = _drafts(world, 1, key="B1")
    own, = _drafts(world, 1)
    auth.login("a1_officer")
    auth.post("/students/registration/submit", {"student_id": [foreign.id, own.id]})
    db.session.expire_all()
    assert foreign.registration_state == "draft" and own.registration_state == "submitted"
    foreign.registration_state = "submitted"
    db.session.commit()
    auth.logout()
    auth.login("a_bureau")
    auth.post("/students/registration/verify", {"student_id": [foreign.id, own.id]})
    db.session.expire_all()
    assert foreign.registration_state == "submitted" and own.registration_state == "verified"


def test_wrong_state_is_refused_with_a_message(world, client, auth):
    verified = world.obj["A1"].student
    auth.login("a_bureau")
    resp = auth.post("/students/registration/verify", {"student_id": [verified.id]})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "不能执行“审核通过”" in page


def test_counts_per_school_and_state(world, client, auth):
    _drafts(world, 3)
    auth.login("a_bureau")
    page = client.get("/students/registration").get_data(as_text=True)
    assert "A1技工学校" in page and "A2技工学校" in page and "B1技工学校" not in page
    assert "reg=draft&amp;mode=full_time\">3</a>" in page or ">3</a>" in page


# ---------------------------------------------------------------- data quality

def _twin(world, original: Student, key: str, name: str, mode="full_time"):
    o = world.obj[key]
    s = add_student(o.school, o.school_class, name, study_mode=mode)
    personal.set_id_number(s, personal.reveal(original, "id_number"))
    db.session.commit()
    return s


def test_school_sees_only_that_an_id_is_registered_elsewhere(world, client, auth):
    own = world.obj["A1"].student
    _twin(world, own, "A2", "他校同人")
    auth.login("a1_officer")
    html = client.get("/students/quality").get_data(as_text=True)
    assert "该身份证号已在其他学校注册" in html and "A1学生甲" in html
    assert "他校同人" not in html and "A2技工学校" not in html
    assert world.obj["A2"].student.register_no not in html


def test_bureau_sees_both_records_inside_and_counts_outside(world, client, auth):
    own = world.obj["A1"].student
    _twin(world, own, "A2", "同城同人")
    _twin(world, own, "B1", "外市同人")
    auth.login("a_bureau")
    html = client.get("/students/quality").get_data(as_text=True)
    assert "A1学生甲" in html and "同城同人" in html and "外市同人" not in html
    assert "另在辖区内其他学校注册：A2技工学校" in html and "另有1条记录在管辖范围外的学校" in html


def test_both_study_modes_in_one_school_are_flagged(world, client, auth):
    from datetime import date

    from aid.students.models import SchoolClass

    o = world.obj["A1"]
    pt = SchoolClass(school_id=o.school.id, major_id=o.major.id, name="A1非全日制班", intake_date=date(2024, 9, 1),
                     study_mode="part_time")
    db.session.add(pt)
    db.session.commit()
    s = add_student(o.school, pt, "双注册", study_mode="part_time")
    personal.set_id_number(s, personal.reveal(o.student, "id_number"))
    db.session.commit()
    auth.login("a1_officer")
    html = client.get("/students/quality").get_data(as_text=True)
    assert "本校另一学习形式也有注册" in html and "双注册" in html


def test_missing_card_class_and_archive_items(world, client, auth):
    o = world.obj["A1"]
    add_student(o.school, o.school_class, "无卡学生", card=False)
    nocls = add_student(o.school, o.school_class, "未分班学生")
    nocls.class_id = None
    db.session.commit()
    auth.login("a1_officer")
    auth.post(f"/students/{o.student.id}/archive", {"state_hukou_copy": "missing"})
    html = client.get("/students/quality").get_data(as_text=True)
    assert "无卡学生" in html and "未分班学生" in html and "户口簿复印件缺失" in html
    assert "没有任何资助申请或决定" in html


def test_quality_export_is_scoped_and_masked(world, client, auth):
    import io

    from openpyxl import load_workbook

    own = world.obj["A1"].student
    twin = _twin(world, own, "A2", "他校同人")
    auth.login("a1_officer")
    resp = client.get("/students/quality/export")
    assert resp.status_code == 200 and "filename=student_data_quality_" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.data))
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    assert "该身份证号已在其他学校注册" in text and own.id_number_masked in text
    assert personal.reveal(own, "id_number") not in text and "他校同人" not in text and twin.register_no not in text
    assert not any(c.data_type == "f" for ws in wb for row in ws.iter_rows() for c in row)


# ---------------------------------------------------------------- stored ID check (issue 9)

def _bad_id(number: str) -> str:
    """The same number with a wrong check digit."""
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def test_a_bad_id_written_shows_on_the_quality_page_until_it_is_corrected(world, client, auth):
    o = world.obj["A1"]
    s = add_student(o.school, o.school_class, "错号学生", registration_state="draft")
    good = personal.reveal(s, "id_number")
    personal.set_id_number(s, _bad_id(good))  # e.g. a record carried over from an older register
    db.session.commit()
    assert s.id_number_problem == "身份证号码校验位错误"
    auth.login("a1_officer")
    html = client.get("/students/quality").get_data(as_text=True)
    assert "错号学生" in html and "身份证号码校验位错误" in html
    resp = auth.post(f"/students/{s.id}/edit", {
        "version": s.version, "register_no": s.register_no, "name": s.name, "id_number": good,
        "gender": s.gender, "birth_date": s.birth_date.isoformat(), "ethnicity": "汉族", "household": "rural",
        "class_id": s.class_id, "aid_card_kind": "aid_card", "aid_card": "", "keep_card": "1",
        "phone": "13912345678", "address": "某地"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert s.id_number_problem is None
    html = client.get("/students/quality").get_data(as_text=True)
    assert "错号学生" not in html and "身份证号码校验位错误" not in html


def test_a_birth_date_at_odds_with_the_id_is_stored_and_listed_for_the_bureau(world, client, auth):
    from datetime import date

    o = world.obj["A2"]
    s = add_student(o.school, o.school_class, "生日不符")
    s.birth_date = date(2008, 6, 1)
    personal.check_id_number(s)  # the check follows a change of birth date or gender
    db.session.commit()
    auth.login("a_bureau")
    html = client.get("/students/quality").get_data(as_text=True)
    assert "生日不符" in html and "出生日期2008-06-01与身份证号码中的出生日期2008-05-17不一致" in html


def test_the_migration_fills_the_check_for_existing_records(world):
    import importlib.util
    from pathlib import Path

    from sqlalchemy import update

    from aid.core.protected import cipher

    path = next((Path(__file__).resolve().parents[2] / "migrations" / "versions").glob("*_id_number_problem.py"))
    spec = importlib.util.spec_from_file_location("migration_id_number_problem", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    bad = world.obj["A1"].student
    other = world.obj["B1"].student
    # records as they were before the column existed: a bad ID sealed directly, nothing stored
    db.session.execute(update(Student).where(Student.id == bad.id).values(
        id_number_enc=cipher().encrypt(_bad_id(personal.reveal(bad, "id_number")))))
    db.session.execute(update(Student).values(id_number_problem=None))
    db.session.commit()
    assert migration.fill(db.session.connection()) == 1
    db.session.commit()
    db.session.expire_all()
    assert bad.id_number_problem == "身份证号码校验位错误" and other.id_number_problem is None
    assert db.session.scalar(select(func.count()).where(Student.id_number_problem.is_not(None))) == 1


def test_a_wide_jurisdiction_chooses_a_school_for_the_scanning_sections(world, client, auth, monkeypatch):
    from aid.students import quality

    o = world.obj["B1"]
    s = add_student(o.school, o.school_class, "外市错号")
    personal.set_id_number(s, _bad_id(personal.reveal(s, "id_number")))
    _twin(world, world.obj["A1"].student, "A2", "同城同人")
    db.session.commit()
    monkeypatch.setattr(quality, "WIDE_SCOPE_SCHOOLS", 2)
    auth.login("p_admin")
    html = client.get("/students/quality").get_data(as_text=True)
    assert "范围内学校超过2所，请先选择学校查看此项" in html and "同城同人" not in html
    assert "外市错号" in html and "身份证号码校验位错误" in html  # indexed sections still answer
    html = client.get(f"/students/quality?school_id={world.obj['A2'].school.id}").get_data(as_text=True)
    assert "同城同人" in html and "范围内学校超过" not in html


def test_the_page_lists_a_page_of_each_section_and_the_export_more(world, client, auth, monkeypatch):
    import io

    from openpyxl import load_workbook

    from aid.students import quality

    o = world.obj["A1"]
    for i in range(2):
        add_student(o.school, o.school_class, f"无卡{i}", card=False)
    db.session.commit()
    monkeypatch.setattr(quality, "PAGE_LIMIT", 1)
    auth.login("a1_officer")
    html = client.get("/students/quality").get_data(as_text=True)
    assert ("无卡0" in html) != ("无卡1" in html) and "仅显示前 1 条" in html
    wb = load_workbook(io.BytesIO(client.get("/students/quality/export").data))
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    assert "无卡0" in text and "无卡1" in text
