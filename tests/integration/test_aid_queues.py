"""The approval queues through the browser's eyes: bulk approve / return, stale rows,
separation of duties, concurrent approvals, proposals, PDFs, self-service, evidence."""
from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy import func, select

from aid.applications import service as applications
from aid.applications.models import Application
from aid.applications.workflow import APPLICATION_WORKFLOW
from aid.extensions import db
from aid.programmes import service as programmes
from aid.programmes.semesters import Semester
from aid.students.models import SchoolClass
from aid.workflow import WorkflowStep, apply_transition
from tests.conftest import Auth, login_client
from tests.world import add_student, add_user

SEM = Semester(2025, "autumn")
PATH = ["submit", "review", "approve_school", "post_notice", "end_notice"]
ACTOR = {"submit": "school_officer", "review": "school_officer", "approve_school": "school_leader",
         "post_notice": "school_officer", "end_notice": "school_officer"}
UNTIL = {"submitted": 1, "reviewed": 2, "school_approved": 3, "noticed": 5}


def make(w, key, state, programme="tuition_waiver"):
    student = w.obj[key].student
    officer = w.users["school_officer"] if key.startswith("A1") else add_user(w, f"off_{key}", f"off_{key}", "school_officer", school_id=w.obj[key].school.id)
    app = applications.create_application(officer, student, programmes.programme_by_code(programme), SEM)
    for action in PATH[:UNTIL.get(state, 0)]:
        user = w.users[ACTOR[action]] if key.startswith("A1") else officer
        apply_transition(APPLICATION_WORKFLOW, app, action, user)
    db.session.commit()
    return app


def hx_post(auth, path, data):
    return auth.post(path, data, headers={"HX-Request": "true"})


def test_officer_reviews_in_bulk_and_counts_update_out_of_band(world, client, auth):
    a = make(world, "A1", "submitted")
    b = make(world, "A1b", "submitted")
    auth.login("a1_officer")
    page = client.get("/applications/queue").get_data(as_text=True)
    assert f'value="{a.id}:{a.version}"' in page and "农村（含县镇）户籍学生" in page  # eligibility reasons shown
    assert 'id="nav-badge-applications-queue" class="badge nav-badge">4<' in page  # 2 submitted + 2 world drafts
    resp = hx_post(auth, "/applications/queue/bulk", {"sel": [f"{a.id}:{a.version}", f"{b.id}:{b.version}"],
                                                      "verb": "approve", "state": "submitted"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已处理2条" in body
    assert 'id="queue-work" class="work-count" hx-swap-oob="true"' in body
    assert '<span id="nav-badge-applications-queue" class="badge nav-badge" hx-swap-oob="true">2</span>' in body
    assert resp.headers["HX-Trigger"].isascii() and "aid-queue-changed" in resp.headers["HX-Trigger"]  # the world drafts remain
    db.session.expire_all()
    assert {db.session.get(Application, a.id).state, db.session.get(Application, b.id).state} == {"reviewed"}


def test_queue_counts_are_exact_and_stop_at_the_cap_only_under_a_class_filter(world, client, auth, monkeypatch):
    import re

    make(world, "A1", "submitted")
    make(world, "A1b", "submitted")
    auth.login("a1_officer")
    page = client.get("/applications/queue").get_data(as_text=True)
    tabs = page[page.index('id="queue-counts"'):page.index("</nav>", page.index('id="queue-counts"'))]
    assert re.search(r"已提交\s*<span class=\"badge\">2</span>", tabs)
    total = db.session.scalar(select(func.count()).select_from(Application).where(
        Application.school_id == world.obj["A1"].school.id, Application.semester == str(SEM)))
    assert total > 2 and re.search(rf"全部\s*<span class=\"badge\">{total}</span>", tabs)
    monkeypatch.setattr(applications, "COUNT_CAP", 1)
    page = client.get("/applications/queue").get_data(as_text=True)  # from the tallies: exact past any cap
    tabs = page[page.index('id="queue-counts"'):page.index("</nav>", page.index('id="queue-counts"'))]
    assert re.search(r"已提交\s*<span class=\"badge\">2</span>", tabs)
    assert 'class="badge nav-badge">4<' in page  # 2 submitted + 2 world drafts
    cls = world.obj["A1"].school_class
    page = client.get(f"/applications/queue?state=submitted&class_id={cls.id}").get_data(as_text=True)
    tabs = page[page.index('id="queue-counts"'):page.index("</nav>", page.index('id="queue-counts"'))]
    assert re.search(r"已提交\s*<span class=\"badge\">1\+</span>", tabs)  # a class: counted up to the cap
    assert re.search(r"全部\s*<span class=\"badge\">1\+</span>", tabs)
    assert page.count('name="sel"') == 2  # the rows themselves are not capped


def test_leader_approves_and_returns_with_a_reason(world, client, auth):
    a = make(world, "A1", "reviewed")
    b = make(world, "A1b", "reviewed")
    auth.login("a1_leader")
    resp = hx_post(auth, "/applications/queue/bulk", {"sel": [f"{b.id}:{b.version}"], "verb": "return", "reason": ""})
    assert resp.status_code == 422 and "必须填写原因" in resp.get_data(as_text=True)
    resp = hx_post(auth, "/applications/queue/bulk", {"sel": [f"{a.id}:{a.version}"], "verb": "approve"})
    assert resp.status_code == 200
    resp = hx_post(auth, "/applications/queue/bulk", {"sel": [f"{b.id}:{b.version}"], "verb": "return",
                                                      "reason": "资助卡号有误"})
    assert resp.status_code == 200
    db.session.expire_all()
    assert db.session.get(Application, a.id).state == "school_approved"
    assert db.session.get(Application, b.id).state == "returned"
    step = db.session.execute(select(WorkflowStep).where(WorkflowStep.object_id == b.id,
                                                         WorkflowStep.action == "return_to_applicant")).scalar_one()
    assert step.reason == "资助卡号有误"


def test_bureau_approves_noticed_items_and_returns_to_school(world, client, auth):
    a = make(world, "A1", "noticed")
    b = make(world, "A1b", "noticed")
    auth.login("a_bureau")
    page = client.get("/applications/queue").get_data(as_text=True)
    assert f'value="{a.id}:{a.version}"' in page
    auth.post("/applications/queue/bulk", {"sel": [f"{a.id}:{a.version}"], "verb": "approve"})
    resp = auth.post("/applications/queue/bulk", {"sel": [f"{b.id}:{b.version}"], "verb": "return", "reason": "公示材料不全"})
    assert resp.status_code == 302  # without JavaScript: a plain form and a redirect
    db.session.expire_all()
    assert db.session.get(Application, a.id).state == "bureau_approved"
    assert db.session.get(Application, b.id).state == "reviewed"


def test_a_stale_row_is_reported_not_applied(world, app):
    a = make(world, "A1", "reviewed")
    add_user(world, "leader2", "a1_leader2", "school_leader", school_id=world.schools["A1"].id)
    db.session.commit()
    first, second = login_client(app, "a1_leader"), login_client(app, "a1_leader2")
    row = f"{a.id}:{a.version}"  # both sessions see the same version
    r1 = Auth(first).post("/applications/queue/bulk", {"sel": [row], "verb": "approve"}, headers={"HX-Request": "true"})
    r2 = Auth(second).post("/applications/queue/bulk", {"sel": [row], "verb": "approve"}, headers={"HX-Request": "true"})
    assert r1.status_code == 200 and "已处理1条" in r1.get_data(as_text=True)
    assert r2.status_code == 409 and "已被他人处理" in r2.get_data(as_text=True)
    steps = db.session.scalar(select(func.count()).select_from(WorkflowStep).where(
        WorkflowStep.object_id == a.id, WorkflowStep.action == "approve_school"))
    assert steps == 1


def test_two_concurrent_approvals_never_double_apply(world, app):
    """Both sessions load the row before either commits: the version column decides."""
    from sqlalchemy.orm import Session
    a = make(world, "A1", "reviewed")
    leader = world.users["school_leader"]
    leader2 = add_user(world, "leader2", "a1_leader2", "school_leader", school_id=world.schools["A1"].id)
    app_id = a.id
    db.session.commit()  # SQLite: the test session must hold no transaction while the other one begins
    other = Session(db.engine, expire_on_commit=False)
    try:
        theirs = other.get(Application, app_id)
        other.commit()  # the other request has read the row and holds no lock (SQLite)
        mine = db.session.get(Application, app_id)
        assert mine.version == theirs.version
        applications.step(leader, mine, "approve_school", expected_version=mine.version)
        db.session.commit()
        try:
            theirs.state = "school_approved"  # what apply_transition would do in the other session
            db.session.commit()
            other.flush()
            raised = False
        except Exception as exc:  # StaleDataError
            raised = "StaleDataError" in type(exc).__name__
        assert raised
        other.rollback()
    finally:
        other.close()
    # and through the service: the second approval is refused with the clear message
    db.session.expire_all()
    result = applications.bulk(leader2, [(a.id, a.version - 1)], "approve")
    assert not result.done and result.stale and "已被他人处理" in result.stale[0][1]


def test_who_reviewed_cannot_approve_even_with_the_leader_role(world, client, auth):
    a = make(world, "A1", "reviewed")  # reviewed by a1_officer
    officer = world.users["school_officer"]
    officer.role = "school_leader"
    db.session.commit()
    auth.login("a1_officer")
    resp = hx_post(auth, "/applications/queue/bulk", {"sel": [f"{a.id}:{a.version}"], "verb": "approve"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "谁审核、谁负责" in body
    db.session.expire_all()
    assert db.session.get(Application, a.id).state == "reviewed"


def test_a_foreign_row_in_a_bulk_is_refused(world, client, auth):
    foreign = make(world, "A2", "submitted")
    auth.login("a1_officer")
    resp = hx_post(auth, "/applications/queue/bulk", {"sel": [f"{foreign.id}:{foreign.version}"], "verb": "approve"})
    assert resp.status_code == 409 and "不在管辖范围" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, foreign.id).state == "submitted"


def test_queue_filters_by_programme_and_class(world, client, auth):
    a = make(world, "A1", "submitted")
    auth.login("a1_officer")
    grant = programmes.programme_by_code("national_grant")
    page = client.get(f"/applications/queue?state=submitted&programme_id={grant.id}").get_data(as_text=True)
    assert f'value="{a.id}:' not in page
    cls = world.obj["A1"].school_class
    page = client.get(f"/applications/queue?state=submitted&class_id={cls.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'value="{a.id}:' in page and "<html" not in page


def test_inline_detail_shows_reasons_and_steps(world, client, auth):
    a = make(world, "A1", "reviewed")
    auth.login("a1_leader")
    part = client.get(f"/applications/{a.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in part and "资格审查" in part and "全日制正式学籍" in part and "学校审核" in part


def test_a_part_time_student_never_appears_on_the_proposal_list(world, client, auth):
    o = world.obj["A1"]
    pt_class = SchoolClass(school_id=o.school.id, major_id=o.major.id, name="A1非全日制班", intake_date=date(2025, 9, 1),
                           study_mode="part_time")
    db.session.add(pt_class)
    db.session.flush()
    add_student(o.school, pt_class, "非全日制丙", study_mode="part_time", household="rural")
    db.session.commit()
    auth.login("a1_officer")
    waiver = programmes.programme_by_code("tuition_waiver")
    page = client.get(f"/applications/proposals?semester={SEM}&programme_id={waiver.id}").get_data(as_text=True)
    assert "A1学生甲" in page and "非全日制丙" not in page
    resp = auth.post("/applications/proposals/generate", {"semester": str(SEM), "programme_id": waiver.id,
                                                          "school_id": o.school.id})
    assert resp.status_code == 302
    names = set(db.session.execute(select(Application.student_id).where(
        Application.semester == str(SEM), Application.programme_id == waiver.id)).scalars())
    assert names == {o.student.id, world.obj["A1b"].student.id}


def test_the_proposal_list_counts_everyone_and_shows_one_page(world, client, auth, monkeypatch):
    from aid.applications import views

    o = world.obj["A1"]
    for i in range(3):
        add_student(o.school, o.school_class, f"农村学生{i}", household="rural")
    add_student(o.school, o.school_class, "城镇学生甲", household="urban")
    add_student(o.school, o.school_class, "城镇学生乙", household="urban")
    db.session.commit()
    monkeypatch.setattr(views, "PROPOSAL_PAGE_SIZE", 2)
    auth.login("a1_officer")
    waiver = programmes.programme_by_code("tuition_waiver")
    base = f"/applications/proposals?semester={SEM}&programme_id={waiver.id}"
    pages = [client.get(f"{base}&page={n}").get_data(as_text=True) for n in (1, 2, 3)]
    assert all("符合条件 5 人，尚未生成申请 5 人" in p and "不符合条件的全日制学生（2 人）" in p for p in pages)
    assert "为 5 名学生生成申请草稿" in pages[0] and "下一页" in pages[0] and "上一页" not in pages[0]
    listed = [n for n in ("A1学生甲", "A1学生乙", "农村学生0", "农村学生1", "农村学生2") if any(n in p for p in pages)]
    assert len(listed) == 5 and sum(p.count("<td>农村学生") for p in pages) == 3  # each on exactly one page
    assert "城镇学生甲" in pages[0] and "城镇学生乙" in pages[0]  # the ineligible list has its own pages


def _pdf_text(resp) -> str:
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.data)).pages)


def test_application_form_pdf_shows_each_step(world, client, auth):
    a = make(world, "A1", "school_approved")
    auth.login("a1_leader")
    text = _pdf_text(client.get(f"/applications/{a.id}/form.pdf"))
    for expected in ("免学费申请审批表", "A1学生甲", "学校审核", "学校审批", "a1_officer", "a1_leader", "壹仟贰佰元整"):
        assert expected in text, expected


def test_hardship_form_pdf(world, client, auth):
    h = world.obj["A1"].hardship
    auth.login("a1_officer")
    text = _pdf_text(client.get(f"/hardship/{h.id}/form.pdf"))
    for expected in ("家庭经济困难学生认定申请表", "A1学生甲", "最低生活保障家庭学生", "诚信承诺", "12,000.00"):
        assert expected in text, expected


def test_student_sees_reasons_and_applies(world, client, auth):
    auth.login("a1_student")
    page = client.get(f"/applications/mine?semester={SEM}").get_data(as_text=True)
    assert "免学费" in page and "农村（含县镇）户籍学生" in page and "国家奖学金由学校评审推荐" in page
    waiver = programmes.programme_by_code("tuition_waiver")
    auth.post("/applications/apply", {"programme_id": waiver.id, "semester": str(SEM)}, token_from="/applications/mine")
    app = db.session.execute(select(Application).where(Application.student_id == world.obj["A1"].student.id,
                                                       Application.programme_id == waiver.id,
                                                       Application.semester == str(SEM))).scalar_one()
    assert app.state == "submitted"
    resp = auth.post("/applications/apply", {"programme_id": waiver.id, "semester": str(SEM)}, token_from="/applications/mine")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "不能重复申请" in page


def test_evidence_is_checked_by_content(world, client, auth):
    h = world.obj["A1b"].hardship
    auth.login("a1_officer")
    fake = (io.BytesIO(b"MZ\x90\x00 this is not a picture"), "photo.png")
    resp = auth.post(f"/hardship/{h.id}/evidence", {"file": fake}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "按文件内容判断" in resp.get_data(as_text=True)
    pdf = (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "低保证明.pdf")
    resp = auth.post(f"/hardship/{h.id}/evidence", {"file": pdf}, content_type="multipart/form-data")
    assert resp.status_code == 302
    from aid.hardship.models import HardshipEvidence
    ev = db.session.execute(select(HardshipEvidence).where(HardshipEvidence.original_name == "低保证明.pdf")).scalar_one()
    download = client.get(f"/hardship/evidence/{ev.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")


def test_hardship_workflow_through_the_pages(world, client, auth):
    h = world.obj["A1b"].hardship
    auth.login("a1_officer")
    auth.post(f"/hardship/{h.id}/act", {"action": "submit", "version": h.version})
    db.session.expire_all()
    resp = auth.post(f"/hardship/{h.id}/act", {"action": "class_review", "version": h.version, "opinion": ""})
    assert resp.status_code == 422 and "班级评议意见" in resp.get_data(as_text=True)
    resp = auth.post(f"/hardship/{h.id}/act", {"action": "class_review", "version": h.version, "opinion": "情况属实"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]
    db.session.expire_all()
    assert h.state == "class_reviewed"
    auth.logout()
    auth.login("a1_leader")
    resp = auth.post(f"/hardship/{h.id}/act", {"action": "determine", "version": h.version, "level": "不困难"})
    assert resp.status_code == 422 and "书面理由" in resp.get_data(as_text=True)
    auth.post(f"/hardship/{h.id}/act", {"action": "determine", "version": h.version, "level": "比较困难"})
    db.session.expire_all()
    assert h.state == "determined" and h.level == "比较困难"


def test_province_admin_adds_a_version_in_the_ui(world, client, auth):
    grant = programmes.programme_by_code("national_grant")
    auth.login("p_admin")
    page = client.get(f"/programmes/{grant.id}/edit").get_data(as_text=True)
    assert "3,000.00" in page or "3000" in page
    start = programmes.current_semester().next()
    data = {"valid_from": str(start), "note": "省厅文件调整", "payment_schedule": "monthly", "min_year": 1,
            "years_of_study": ["1", "2", "3"], "include_agriculture_major": "y", "include_hardship": "y",
            "include_poverty_area_rural": "y", "policy_average_yuan": "2300",
            "level_name_0": "特别困难", "level_yuan_0": "3300", "level_weight_0": "5",
            "level_name_1": "比较困难", "level_yuan_1": "2300", "level_weight_1": "3",
            "level_name_2": "一般困难", "level_yuan_2": "1000", "level_weight_2": "2"}
    resp = auth.post(f"/programmes/{grant.id}/edit", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    detail = client.get(f"/programmes/{grant.id}").get_data(as_text=True)
    assert "加权平均 2,540.00 元/年" in detail and "达到政策标准" in detail
    db.session.expire_all()
    version = programmes.version_for(grant, start)
    assert version.payment_schedule == "monthly"
    assert programmes.version_rules(version).level_weights == (5, 3, 2)
    from aid.audit.models import AuditEvent
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "programme_version_create", AuditEvent.username == "p_admin")) == 1
    past = {**data, "valid_from": str(programmes.current_semester().prev())}
    resp = auth.post(f"/programmes/{grant.id}/edit", past)
    assert resp.status_code == 422


def test_province_admin_creates_a_local_programme_and_sets_its_amount(world, client, auth):
    auth.login("p_admin")
    resp = auth.post("/programmes/local", {"code": "fj_grant", "name": "福建省励志助学金", "school_id": "0"},
                     token_from="/programmes/")
    assert resp.status_code == 302 and "/edit" in resp.headers["Location"]
    programme = programmes.programme_by_code("fj_grant")
    assert client.get(f"/programmes/{programme.id}/edit").status_code == 200
    start = programmes.current_semester()
    resp = auth.post(f"/programmes/{programme.id}/edit", {"valid_from": str(start), "note": "闽人社文件", "min_year": 1,
                                                          "payment_schedule": "semester", "include_hardship": "y",
                                                          "require_hardship": "y", "fixed_annual_yuan": "1500"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    db.session.expire_all()
    rules = programmes.version_rules(programmes.version_for(programme, start))
    assert rules.fixed_annual_fen == 150000 and rules.require_hardship and rules.kind == "local"


def test_student_applies_and_each_role_approves_on_its_own_queue(world, app):
    """student → officer (review) → leader (approve) → notice → bureau (approve), each through its queue."""
    waiver = programmes.programme_by_code("tuition_waiver")
    student = Auth(login_client(app, "a1_student"))
    student.post("/applications/apply", {"programme_id": waiver.id, "semester": str(SEM)}, token_from="/applications/mine")
    row = db.session.execute(select(Application).where(Application.student_id == world.obj["A1"].student.id,
                                                       Application.programme_id == waiver.id,
                                                       Application.semester == str(SEM))).scalar_one()
    for username, state, target in (("a1_officer", "submitted", "reviewed"), ("a1_leader", "reviewed", "school_approved")):
        staff = Auth(login_client(app, username))
        queue = staff.client.get(f"/applications/queue?state={state}").get_data(as_text=True)
        assert f'value="{row.id}:{row.version}"' in queue
        staff.post("/applications/queue/bulk", {"sel": [f"{row.id}:{row.version}"], "verb": "approve", "state": state})
        db.session.expire_all()
        assert row.state == target
    for action in ("post_notice", "end_notice"):  # the notices area's steps
        apply_transition(APPLICATION_WORKFLOW, row, action, world.users["school_officer"])
    db.session.commit()
    bureau = Auth(login_client(app, "a_bureau"))
    assert f'value="{row.id}:{row.version}"' in bureau.client.get("/applications/queue").get_data(as_text=True)
    bureau.post("/applications/queue/bulk", {"sel": [f"{row.id}:{row.version}"], "verb": "approve"})
    db.session.expire_all()
    assert row.state == "bureau_approved"
    mine = Auth(login_client(app, "a1_student")).client.get(f"/applications/mine?semester={SEM}").get_data(as_text=True)
    assert "人社部门已审批" in mine
