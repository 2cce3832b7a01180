"""Student register views: list, search, filters, partials, detail, edit, reveal,
study mode, majors and classes, archive checklist, export."""
from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from aid.audit.models import AuditEvent
from aid.extensions import db
from aid.students import personal
from aid.students.models import ArchiveItem, Major, SchoolClass, Student
from tests.world import add_student


def _part_time_class(world, key="A1"):
    o = world.obj[key]
    cls = SchoolClass(school_id=o.school.id, major_id=o.major.id, name=f"{key}非全日制班", intake_date=date(2024, 9, 1),
                      study_mode="part_time")
    db.session.add(cls)
    db.session.commit()
    return cls


def test_list_shows_own_school_with_separate_mode_tabs(world, client, auth):
    pt = _part_time_class(world)
    add_student(world.schools["A1"], pt, "非全日制丙", study_mode="part_time")
    db.session.commit()
    auth.login("a1_officer")
    html = client.get("/students/").get_data(as_text=True)
    assert "A1学生甲" in html and "A1学生乙" in html and "A2学生甲" not in html
    assert "非全日制丙" not in html
    assert "全日制（<span id=\"count-full_time\">2</span>）" in html
    assert "非全日制（<span id=\"count-part_time\">1</span>）" in html
    part = client.get("/students/?mode=part_time").get_data(as_text=True)
    assert "非全日制丙" in part and "A1学生甲" not in part


def test_search_by_name_register_no_and_exact_id(world, client, auth):
    auth.login("a1_officer")
    s = world.obj["A1"].student
    other = world.obj["A1b"].student
    by_name = client.get("/students/?q=A1学生甲", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "A1学生甲" in by_name and "A1学生乙" not in by_name
    assert "<html" not in by_name  # the partial only
    by_no = client.get(f"/students/?q={s.register_no}").get_data(as_text=True)
    assert "A1学生甲" in by_no and "<html" in by_no
    full_id = personal.reveal(other, "id_number")
    by_id = client.get(f"/students/?q={full_id}").get_data(as_text=True)
    assert "A1学生乙" in by_id and "A1学生甲" not in by_id
    assert full_id not in by_id and "按身份证号码" in by_id  # links carry the keyed hash, never the ID
    foreign_id = personal.reveal(world.obj["A2"].student, "id_number")
    assert "A2学生甲" not in client.get(f"/students/?q={foreign_id}").get_data(as_text=True)


def test_filters_sorting_and_pages(world, client, auth):
    o = world.obj["A1"]
    other_class = SchoolClass(school_id=o.school.id, major_id=o.major.id, name="A1二年级班",
                              intake_date=date(2024, 9, 1))
    db.session.add(other_class)
    db.session.commit()
    add_student(o.school, other_class, "二年级丁", registration_state="draft")
    db.session.commit()
    auth.login("a1_officer")
    html = client.get(f"/students/?class_id={other_class.id}").get_data(as_text=True)
    assert "二年级丁" in html and "A1学生甲" not in html
    assert "二年级丁" not in client.get("/students/?reg=verified").get_data(as_text=True)
    assert "二年级丁" in client.get("/students/?reg=draft").get_data(as_text=True)
    assert "二年级丁" not in client.get("/students/?status=休学").get_data(as_text=True)
    from aid.students.service import class_year
    year = class_year(other_class)
    assert "二年级丁" in client.get(f"/students/?year={year}").get_data(as_text=True)
    assert client.get("/students/?sort=name&desc=1&page=2").status_code == 200
    assert client.get("/students/?sort=bogus&page=x&year=abc").status_code == 200


def test_detail_masks_and_reveal_is_audited(world, client, auth):
    s = world.obj["A1"].student
    full_id = personal.reveal(s, "id_number")
    auth.login("a1_leader")
    html = client.get(f"/students/{s.id}").get_data(as_text=True)
    assert s.id_number_masked in html and full_id not in html
    resp = auth.post(f"/students/{s.id}/reveal/id_number", headers={"HX-Request": "true"})
    assert resp.status_code == 200 and full_id in resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-store"
    ev = db.session.execute(select(AuditEvent).where(AuditEvent.action == "reveal")).scalar_one()
    assert ev.object_id == s.id and ev.username == "a1_leader" and full_id not in ev.after
    assert auth.post(f"/students/{s.id}/reveal/password").status_code == 404


def test_create_student_with_field_errors_then_success(world, client, auth):
    from tests.students_helpers import person

    cls = world.obj["A1"].school_class
    number, card = person(11)
    auth.login("a1_officer")
    data = {"register_no": "N001", "name": "新生", "id_number": number, "gender": "男", "birth_date": "2008-03-10",
            "ethnicity": "汉族", "household": "rural", "class_id": cls.id, "aid_card_kind": "aid_card",
            "aid_card": card, "phone": "13800138000", "address": "某地"}
    resp = auth.post("/students/new", data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "与身份证号码中的出生日期" in html and "与身份证号码（女）不一致" in html
    assert db.session.scalar(select(Student).where(Student.register_no == "N001")) is None
    data.update(gender="女", birth_date="2008-03-09")
    resp = auth.post("/students/new", data)
    assert resp.status_code == 302
    s = db.session.execute(select(Student).where(Student.register_no == "N001")).scalar_one()
    assert s.registration_state == "draft" and s.study_mode == "full_time" and personal.reveal(s, "aid_card") == card
    events = db.session.execute(select(AuditEvent).where(AuditEvent.object_id == s.id,
                                                         AuditEvent.object_type == "students")).scalars().all()
    assert events and all(number not in (e.after + e.before) and card not in e.after for e in events)
    dup = dict(data, register_no="N002")
    resp = auth.post("/students/new", dup)
    assert resp.status_code == 422 and "该身份证号已在本校注册" in resp.get_data(as_text=True)


def test_edit_keeps_masked_values_and_locks_identity_after_registration(world, client, auth):
    s = world.obj["A1"].student  # verified
    full_id = personal.reveal(s, "id_number")
    card = personal.reveal(s, "aid_card")
    auth.login("a1_officer")
    form = client.get(f"/students/{s.id}/edit").get_data(as_text=True)
    assert full_id not in form and card not in form and "身份信息" in form
    resp = auth.post(f"/students/{s.id}/edit", {
        "version": s.version, "register_no": s.register_no, "name": "改名无效", "id_number": s.id_number_masked,
        "gender": "", "birth_date": "", "ethnicity": "汉族", "household": "urban", "class_id": s.class_id,
        "aid_card_kind": "aid_card", "aid_card": "", "keep_card": "1", "phone": "13912345678", "address": "新地址"})
    assert resp.status_code == 302
    db.session.refresh(s)
    assert s.name == "A1学生甲" and s.household == "rural"  # identity locked after verification
    assert s.address == "新地址" and personal.reveal(s, "phone") == "13912345678"
    assert personal.reveal(s, "aid_card") == card


def test_change_study_mode_is_explicit_and_audited(world, client, auth):
    s = world.obj["A1"].student
    pt = _part_time_class(world)
    auth.login("a1_officer")
    resp = auth.post(f"/students/{s.id}/study-mode", {"class_id": pt.id, "reason": ""})
    assert resp.status_code == 422
    resp = auth.post(f"/students/{s.id}/study-mode", {"class_id": pt.id, "reason": "转为工学交替非全日制"})
    assert resp.status_code == 302
    db.session.refresh(s)
    assert s.study_mode == "part_time" and s.class_id == pt.id and s.registration_state == "draft"
    ev = db.session.execute(select(AuditEvent).where(AuditEvent.action == "students.change_study_mode")).scalar_one()
    assert "转为工学交替非全日制" in ev.after
    html = client.get(f"/students/{s.id}").get_data(as_text=True)
    assert "重新注册" in html and "学习形式变更为非全日制" in html


def test_majors_and_classes_crud_with_computed_year(world, client, auth):
    auth.login("a1_officer")
    resp = auth.post("/students/majors/new", {"code": "0202", "name": "茶叶加工", "training_level": "中级工",
                                              "agriculture_related": "y", "tuition_yuan": "abc"})
    assert resp.status_code == 422 and "请输入金额" in resp.get_data(as_text=True)
    resp = auth.post("/students/majors/new", {"code": "0202", "name": "茶叶加工", "training_level": "中级工",
                                              "agriculture_related": "y", "tuition_yuan": "2,400.50"})
    assert resp.status_code == 302
    major = db.session.execute(select(Major).where(Major.code == "0202")).scalar_one()
    assert major.tuition_fen_per_year == 240050 and major.agriculture_related
    major_id = major.id
    resp = auth.post("/students/classes/new", {"name": "2023级茶叶1班", "major_id": major.id, "intake_date": "2023-09-01",
                                               "level": "中级工", "entry_point": "初中起点", "programme_years": 3,
                                               "study_mode": "full_time"})
    assert resp.status_code == 302
    cls = db.session.execute(select(SchoolClass).where(SchoolClass.name == "2023级茶叶1班")).scalar_one()
    from aid.students.service import class_year
    html = client.get("/students/classes").get_data(as_text=True)
    assert f"{class_year(cls)}年级" in html and "2,400.50" in html
    dup = auth.post("/students/classes/new", {"name": "2023级茶叶1班", "major_id": major.id, "intake_date": "2023-09-01",
                                              "level": "中级工", "entry_point": "初中起点", "programme_years": 3,
                                              "study_mode": "full_time"})
    assert dup.status_code == 422 and "本校已有名为" in dup.get_data(as_text=True)
    assert auth.post(f"/students/majors/{major_id}/delete").status_code == 302
    assert db.session.get(Major, major_id) is not None  # it still has a class
    assert auth.post(f"/students/classes/{cls.id}/delete").status_code == 302
    assert auth.post(f"/students/majors/{major_id}/delete").status_code == 302
    assert db.session.scalar(select(Major.id).where(Major.id == major_id)) is None
    in_use_id = world.obj["A1"].student.class_id
    auth.post(f"/students/classes/{in_use_id}/delete")
    assert db.session.get(SchoolClass, in_use_id) is not None


def test_bureau_reads_classes_but_cannot_manage(world, client, auth):
    auth.login("a_bureau")
    html = client.get("/students/classes").get_data(as_text=True)
    assert "A1数控加工" in html and "A2数控加工" in html and "B1数控加工" not in html
    assert "新建专业" not in html


def test_archive_checklist_recorded_by_school_visible_to_bureau(world, client, auth):
    s = world.obj["A1"].student
    auth.login("a1_officer")
    resp = auth.post(f"/students/{s.id}/archive", {"state_id_copy": "present", "state_photo": "mismatch",
                                                   "note_photo": "照片与本人不符"}, headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "已登记 2 项" in resp.get_data(as_text=True)
    items = {a.item: a.state for a in db.session.execute(select(ArchiveItem)).scalars()}
    assert items == {"id_copy": "present", "photo": "mismatch"}
    bad = auth.post(f"/students/{s.id}/archive", {"state_photo": "bogus"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422
    auth.logout()
    auth.login("a_bureau")
    html = client.get(f"/students/{s.id}").get_data(as_text=True)
    assert "照片与本人不符" in html and "与电子学籍不一致" in html


def test_export_masks_ids_writes_text_and_no_formulas(world, client, auth):
    o = world.obj["A1"]
    evil = add_student(o.school, o.school_class, "=HYPERLINK(\"http://x\",\"点我\")")
    evil.address = "@SUM(1)"
    db.session.commit()
    full_ids = [personal.reveal(s, "id_number") for s in db.session.execute(select(Student)).scalars()]
    auth.login("a1_officer")
    resp = client.get("/students/export?mode=full_time")
    assert resp.status_code == 200
    disposition = resp.headers["Content-Disposition"]
    assert "filename=students_full_time_" in disposition and "filename*=UTF-8''" in disposition
    data = resp.data
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    values = [c for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in values)
    text = " ".join(str(c.value) for c in values if c.value is not None)
    assert "A1学生甲" in text and "A2学生甲" not in text and '=HYPERLINK("http://x","点我")' in text
    assert not any(fid in text for fid in full_ids)
    assert o.student.id_number_masked in text
    id_cells = [row[6] for row in ws.iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in id_cells)
    part = load_workbook(io.BytesIO(client.get("/students/export?mode=part_time").data)).active
    assert part.max_row == 1  # header only: part-time is a separate file


def test_template_download_has_ascii_filename(world, client, auth):
    auth.login("a1_officer")
    resp = client.get("/students/import/template")
    assert resp.status_code == 200 and "filename=student_roster_template" in resp.headers["Content-Disposition"]
    header = [c.value for c in next(load_workbook(io.BytesIO(resp.data)).active.iter_rows())]
    assert "身份证号码*" in header and "班级*" in header


def test_navigation_and_home_panel(world, client, auth):
    auth.login("a1_officer")
    html = client.get("/home").get_data(as_text=True)
    assert "学生学籍" in html and "名册导入" in html and "待报送" in html
    auth.logout()
    auth.login("a_bureau")
    html = client.get("/home").get_data(as_text=True)
    assert "电子注册" in html and "名册导入" not in html and "待审核" in html


def test_search_form_posts_and_never_puts_an_id_in_a_url(world, client, auth):
    other = world.obj["A1b"].student
    full_id = personal.reveal(other, "id_number")
    auth.login("a1_officer")
    resp = auth.post("/students/", {"q": full_id, "mode": "full_time"}, headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "A1学生乙" in html and "A1学生甲" not in html
    assert full_id not in resp.headers["HX-Push-Url"] and "idh=" in resp.headers["HX-Push-Url"]
    plain = auth.post("/students/", {"q": full_id})
    assert plain.status_code == 303 and full_id not in plain.headers["Location"]
    assert "A1学生乙" in client.get(plain.headers["Location"]).get_data(as_text=True)
