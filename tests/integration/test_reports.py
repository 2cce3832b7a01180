"""Reports: totals equal the records, exports carry the same figures, schools see only themselves."""
import io
import json

from openpyxl import load_workbook
from sqlalchemy import func, select

from aid.applications.models import Application
from aid.extensions import db
from aid.hardship.models import HardshipApplication, HardshipCategory
from aid.programmes.models import Programme, ProgrammeVersion
from aid.programmes.semesters import Semester
from aid.reports.service import build_report
from aid.students.models import Student
from tests.world import add_student

SEMESTER = "2026-autumn"


def _programme(code, name):
    """The programme (the test world may have seeded it) and one of its versions."""
    p = db.session.query(Programme).filter_by(code=code).one_or_none()
    if p is None:
        p = Programme(code=code, name=name, kind=code)
        db.session.add(p)
        db.session.flush()
    v = db.session.query(ProgrammeVersion).filter_by(programme_id=p.id).order_by(ProgrammeVersion.id).first()
    if v is None:
        v = ProgrammeVersion(programme_id=p.id, valid_from="2025-spring", rules_json="{}")
        db.session.add(v)
        db.session.flush()
    return p, v


def _apply(student, pv, state, amount, level="一般困难", semester=SEMESTER):
    p, v = pv
    db.session.add(Application(school_id=student.school_id, student_id=student.id, programme_id=p.id,
                               programme_version_id=v.id, semester=semester, level=level, amount_fen=amount, state=state))


def _data(world):
    grant = _programme("national_grant", "国家助学金")
    waiver = _programme("tuition_waiver", "免学费")
    a1, a1b, a2, b1 = (world.obj[k].student for k in ("A1", "A1b", "A2", "B1"))
    part = add_student(world.obj["A2"].school, world.obj["A2"].school_class, "非全日制生", study_mode="part_time")
    _apply(a1, grant, "bureau_approved", 100000, "特别困难")
    _apply(a1b, grant, "disbursed", 50000)
    _apply(a2, grant, "submitted", 50000)
    _apply(b1, grant, "disbursed", 150000, "特别困难")
    _apply(a1, waiver, "bureau_approved", 120000, "")
    _apply(a1, grant, "disbursed", 99900, "特别困难", semester="2026-spring")  # another semester
    _apply(part, waiver, "draft", 1, "")  # drafts are not counted
    existing = {c.code for c in db.session.query(HardshipCategory)}
    if "dibao" not in existing:
        db.session.add(HardshipCategory(code="dibao", name="最低生活保障家庭学生", priority=True, sort_order=1))
    if "other" not in existing:
        db.session.add(HardshipCategory(code="other", name="其他困难", priority=False, sort_order=9))
    for s, cats in ((a1, ["dibao"]), (a2, ["dibao", "other"])):
        db.session.add(HardshipApplication(school_id=s.school_id, student_id=s.id, school_year="2026-2027",
                                           semester=SEMESTER, categories=json.dumps(cats), state="filed",
                                           level="特别困难"))
    db.session.commit()


def test_totals_match_the_records(world):
    _data(world)
    user = world.user("province_admin")
    report = build_report(user, Semester.parse(SEMESTER))
    registered = report.table("registered")
    in_scope = db.session.scalar(select(func.count()).select_from(Student).where(
        Student.status == "在籍", Student.school_id != world.schools["Z1"].id))
    assert registered.total[4] == in_scope == registered.total[2] + registered.total[3]
    assert registered.total[3] == 1
    apps = report.table("applications")
    aided = Application.state.in_(("bureau_approved", "disbursed"))
    expected_amount = db.session.scalar(select(func.sum(Application.amount_fen)).where(aided, Application.semester == SEMESTER))
    expected_count = db.session.scalar(select(func.count()).select_from(Application).where(
        Application.semester == SEMESTER, Application.state != "draft"))
    assert apps.total[4] == expected_amount == 420000
    assert apps.total[2] == expected_count == 5
    assert apps.total[3] == 4
    grant_top = next(r for r in apps.rows if r[0] == "国家助学金" and r[1] == "特别困难")
    assert grant_top[2:] == [2, 2, 250000]
    priority = report.table("priority")
    assert priority.rows == [["最低生活保障家庭学生", 2, 1, "50%"]]


def test_bureau_report_is_limited_to_its_schools(world):
    _data(world)
    report = build_report(world.user("bureau_officer"), Semester.parse(SEMESTER))
    assert {r[1] for r in report.table("registered").rows} == {"A1技工学校", "A2技工学校"}
    assert report.table("applications").total[4] == 270000


def test_export_matches_the_table(world, client, auth):
    _data(world)
    auth.login("a_bureau")
    resp = client.get(f"/reports/export/applications.xlsx?semester={SEMESTER}")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"] == f'attachment; filename="report-applications-{SEMESTER}.xlsx"'
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    total = rows[-1]
    assert total[0] == "合计" and total[2] == 4 and total[3] == 3 and float(total[4]) == 2700.00
    assert client.get("/reports/export/nope.xlsx").status_code == 404


def test_report_page_and_charts(world, client, auth):
    _data(world)
    auth.login("p_admin")
    page = client.get(f"/reports/?semester={SEMESTER}").get_data(as_text=True)
    assert "<svg" in page and "国家助学金" in page and "style=" not in page.split("<main")[1]
    assert client.get(f"/reports/?semester={SEMESTER}&school_id={world.schools['Z1'].id}").status_code == 404
    assert client.get("/reports/?semester=bad").status_code == 404


def test_a_school_never_sees_another_schools_figures(world, client, auth):
    _data(world)
    auth.login("a1_officer")
    page = client.get(f"/reports/?semester={SEMESTER}&school_id={world.schools['A2'].id}").get_data(as_text=True)
    assert "A1技工学校" in page and "A2技工学校" not in page
    resp = client.get(f"/reports/export/registered.xlsx?semester={SEMESTER}&school_id={world.schools['B1'].id}")
    names = [r[1] for r in load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True)]
    assert "A1技工学校" in names and "B1技工学校" not in names
    home = client.get("/home").get_data(as_text=True)
    assert "<svg" in home


def test_home_panel_counts_the_register_now(world, client, auth):
    o = world.obj["A1"]
    for i in range(3):
        add_student(o.school, o.school_class, f"面板学生{i}", study_mode="part_time")
    add_student(o.school, o.school_class, "面板休学", status="休学")
    db.session.commit()
    a_schools = [world.schools[k].id for k in world.schools if k.startswith("A")]
    enrolled = db.session.scalar(select(func.count()).select_from(Student).where(
        Student.school_id.in_(a_schools), Student.status == "在籍"))
    part_time = db.session.scalar(select(func.count()).select_from(Student).where(
        Student.school_id.in_(a_schools), Student.status == "在籍", Student.study_mode == "part_time"))
    auth.login("a_bureau")
    home = client.get("/home").get_data(as_text=True)
    panel = home[home.index("在籍学生（当前）"):]
    assert f">{enrolled - part_time:,}人<" in panel and f">{part_time:,}人<" in panel
    assert "在籍学生最多的学校" in home and o.school.name[:11] in home
