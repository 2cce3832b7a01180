"""Roster import through the browser (preview → confirm, all-or-nothing, background
job) and the command line (ROW<TAB>COLUMN<TAB>MESSAGE, exit code, nothing written)."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

from sqlalchemy import func, select

from aid.audit.models import AuditEvent
from aid.extensions import db
from aid.printing.models import Job
from aid.students import personal
from aid.students.models import Student
from tests.students_helpers import good_row, person, xlsx


def _count(school_id=None):
    stmt = select(func.count()).select_from(Student)
    if school_id:
        stmt = stmt.where(Student.school_id == school_id)
    return db.session.scalar(stmt)


def _upload(auth, data: bytes, name="roster.xlsx"):
    return auth.post("/students/import", {"file": (io.BytesIO(data), name)}, token_from="/students/import",
                     content_type="multipart/form-data")


def _token(resp) -> str:
    return re.search(r"token=([A-Za-z0-9_-]{32})", resp.headers["Location"]).group(1)


def test_preview_lists_every_problem_and_writes_nothing(world, client, auth):
    cls = world.obj["A1"].school_class.name
    bad = good_row(1, cls, "R002")
    bad[2] = "350104200803091234"  # wrong check digit
    rows = [good_row(2, cls, "R001"), bad, good_row(3, "没有这个班", "R003")]
    before = _count()
    auth.login("a1_officer")
    resp = _upload(auth, xlsx(rows))
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "第3行" in html and "C列 身份证号码" in html and "校验位错误" in html
    assert "第4行" in html and "E列 班级" in html and "确认导入" not in html
    assert _count() == before


def test_many_problems_are_grouped_listed_in_part_and_downloadable_in_full(world, client, auth):
    from openpyxl import load_workbook

    cls = world.obj["A1"].school_class.name
    rows = []
    for i in range(1, 251):  # 250 rows, one mistake each (distinct birthdays: distinct ID numbers)
        born = date(2008, 1, 1) + timedelta(days=i)
        number, card = person(i, born=born)
        rows.append(["林小雨", "女", number, born, "没有这个班", f"R{i:03d}", "农村", card, "13800138000"])
    bad = good_row(251, cls, "R251")
    bad[2] = "350104200803091234"
    rows.append(bad)
    auth.login("a1_officer")
    resp = _upload(auth, xlsx(rows))
    token = _token(resp)
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "文件中有 251 处问题" in html and "按问题汇总" in html
    groups = html.split('id="import-problem-groups"')[1].split("</table>")[0]
    assert groups.count("<tr>") == 1 + 2 and ">250<" in groups and "第2、3、4、5、6、7、8、9行等250行" in groups
    listed = html.split('id="import-problems"')[1].split("</table>")[0]
    assert listed.count("<tr>") == 1 + 200 and "（前200处，全部见问题清单）" in html
    download = client.get(f"/students/import/problems?token={token}")
    assert download.status_code == 200 and "roster_%E5%AF%BC%E5%85%A5%E9%97%AE%E9%A2%98" in download.headers["Content-Disposition"]  # roster_导入问题…
    sheet = load_workbook(io.BytesIO(download.data)).active
    lines = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert lines[0] == ("行", "列", "问题") and len(lines) == 1 + 251
    assert lines[1] == ("第2行", "E列 班级", "班级“没有这个班”在本校不存在，请先在“班级管理”中新建")
    assert lines[-1][:2] == ("第252行", "C列 身份证号码")
    assert not db.session.scalar(select(func.count()).select_from(Student).where(Student.register_no == "R001"))


def test_problem_download_needs_the_uploaders_token(world, client, auth):
    auth.login("a1_officer")
    resp = client.get("/students/import/problems?token=" + "x" * 32)
    assert resp.status_code == 302 and "/students/import" in resp.headers["Location"]


def test_preview_then_confirm_writes_all_rows_in_the_right_tab(world, client, auth):
    cls = world.obj["A1"].school_class.name
    auth.login("a1_officer")
    resp = _upload(auth, xlsx([good_row(1, cls, "R001", "林一"), good_row(2, cls, "R002", "林二")]))
    token = _token(resp)
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "全部 2 行校验通过" in html and "确认导入 2 名学生" in html
    resp = auth.post("/students/import/confirm", {"token": token})
    assert resp.status_code == 302 and "mode=full_time" in resp.headers["Location"]
    rows = db.session.execute(select(Student).where(Student.register_no.in_(["R001", "R002"]))).scalars().all()
    assert {s.name for s in rows} == {"林一", "林二"}
    assert all(s.registration_state == "draft" and s.study_mode == "full_time" for s in rows)
    assert personal.reveal(rows[0], "id_number") != rows[0].id_number_masked
    ev = db.session.execute(select(AuditEvent).where(AuditEvent.action == "students.import")).scalar_one()
    assert '"rows": 2' in ev.after
    listing = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "林一" in listing and "林二" in listing
    # the stored upload is gone: a second confirm writes nothing
    again = auth.post("/students/import/confirm", {"token": token})
    assert again.status_code == 302 and "/students/import" in again.headers["Location"]
    assert _count(world.schools["A1"].id) == 4


def test_confirm_is_all_or_nothing_when_the_register_changed(world, client, auth):
    cls = world.obj["A1"].school_class.name
    auth.login("a1_officer")
    resp = _upload(auth, xlsx([good_row(1, cls, "R001"), good_row(2, cls, "R002", "林二")]))
    token = _token(resp)
    # meanwhile someone registers R002 by hand
    from tests.world import add_student
    s = add_student(world.schools["A1"], world.obj["A1"].school_class, "抢先")
    s.register_no = "R002"
    db.session.commit()
    before = _count()
    resp = auth.post("/students/import/confirm", {"token": token})
    assert resp.status_code == 302
    assert _count() == before
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "在本校已存在" in html


def test_token_belongs_to_the_uploader(world, client, auth, app):
    cls = world.obj["A1"].school_class.name
    auth.login("a1_officer")
    token = _token(_upload(auth, xlsx([good_row(1, cls, "R001")])))
    auth.logout()
    auth.login("a1_officer2")
    resp = auth.post("/students/import/confirm", {"token": token})
    assert resp.status_code == 302 and "/students/import" in resp.headers["Location"]
    assert client.get(f"/students/import/preview?token={token}").status_code == 302
    assert db.session.scalar(select(Student.id).where(Student.register_no == "R001")) is None


def test_bad_uploads_get_chinese_messages(world, client, auth):
    auth.login("a1_officer")
    resp = _upload(auth, b"name,id\n1,2\n", "roster.csv")
    assert resp.status_code == 422 and "不是 Excel" in resp.get_data(as_text=True)
    resp = _upload(auth, b"PK\x03\x04broken" * 10)
    assert resp.status_code == 422 and "损坏" in resp.get_data(as_text=True)
    resp = _upload(auth, b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024 + 10))
    assert resp.status_code == 422 and "超过10 MB" in resp.get_data(as_text=True)
    resp = _upload(auth, xlsx([["张三"]], ["姓名", "电话"]))
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "缺少必填列“身份证号码”" in html and "第1行" in html


def test_big_import_runs_as_a_job_with_polling(world, client, auth, app, monkeypatch):
    monkeypatch.setitem(app.config, "STUDENT_IMPORT_BACKGROUND_ROWS", 1)
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    cls = world.obj["A1"].school_class.name
    auth.login("a1_officer")
    resp = _upload(auth, xlsx([good_row(1, cls, "R001"), good_row(2, cls, "R002", "林二")]))
    token = _token(resp)
    job = db.session.execute(select(Job).where(Job.kind == "student_import_preview",
                                               Job.params.contains(token))).scalar_one()
    assert job.status == "done" and job.progress == 2
    poll = client.get(f"/students/import/jobs/{job.id}", headers={"HX-Request": "true"})
    assert poll.status_code == 286 and f"token={token}" in poll.headers["HX-Redirect"]
    assert "确认导入 2 名学生" in client.get(f"/students/import/preview?token={token}").get_data(as_text=True)
    resp = auth.post("/students/import/confirm", {"token": token})
    assert resp.status_code == 302
    write = db.session.execute(select(Job).where(Job.kind == "student_import_write")).scalar_one()
    assert write.status == "done" and '"written": 2' in write.message
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已导入 2 名学生" in page
    assert db.session.scalar(select(func.count()).select_from(Student).where(Student.register_no.in_(["R001", "R002"]))) == 2
    # a running job keeps polling (no 286)
    write.status = "running"
    db.session.commit()
    running = client.get(f"/students/import/jobs/{write.id}", headers={"HX-Request": "true"})
    assert running.status_code == 200 and "every 1s" in running.get_data(as_text=True)


# ---------------------------------------------------------------- command line

def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["students", "import", *args])


def test_cli_reports_every_problem_and_writes_nothing(world, app, tmp_path):
    cls = world.obj["A1"].school_class.name
    bad = good_row(2, cls, "R002")
    bad[2] = 350104200803090000
    also_bad = good_row(3, cls, "R002")
    also_bad[6] = "外星"
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx([good_row(1, cls, "R001"), bad, also_bad]))
    before = _count()
    result = _cli(app, str(path), "--school", world.schools["A1"].code)
    assert result.exit_code == 1
    lines = [line.split("\t") for line in result.stdout.strip().splitlines()]
    assert ["3", "身份证号码"] == lines[0][:2] and "被存为数字" in lines[0][2]
    assert ["4", "户口性质"] in [line[:2] for line in lines]
    assert ["4", "学籍号"] in [line[:2] for line in lines]
    assert all(len(line) == 3 for line in lines)
    assert _count() == before


def test_cli_dry_run_and_real_run(world, app, tmp_path):
    cls = world.obj["A1"].school_class.name
    path = tmp_path / "good.xlsx"
    path.write_bytes(xlsx([good_row(1, cls, "R001"), good_row(2, cls, "R002", "林二")]))
    before = _count()
    dry = _cli(app, str(path), "--school", world.schools["A1"].code, "--dry-run")
    assert dry.exit_code == 0 and dry.stdout == "" and _count() == before
    real = _cli(app, str(path), "--school", world.schools["A1"].code)
    assert real.exit_code == 0
    db.session.expire_all()
    assert _count() == before + 2


def test_cli_bad_file_and_unknown_school(world, app, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a workbook")
    result = _cli(app, str(path), "--school", world.schools["A1"].code)
    assert result.exit_code == 1 and result.stdout.startswith("-\t-\t") and "不是 Excel" in result.stdout
    assert _cli(app, str(path), "--school", "NOPE").exit_code == 2


def test_done_when_story_import_fix_confirm_list_verify(world, client, auth):
    """An officer imports a roster, fixes what the preview flags, confirms, finds the students
    in the right tab; the bureau verifies them."""
    from datetime import date

    from aid.students.models import SchoolClass

    o = world.obj["A1"]
    db.session.add(SchoolClass(school_id=o.school.id, major_id=o.major.id, name="2025级非全日制班",
                               intake_date=date(2025, 3, 1), study_mode="part_time"))
    db.session.commit()
    rows = [good_row(1, o.school_class.name, "S001", "全日甲"), good_row(2, "2025级非全日制班", "S002", "业余乙")]
    broken = [list(r) for r in rows]
    broken[1][1] = "男"  # disagrees with the ID
    auth.login("a1_officer")
    first = _upload(auth, xlsx(broken))
    assert "与身份证号码（女）不一致" in client.get(first.headers["Location"]).get_data(as_text=True)
    auth.post("/students/import/cancel", {"token": _token(first)})
    second = _upload(auth, xlsx(rows))
    assert "全部 2 行校验通过" in client.get(second.headers["Location"]).get_data(as_text=True)
    auth.post("/students/import/confirm", {"token": _token(second)})
    full = client.get("/students/?mode=full_time&reg=draft").get_data(as_text=True)
    part = client.get("/students/?mode=part_time&reg=draft").get_data(as_text=True)
    assert "全日甲" in full and "业余乙" not in full and "业余乙" in part
    ids = [s.id for s in db.session.execute(select(Student).where(Student.register_no.in_(["S001", "S002"]))).scalars()]
    auth.post("/students/registration/submit", {"student_id": ids})
    auth.logout()
    auth.login("a_bureau")
    auth.post("/students/registration/verify", {"student_id": ids})
    db.session.expire_all()
    states = db.session.execute(select(Student.registration_state).where(Student.id.in_(ids))).scalars().all()
    assert states == ["verified", "verified"]


def test_upload_over_the_request_limit_names_the_size_rule(world, client, auth):
    auth.login("a1_officer")
    resp = _upload(auth, b"PK\x03\x04" + b"\0" * (13 * 1024 * 1024))
    assert resp.status_code == 413 and "超过10 MB" in resp.get_data(as_text=True)
