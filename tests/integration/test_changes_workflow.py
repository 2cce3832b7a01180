"""Status changes through the screens: record → school approval → bureau confirmation,
returns with reasons, bulk approval, effects on the student, holds on aid, the
printable form, timeliness at school and bureau."""
from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import func, select

from aid.audit.models import AuditEvent
from aid.changes import service
from aid.changes.holds import hold_for, holds_for
from aid.changes.models import ChangeEvidence, StatusChange
from aid.extensions import db
from aid.students.models import SchoolClass
from aid.timeutil import local_today
from tests.conftest import Auth

from aid.changes.demo import PNG_EVIDENCE as PNG  # noqa: E402 — a real, decodable PNG
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HX = {"HX-Request": "true"}


def login(app, world, role) -> Auth:
    a = Auth(app.test_client())
    assert a.login(world.user(role).username).status_code == 302
    return a


def record(auth, student, kind="suspend", happened=None, reason="因病需长期治疗", files=(), **extra):
    data = {"register_no": student.register_no, "kind": kind,
            "happened_on": (happened or local_today() - timedelta(days=1)).isoformat(), "reason": reason,
            "target_school_id": extra.get("target_school_id", 0), "target_class_id": extra.get("target_class_id", 0)}
    if files:
        data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return auth.post("/changes/new", data, content_type="multipart/form-data")


def act(auth, change, action, hx=False, **data):
    db.session.refresh(change)
    payload = {"action": action, "version": str(change.version), **data}
    return auth.post(f"/changes/{change.id}/act", payload, headers=HX if hx else {})


def fresh_student(world, key="A1", name="新生丙"):
    """A student without any change (the test world gives each student an open suspension)."""
    from tests.world import add_student

    o = world.obj[key]
    student = add_student(o.school, o.school_class, name)
    db.session.commit()
    return student


def last_change(student) -> StatusChange:
    return db.session.execute(select(StatusChange).where(StatusChange.student_id == student.id)
                              .order_by(StatusChange.id.desc())).scalars().first()


def test_suspension_then_resumption_full_workflow_with_holds(app, world):
    officer = login(app, world, "school_officer")
    leader = login(app, world, "school_leader")
    bureau = login(app, world, "bureau_officer")
    student = fresh_student(world)
    happened = local_today() - timedelta(days=2)

    resp = record(officer, student, happened=happened, files=[("诊断证明.png", PNG), ("病历.pdf", PDF)])
    assert resp.status_code == 302
    change = last_change(student)
    assert change.state == "recorded" and len(change.evidence) == 2
    assert {e.mimetype for e in change.evidence} == {"image/png", "application/pdf"}

    # the leader's queue lists it; approve inline (htmx row swap)
    page = leader.client.get("/changes/?todo=y").get_data(as_text=True)
    assert student.name in page and "学校审批同意" in page
    resp = act(leader, change, "approve_school", hx=True)
    assert resp.status_code == 200 and "<html" not in resp.get_data(as_text=True)
    assert "changes-updated" in resp.headers["HX-Trigger"]
    db.session.refresh(change)
    assert change.state == "school_approved" and change.school_processed_on == local_today()
    assert student.status == "在籍"  # nothing changes before the bureau confirms

    resp = act(bureau, change, "confirm")
    assert resp.status_code == 302
    db.session.refresh(change)
    db.session.refresh(student)
    assert change.state == "approved" and student.status == "休学"
    assert hold_for(student.id, happened) and "休学" in hold_for(student.id, happened)
    assert hold_for(student.id, happened - timedelta(days=1)) is None  # before the change: not held
    detail = bureau.client.get(f"/changes/{change.id}").get_data(as_text=True)
    assert "已生效" in detail and "按时办理" in detail and "暂停发放" in detail
    for action in ("登记异动", "学校审批同意", "主管部门确认"):
        assert action in detail

    # resumption lifts the hold from its own date
    resp = record(officer, student, kind="resume", happened=local_today(), reason="病愈复学")
    assert resp.status_code == 302
    resume = last_change(student)
    act(leader, resume, "approve_school")
    act(bureau, resume, "confirm")
    db.session.refresh(student)
    assert student.status == "在籍"
    assert hold_for(student.id, local_today()) is None
    assert hold_for(student.id, happened) is not None  # the suspended period stays held
    actions = set(db.session.execute(select(AuditEvent.action).where(AuditEvent.object_type == "status_changes")).scalars())
    assert {"create", "status_change.record", "status_change.approve_school", "status_change.confirm"} <= actions


def test_returns_need_a_reason_and_the_officer_resubmits(app, world):
    officer = login(app, world, "school_officer")
    leader = login(app, world, "school_leader")
    bureau = login(app, world, "bureau_officer")
    student = fresh_student(world)
    record(officer, student, kind="withdraw", reason="家庭原因退学")
    change = last_change(student)
    act(leader, change, "approve_school")

    resp = act(bureau, change, "return_by_bureau", reason="")
    assert resp.status_code == 422 and "必须填写原因" in resp.get_data(as_text=True)
    db.session.refresh(change)
    assert change.state == "school_approved"

    form = bureau.client.get(f"/changes/{change.id}/return-form", headers=HX).get_data(as_text=True)
    assert 'name="reason"' in form and "<html" not in form
    resp = act(bureau, change, "return_by_bureau", hx=True, reason="缺少家长签字的退学申请")
    assert resp.status_code == 200
    db.session.refresh(change)
    assert change.state == "returned" and change.school_processed_on is None

    resp = act(officer, change, "resubmit", reason="家庭原因退学（补充家长申请）",
               happened_on=(local_today() + timedelta(days=3)).isoformat(), target_school_id="0", target_class_id="0")
    assert resp.status_code == 422 and "不能晚于今天" in resp.get_data(as_text=True)
    db.session.refresh(change)
    assert change.state == "returned" and "补充" not in change.reason
    db.session.refresh(change)
    payload = {"action": "resubmit", "version": str(change.version), "reason": "家庭原因退学（补充家长申请）",
               "happened_on": change.happened_on.isoformat(), "target_school_id": "0", "target_class_id": "0",
               "files": [(io.BytesIO(PDF), "家长申请.pdf")]}
    resp = officer.post(f"/changes/{change.id}/act", payload, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.refresh(change)
    assert change.state == "recorded" and "补充家长申请" in change.reason
    assert [e.filename for e in change.evidence] == ["家长申请.pdf"]
    detail = officer.client.get(f"/changes/{change.id}").get_data(as_text=True)
    assert "缺少家长签字的退学申请" in detail


def test_officer_cancels_with_a_reason(app, world):
    officer = login(app, world, "school_officer")
    change = world.obj["A1"].change
    assert act(officer, change, "cancel").status_code == 422
    assert act(officer, change, "cancel", reason="登记错误").status_code == 302
    db.session.refresh(change)
    assert change.state == "cancelled"
    assert service.timeliness(change).category == "closed"
    resp = record(officer, world.obj["A1"].student, reason="重新登记")
    assert resp.status_code == 302


def test_leader_bulk_approves_and_foreign_ids_are_refused(app, world):
    officer = login(app, world, "school_officer")
    leader = login(app, world, "school_leader")
    own = world.obj["A1"].change  # recorded in the test world
    other = fresh_student(world)
    record(officer, other, kind="military", reason="应征入伍")
    second = last_change(other)
    foreign = world.obj["A2"].change
    resp = leader.post("/changes/bulk", {"action": "approve_school", "ids": [own.id, second.id, foreign.id]},
                       headers=HX)
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "已处理 2 条" in text and "不在您的管辖范围内" in text
    for c in (own, second, foreign):
        db.session.refresh(c)
    assert own.state == second.state == "school_approved" and foreign.state == "recorded"


def test_a_stale_version_is_refused_and_triggers_are_ascii(app, world):
    leader = login(app, world, "school_leader")
    change = world.obj["A1"].change
    resp = leader.post(f"/changes/{change.id}/act", {"action": "approve_school", "version": "999"}, headers=HX)
    assert resp.status_code == 422 and "已被他人处理" in resp.get_data(as_text=True)
    db.session.refresh(change)
    assert change.state == "recorded"
    resp = act(leader, change, "approve_school", hx=True)
    assert resp.status_code == 200
    resp.headers["HX-Trigger"].encode("ascii")
    # the same step again: the state has moved on
    resp = act(leader, change, "approve_school", hx=True)
    assert resp.status_code == 422 and "不能执行" in resp.get_data(as_text=True)


def test_class_changes_move_the_student_to_the_new_class(app, world):
    officer = login(app, world, "school_officer")
    leader = login(app, world, "school_leader")
    bureau = login(app, world, "bureau_officer")
    o = world.obj["A1b"]
    o.student = fresh_student(world)
    later = SchoolClass(school_id=o.school.id, major_id=o.major.id, name="A1 2026级1班", intake_date=date(2026, 9, 1))
    db.session.add(later)
    db.session.commit()
    resp = record(officer, o.student, kind="repeat", reason="成绩不合格留级", target_class_id=later.id)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    change = last_change(o.student)
    act(leader, change, "approve_school")
    act(bureau, change, "confirm")
    db.session.refresh(o.student)
    assert o.student.class_id == later.id and o.student.status == "在籍"


def test_bad_input_gets_a_chinese_message_and_changes_nothing(app, world):
    officer = login(app, world, "school_officer")
    student = fresh_student(world)
    storage = app.config["STORAGE_DIR"]
    before_changes = db.session.scalar(select(func.count()).select_from(StatusChange))
    before_files = db.session.scalar(select(func.count()).select_from(ChangeEvidence))
    cases = [
        (dict(happened=local_today() + timedelta(days=1)), "不能晚于今天"),
        (dict(happened=date(2025, 8, 31)), "不能早于该生入学日期"),
        (dict(kind="resume"), "不是休学状态，不能办理复学"),
        (dict(kind="transfer", target_school_id=world.schools["A1"].id), "转入学校不能与原学校相同"),
        (dict(kind="transfer"), "请选择转入学校"),
        (dict(files=[("证明.png", b"MZ\x90\x00 not an image")]), "不是JPEG、PNG图片或PDF文件"),
        (dict(files=[("证明.pdf", b"<html>fake</html>")]), "不是JPEG、PNG图片或PDF文件"),
        (dict(reason=""), "请填写异动原因"),
    ]
    for kwargs, message in cases:
        resp = record(officer, student, **kwargs)
        assert resp.status_code == 422, kwargs
        assert message in resp.get_data(as_text=True), kwargs
    # a student of another school is outside the jurisdiction
    resp = record(officer, world.obj["A2"].student)
    assert resp.status_code == 422 and "管辖范围内没有学籍号" in resp.get_data(as_text=True)
    # too large
    app.config["UPLOAD_MAX_BYTES"] = 100
    try:
        resp = record(officer, student, files=[("大.png", PNG + b"\x00" * 200)])
    finally:
        app.config["UPLOAD_MAX_BYTES"] = 10 * 1024 * 1024
    assert resp.status_code == 422 and "大小限制" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StatusChange)) == before_changes
    assert db.session.scalar(select(func.count()).select_from(ChangeEvidence)) == before_files
    db.session.refresh(student)
    assert student.status == "在籍" and storage


def test_one_open_change_per_student(app, world):
    officer = login(app, world, "school_officer")
    resp = record(officer, world.obj["A1"].student)  # the world already has an open suspension for it
    assert resp.status_code == 422 and "尚未办结" in resp.get_data(as_text=True)


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def test_evidence_is_served_only_through_the_checked_view(app, world):
    officer = login(app, world, "school_officer")
    change = world.obj["A1"].change
    ev = world.obj["A1"].evidence
    resp = officer.client.get(f"/changes/{change.id}/evidence/{ev.id}")
    assert resp.status_code == 200 and resp.data.startswith(b"\x89PNG") and resp.mimetype == "image/png"
    assert "attachment" in resp.headers["Content-Disposition"]
    # an evidence id of another change through this change's URL
    other = world.obj["A1b"].evidence
    assert officer.client.get(f"/changes/{change.id}/evidence/{other.id}").status_code == 404
    foreign = login(app, world, "school_officer_a2")
    assert foreign.client.get(f"/changes/{change.id}/evidence/{ev.id}").status_code == 404
    assert "/static/" not in ev.path and not ev.path.startswith("/")

    resp = officer.post(f"/changes/{change.id}/evidence",
                        {"files": [(io.BytesIO(b"just text"), "a.jpg")]}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "不是JPEG、PNG图片或PDF文件" in resp.get_data(as_text=True)
    resp = officer.post(f"/changes/{change.id}/evidence",
                        {"files": [(io.BytesIO(_jpeg()), "b.jpg")]}, content_type="multipart/form-data")
    assert resp.status_code == 302
    db.session.refresh(change)
    assert [e.mimetype for e in change.evidence][-1] == "image/jpeg"


def test_printable_form_has_each_step(app, world):
    from pypdf import PdfReader

    officer = login(app, world, "school_officer")
    leader = login(app, world, "school_leader")
    student = fresh_student(world)
    record(officer, student, reason="身体原因申请休学")
    change = last_change(student)
    act(leader, change, "approve_school")
    resp = leader.client.get(f"/changes/{change.id}/form.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "status-change-" in resp.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(resp.data))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    for expected in ("学籍异动审批表", student.name, student.register_no, "休学", "身体原因申请休学",
                     "登记异动", "学校审批同意", "a1_leader", "待主管部门确认", "第1页共1页"):
        assert expected in text, expected
    box = reader.pages[0].mediabox
    assert round(float(box.width)) == 595 and round(float(box.height)) == 842  # A4


def test_late_suspension_is_overdue_at_school_and_bureau(app, world):
    officer = login(app, world, "school_officer")
    leader = login(app, world, "school_leader")
    bureau = login(app, world, "bureau_officer")
    for key in ("A1", "A1b"):  # the world's own open changes: happened today, within the deadline
        world.obj[key].change.happened_on = local_today()
    db.session.commit()
    # recorded long after it happened and still open
    late_student = fresh_student(world)
    resp = record(officer, late_student, happened=date(2025, 10, 9), reason="休学（补录）")
    assert resp.status_code == 302
    open_late = last_change(late_student)
    t = service.timeliness(open_late)
    assert t.category == "open_overdue" and t.deadline == date(2025, 10, 22)  # the make-up Saturday 11th counts

    # school: queue row and home panel
    queue = officer.client.get("/changes/").get_data(as_text=True)
    assert "已逾期" in queue and "2025-10-22" in queue
    home = leader.client.get("/home").get_data(as_text=True)
    assert "未办结且已逾期" in home

    # processed now: late
    act(leader, open_late, "approve_school")
    rows = {r.school_name: r for r in service.school_timeliness(world.user("bureau_officer"))}
    assert rows["A1技工学校"].late == 1
    flagged = service.overdue_changes(world.user("school_officer"))
    assert [(c.id, t.category) for c, t in flagged] == [(open_late.id, "late")]
    # another open overdue one in A2 (bureau A sees both schools; A2 first: open overdue ranks first)
    a2 = world.obj["A2"].change
    a2.happened_on = date(2025, 10, 9)
    db.session.commit()
    rows = service.school_timeliness(world.user("bureau_officer"))
    assert [r.school_name for r in rows][:2] == ["A2技工学校", "A1技工学校"]
    assert rows[0].open_overdue == 1 and rows[1].late == 1 and "B1技工学校" not in [r.school_name for r in rows]
    home = bureau.client.get("/home").get_data(as_text=True)
    assert home.index("A2技工学校") < home.index("A1技工学校")
    page = bureau.client.get("/changes/timeliness").get_data(as_text=True)
    assert "逾期办理" in page and "未办结且已逾期" in page


def test_queue_filters_answer_htmx_with_the_partial(app, world):
    bureau = login(app, world, "bureau_officer")
    resp = bureau.client.get(f"/changes/?kind=suspend&school_id={world.schools['A2'].id}", headers=HX)
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in text
    assert "A2学生甲" in text and "A1学生甲" not in text and "B1学生甲" not in text
    full = bureau.client.get("/changes/").get_data(as_text=True)
    assert "<html" in full and "A1学生甲" in full and "B1学生甲" not in full
    assert "待我处理" in bureau.client.get("/changes/todo-count").get_data(as_text=True)


def test_queue_pages_keep_the_filters(app, world, monkeypatch):
    from aid.changes import views

    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 1)
    bureau = login(app, world, "bureau_officer")
    first = bureau.client.get("/changes/?kind=suspend").get_data(as_text=True)
    second = bureau.client.get("/changes/?kind=suspend&page=2").get_data(as_text=True)
    names = ("A1学生甲", "A2学生甲")
    assert [n for n in names if n in first] and [n for n in names if n in second]
    assert {n for n in names if n in first} | {n for n in names if n in second} == set(names)
    assert not {n for n in names if n in first} & {n for n in names if n in second}
    assert "page=2" in first and "kind=suspend" in first[first.index('class="pager"'):] and "上一页" in second


def test_holds_interface_and_payments_protocol(app, world):
    student = world.obj["A1"].student
    assert holds_for([]) == {}
    assert hold_for(student.id) is None
    student.status = "退学"  # a legacy record without change records is held by its status
    db.session.commit()
    assert "退学" in holds_for([student.id, world.obj["A2"].student.id])[student.id]
    assert service.payments_after_change(world.obj["A1"].change) == []


def test_student_sees_only_own_changes_on_home(app, world):
    student = login(app, world, "student")
    page = student.client.get("/home").get_data(as_text=True)
    assert "我的学籍异动" in page and "休学" in page and "2026年10月20日" in page
    assert student.client.get(f"/changes/{world.obj['A1'].change.id}").status_code == 403
    # another student's change is not on the page
    world.obj["A1b"].change.happened_on = date(2026, 1, 5)
    db.session.commit()
    assert "2026年1月5日" not in student.client.get("/home").get_data(as_text=True)
