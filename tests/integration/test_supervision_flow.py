"""The roll call → absence → red flag → 约谈 → school response → closure flow, through the pages."""
import re
from datetime import date, timedelta

from sqlalchemy import func, select

from aid.core.workdays import WorkdayCalendar
from aid.extensions import db
from aid.supervision.models import Finding, Measure, RollCall, RollCallEntry
from aid.supervision.service import redraw_check


def next_workday(after_days=7):
    cal = WorkdayCalendar()
    d = date.today() + timedelta(days=after_days)
    while not cal.is_workday(d):
        d += timedelta(days=1)
    return d


def next_weekend(after_days=7):
    cal = WorkdayCalendar()
    d = date.today() + timedelta(days=after_days)
    while cal.is_workday(d):
        d += timedelta(days=1)
    return d


def test_draw_absence_flag_measure_response_closure(app, world, client, auth):
    school = world.schools["A1"]
    auth.login("a_bureau")
    resp = auth.post("/supervision/rollcalls", {"school_id": school.id, "kind": "remote", "size": 2, "note": ""})
    assert resp.status_code == 302
    rc = db.session.execute(select(RollCall).where(RollCall.school_id == school.id, RollCall.seed.not_like("seed-%"))).scalar_one()
    assert rc.sample_size == 2 and rc.population_size == 2 and len(rc.seed) == 32
    page = client.get(f"/supervision/rollcalls/{rc.id}").get_data(as_text=True)
    assert rc.seed in page and "A1学生甲" in page

    entry = rc.entries[0]
    resp = auth.post(f"/supervision/rollcalls/{rc.id}/entries/{entry.id}",
                     {f"e{entry.id}-result": "absent", f"e{entry.id}-note": "已离校打工"}, headers={"HX-Request": "true"})
    assert resp.status_code == 200
    row = resp.get_data(as_text=True)
    assert row.startswith('<tr id="entry-') and "不在校" in row
    finding = db.session.execute(select(Finding).where(Finding.roll_call_entry_id == entry.id)).scalar_one()

    flags = client.get("/supervision/flags/rollcall_absent").get_data(as_text=True)
    assert entry.student.name in flags and "已离校打工" in flags
    home = client.get("/home").get_data(as_text=True)
    assert "点名抽验不在校" in home

    deadline = next_workday()
    resp = auth.post("/supervision/measures/new", {"school_id": school.id, "kind": "interview",
                                                   "reason": "点名发现学生不在校", "deadline": deadline.isoformat(),
                                                   "finding_ids": [finding.id]})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    measure = db.session.execute(select(Measure).where(Measure.reason == "点名发现学生不在校")).scalar_one()
    assert measure.state == "open" and [f.id for f in measure.findings] == [finding.id]

    # closing before the school has answered is refused and changes nothing
    resp = auth.post(f"/supervision/measures/{measure.id}/close", {"note": "", "version": measure.version},
                     token_from=f"/supervision/measures/{measure.id}")
    assert resp.status_code == 422 and "学校尚未回复整改情况" in resp.get_data(as_text=True)
    db.session.refresh(measure)
    assert measure.state == "open"

    auth.logout()
    auth.login("a1_officer")
    assert "点名发现学生不在校" in client.get("/home").get_data(as_text=True)
    resp = auth.post(f"/supervision/measures/{measure.id}/respond", {"response": "已核实该生情况并办理休学", "version": measure.version})
    assert resp.status_code == 302, re.findall(r'class="flash[^"]*"[^>]*>([^<]*)', resp.get_data(as_text=True))
    db.session.refresh(measure)
    assert measure.state == "responded"

    auth.logout()
    auth.login("a_bureau")
    resp = auth.post(f"/supervision/measures/{measure.id}/close", {"note": "整改到位", "version": measure.version})
    assert resp.status_code == 302
    db.session.refresh(measure)
    assert measure.state == "closed" and measure.closing_note == "整改到位"
    detail = client.get(f"/supervision/measures/{measure.id}").get_data(as_text=True)
    assert "已关闭" in detail and "已核实该生情况并办理休学" in detail


def test_same_seed_redraws_the_same_sample(app, world, client, auth):
    from aid.supervision.service import draw_rollcall
    school = world.obj["A1"].school
    rc = draw_rollcall(world.user("bureau_officer"), school.id, 2, seed="fixed-seed")
    db.session.commit()
    again = draw_rollcall(world.user("bureau_officer"), school.id, 2, seed="fixed-seed")
    db.session.commit()
    assert [e.student_id for e in rc.entries] == [e.student_id for e in again.entries]
    check = redraw_check(rc)
    assert check.matches and check.recorded == check.redrawn
    auth.login("a_bureau")
    assert "复核一致" in client.get(f"/supervision/rollcalls/{rc.id}/redraw").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["supervision", "redraw", str(rc.id)])
    assert result.exit_code == 0 and "复核一致" in result.output and "fixed-seed" in result.output
    # a tampered record no longer matches
    first, second = rc.entries[0], rc.entries[1]
    first.position, second.position = 2, 1
    db.session.commit()
    db.session.expire_all()
    assert not redraw_check(rc).matches
    assert app.test_cli_runner().invoke(args=["supervision", "redraw", str(rc.id)]).exit_code == 1


def test_sample_larger_than_the_school_is_refused(world, client, auth):
    school = world.schools["A1"]
    before = db.session.scalar(select(func.count()).select_from(RollCall))
    auth.login("a_bureau")
    resp = auth.post("/supervision/rollcalls", {"school_id": school.id, "kind": "remote", "size": 3})
    assert resp.status_code == 422
    assert "超过该校全日制在籍学生人数（2人）" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RollCall)) == before
    resp = auth.post("/supervision/rollcalls", {"school_id": school.id, "kind": "remote", "size": "abc"})
    assert resp.status_code == 422 and "请填写整数" in resp.get_data(as_text=True)


def test_draw_only_counts_full_time_enrolled_students(world):
    from tests.world import add_student
    from aid.supervision.service import eligible_student_ids
    a1 = world.obj["A1"]
    add_student(a1.school, a1.school_class, "非全日制", study_mode="part_time")
    add_student(a1.school, a1.school_class, "休学生", status="休学")
    db.session.commit()
    assert eligible_student_ids(a1.school.id) == sorted([a1.student.id, world.obj["A1b"].student.id])


def test_measure_refusals(world, client, auth):
    auth.login("a_bureau")
    before = db.session.scalar(select(func.count()).select_from(Measure))
    resp = auth.post("/supervision/measures/new", {"school_id": world.schools["B1"].id, "kind": "warning",
                                                   "reason": "越权", "deadline": next_workday().isoformat()})
    assert resp.status_code == 422 and "不在您的管辖范围内" in resp.get_data(as_text=True)
    resp = auth.post("/supervision/measures/new", {"school_id": world.schools["A1"].id, "kind": "warning",
                                                   "reason": "期限", "deadline": next_weekend().isoformat()})
    assert resp.status_code == 422 and "不是工作日" in resp.get_data(as_text=True)
    resp = auth.post("/supervision/measures/new", {"school_id": world.schools["A1"].id, "kind": "warning",
                                                   "reason": "期限", "deadline": "2026-13-01"})
    assert resp.status_code == 422 and "日期格式不正确" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Measure)) == before


def test_a_school_sees_only_its_own_measures(world, client, auth):
    auth.login("a1_officer")
    page = client.get("/supervision/measures").get_data(as_text=True)
    assert "A1技工学校" in page and "A2技工学校" not in page
    assert client.get(f"/supervision/measures/{world.obj['A2'].measure.id}").status_code == 404
    resp = auth.post(f"/supervision/measures/{world.obj['A2'].measure.id}/respond", {"response": "x"})
    assert resp.status_code == 404
    assert client.get("/supervision/").status_code == 403


def test_result_for_an_entry_of_another_roll_call_is_404(world, client, auth):
    auth.login("a_bureau")
    rc = world.obj["A1"].rollcall
    other = world.obj["A2"].entry
    resp = auth.post(f"/supervision/rollcalls/{rc.id}/entries/{other.id}", {f"e{other.id}-result": "absent"})
    assert resp.status_code == 404
    assert db.session.get(RollCallEntry, other.id).result == ""


def test_invalid_result_is_refused_in_chinese(world, client, auth):
    auth.login("a_bureau")
    rc, entry = world.obj["A1"].rollcall, world.obj["A1"].entry
    resp = auth.post(f"/supervision/rollcalls/{rc.id}/entries/{entry.id}", {f"e{entry.id}-result": "maybe"},
                     headers={"HX-Request": "true"})
    assert resp.status_code == 422 and "请选择点名结果" in resp.get_data(as_text=True)


def test_inspection_with_five_points_creates_findings(world, client, auth):
    auth.login("a_bureau")
    data = {"school_id": world.schools["A1"].id, "visit_date": date.today().isoformat(), "inspectors": "检查组甲",
            "findings_text": "档案不全", "follow_up": ""}
    for code in ("rules", "data", "tiering", "payment", "archives"):
        data[f"point_{code}-result"] = "pass"
        data[f"point_{code}-note"] = ""
    data["point_archives-result"] = "fail"
    data["point_archives-note"] = "缺少2024年发放台账签字页"
    resp = auth.post("/supervision/inspections/new", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    detail = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "学籍与资助档案管理是否规范完整" in detail and "缺少2024年发放台账签字页" in detail
    finding = db.session.execute(select(Finding).where(Finding.source == "inspection")).scalar_one()
    assert "不符合" in finding.description
    del data["point_rules-result"]
    resp = auth.post("/supervision/inspections/new", data)
    assert resp.status_code == 422


def test_roll_call_record_pdf(world, client, auth):
    auth.login("a_bureau")
    resp = client.get(f"/supervision/rollcalls/{world.obj['A1'].rollcall.id}/record.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    import io
    from pypdf import PdfReader
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages)
    assert "远程点名记录" in re.sub(r"\s", "", text) and "seed-A1" in text


def test_flag_review_by_htmx_and_foreign_keys(world, client, auth):
    from aid.students.personal import reveal, set_aid_card
    a1, a2, b1 = world.obj["A1"], world.obj["A2"], world.obj["B1"]
    set_aid_card(a2.student, reveal(a1.student, "aid_card"))
    set_aid_card(world.obj["Z1"].student, reveal(b1.student, "aid_card"))
    set_aid_card(world.obj["A1b"].student, None)
    db.session.commit()
    auth.login("a_bureau")
    key = a1.student.aid_card_hash
    resp = auth.post("/supervision/flags/shared_card/review", {"key": key, "note": "已核实为同一家庭"},
                     headers={"HX-Request": "true"})
    assert resp.status_code == 200
    row = resp.get_data(as_text=True)
    assert row.startswith("<tr") and "已复核" in row and "已核实为同一家庭" in row
    resp = auth.post("/supervision/flags/shared_card/review", {"key": key, "note": ""}, headers={"HX-Request": "true"})
    assert resp.status_code == 422 and "请填写复核意见" in resp.get_data(as_text=True)
    # a group wholly outside the jurisdiction cannot be reviewed (nor seen)
    resp = auth.post("/supervision/flags/shared_card/review", {"key": b1.student.aid_card_hash, "note": "越权"})
    assert resp.status_code == 404
    assert client.get("/supervision/flags/nope").status_code == 404


def test_changing_an_absence_withdraws_its_finding(world):
    from aid.supervision.service import record_result
    entry = world.obj["A1"].entry
    bureau = world.user("bureau_officer")
    record_result(bureau, entry, "absent", "不在")
    db.session.commit()
    finding = db.session.execute(select(Finding).where(Finding.roll_call_entry_id == entry.id)).scalar_one()
    assert not finding.withdrawn
    record_result(bureau, entry, "present", "已返校")
    db.session.commit()
    db.session.refresh(finding)
    assert finding.withdrawn
    from aid.supervision.flags import FLAGS_BY_CODE
    assert FLAGS_BY_CODE["rollcall_absent"].count_fn(bureau).total == 0


def test_a_flag_row_becomes_a_finding_for_a_measure(world, client, auth):
    from aid.students.personal import reveal, set_aid_card
    a1, a2 = world.obj["A1"], world.obj["A2"]
    set_aid_card(a2.student, reveal(a1.student, "aid_card"))
    db.session.commit()
    auth.login("a_bureau")
    key = a1.student.aid_card_hash
    resp = auth.post("/supervision/flags/shared_card/finding", {"key": key})
    assert resp.status_code == 302 and "/supervision/measures/new" in resp.headers["Location"]
    finding = db.session.execute(select(Finding).where(Finding.flag_code == "shared_card")).scalar_one()
    assert finding.school_id == a1.school.id and "多名学生共用资助卡号" in finding.description
    form = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert f'value="{finding.id}" selected' in form or f'selected value="{finding.id}"' in form
    auth.post("/supervision/flags/shared_card/finding", {"key": key})
    assert db.session.scalar(select(func.count()).select_from(Finding).where(Finding.flag_code == "shared_card")) == 1
    assert auth.post("/supervision/flags/shared_card/finding", {"key": "nope"}).status_code == 404


def test_overview_lists_uncited_findings_and_partials_answer_htmx(world, client, auth):
    from aid.supervision.service import record_result
    entry = world.obj["A1"].entry
    record_result(world.user("bureau_officer"), entry, "absent", "查无此人")
    record_result(world.user("province_admin"), world.obj["B1"].entry, "absent", "乙市学生不在")
    db.session.commit()
    auth.login("a_bureau")
    page = client.get("/supervision/").get_data(as_text=True)
    assert "查无此人" in page and "乙市学生不在" not in page
    part = client.get("/supervision/measures", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in part and "A1测试约谈" in part and "B1测试约谈" not in part
    part = client.get("/reports/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in part and "在籍学生" in part
