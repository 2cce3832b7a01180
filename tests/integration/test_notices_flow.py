"""A school posts a grant notice in the browser: officer prepares, leader
approves, it is posted and public, an objection is recorded and resolved, the
notice ends on the right working day and the items move on."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import select

from aid.applications.models import Application
from aid.audit.models import AuditEvent
from aid.extensions import db
from aid.notices import service
from aid.notices.models import Notice, NoticeItem, Objection
from aid.printing.models import StoredDocument
from aid.workflow import WorkflowStep
from tests.areas import notices as fx
from tests.world import add_student

POSTED = date(2025, 9, 29)  # a Monday; 5 working days incl. this day end on Saturday 2025-10-11 (调休)


@pytest.fixture
def clock(monkeypatch):
    """Today, as the notices area sees it."""
    class Clock:
        today = POSTED

        def set(self, d):
            self.today = d

    c = Clock()
    monkeypatch.setattr(service, "local_today", lambda: c.today)
    monkeypatch.setattr("aid.notices.views.local_today", lambda: c.today)
    return c


def _grant_sources(world, n=2):
    objs = world.obj["A1"]
    prog = fx.programme("flow_grant", "national_grant", "国家助学金")
    rows = [fx.application(objs.student, prog, level="一等")]
    for i in range(n - 1):
        s = add_student(objs.school, objs.school_class, f"流程学生{i}")
        rows.append(fx.application(s, prog, level="二等"))
    db.session.commit()
    return rows


def _create(auth, sources, first="2025-09-29", end="2025-10-11", kind="grant"):
    return auth.post("/notices/new", {"kind": kind, "semester": "2025-autumn", "first_day": first, "end_day": end,
                                      "title": "", "contact": "", "item": [str(s.id) for s in sources]},
                     token_from="/notices/new")


def test_full_grant_notice_flow(app, world, client, auth, clock):
    sources = _grant_sources(world)
    assert auth.login("a1_officer").status_code == 302
    page = client.get("/notices/new?kind=grant")
    assert page.status_code == 200
    # htmx selection of the candidates
    part = client.get("/notices/candidates?kind=grant&semester=2025-autumn", headers={"HX-Request": "true"})
    assert part.status_code == 200 and "流程学生0" in part.get_data(as_text=True)
    assert "<html" not in part.get_data(as_text=True)

    resp = _create(auth, sources)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    notice = db.session.execute(select(Notice).order_by(Notice.id.desc())).scalars().first()
    assert notice.state == "draft" and notice.end_day == date(2025, 10, 11) and notice.workdays == 5
    assert "2025年秋季学期" in notice.title
    detail = f"/notices/{notice.id}"
    assert auth.post(f"{detail}/do/submit", {"version": notice.version}, token_from=detail).status_code == 302
    # the officer who prepared it cannot approve (role) — nor post before approval
    resp = auth.post(f"{detail}/do/post", {}, token_from=detail)
    assert resp.status_code == 422 and "尚未经学校负责人审批" in resp.get_data(as_text=True)
    db.session.refresh(notice)
    assert notice.state == "submitted" and notice.document_id is None
    assert db.session.get(Application, sources[0].id).state == "school_approved"
    auth.logout()

    auth.login("a1_leader")
    db.session.refresh(notice)
    assert auth.post(f"{detail}/do/approve", {"version": notice.version}, token_from=detail).status_code == 302
    resp = auth.post(f"{detail}/do/post", {}, token_from=detail)
    assert resp.status_code == 302
    db.session.refresh(notice)
    assert notice.state == "posted" and notice.document_id
    assert {a.state for a in db.session.execute(select(Application).where(
        Application.id.in_([s.id for s in sources]))).scalars()} == {"on_notice"}
    steps = db.session.execute(select(WorkflowStep.action).where(WorkflowStep.workflow == "notice",
                                                                WorkflowStep.object_id == notice.id)).scalars().all()
    assert steps == ["submit", "approve", "post"]

    # public page, no login
    anon = app.test_client()
    listing = anon.get(f"/public/schools/{notice.school_id}/notices")
    assert listing.status_code == 200 and notice.title in listing.get_data(as_text=True)
    assert "max-age" in listing.headers["Cache-Control"] and "no-store" not in listing.headers["Cache-Control"]
    assert "Set-Cookie" not in listing.headers
    page = anon.get(f"/public/notices/{notice.id}").get_data(as_text=True)
    assert "流程学生0" in page and "2025年10月11日" in page
    # the stored PDF is served with the same SHA-256, publicly and to staff
    doc = db.session.get(StoredDocument, notice.document_id)
    public_pdf = anon.get(f"/public/notices/{notice.id}/pdf")
    assert public_pdf.status_code == 200 and public_pdf.mimetype == "application/pdf"
    assert hashlib.sha256(public_pdf.data).hexdigest() == doc.sha256
    staff_pdf = client.get(f"{detail}/pdf")
    assert hashlib.sha256(staff_pdf.data).hexdigest() == doc.sha256
    assert "notice" in staff_pdf.headers["Content-Disposition"]

    # an objection during the period, by htmx; then resolved with the item withdrawn
    clock.set(date(2025, 10, 9))
    item = next(i for i in notice.items if i.name == "流程学生0")
    resp = auth.post(f"{detail}/objections", {"item_id": item.id, "received_on": "2025-10-09", "received_by": "王老师",
                                              "channel": "来访", "content": "该生家庭情况与申请不符"},
                     token_from=detail, headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "该生家庭情况与申请不符" in resp.get_data(as_text=True)
    assert "notice-changed" in resp.headers["HX-Trigger"] and resp.headers["HX-Trigger"].isascii()
    objection = db.session.execute(select(Objection).where(Objection.notice_id == notice.id)).scalar_one()
    assert objection.received_by == "王老师" and objection.state == "open"

    # the period is over but the objection is open: the notice does not end, and is not public
    clock.set(date(2025, 10, 13))
    assert "流程学生0" not in anon.get("/public/notices").get_data(as_text=True)
    assert anon.get(f"/public/notices/{notice.id}").status_code == 404
    assert anon.get(f"/public/notices/{notice.id}/pdf").status_code == 404
    client.get(detail)
    db.session.refresh(notice)
    assert notice.state == "posted"
    # an objection after the period is refused, nothing written
    resp = auth.post(f"{detail}/objections", {"item_id": 0, "received_on": "2025-10-13", "received_by": "王老师",
                                              "channel": "电话", "content": "迟到的异议"}, token_from=detail)
    assert resp.status_code == 422 and "公示期已于2025年10月11日结束" in resp.get_data(as_text=True)
    assert db.session.query(Objection).filter_by(notice_id=notice.id).count() == 1

    resp = auth.post(f"/objections/{objection.id}/resolve", {"outcome": "经核实情况属实，撤出公示", "withdraw_item": "y"},
                     token_from=detail)
    assert resp.status_code == 302
    db.session.expire_all()
    notice = db.session.get(Notice, notice.id)
    # resolving the last objection after the period ends the notice: items move on
    assert notice.state == "ended"
    states = {a.student.name: a.state for a in db.session.execute(select(Application).where(
        Application.id.in_([s.id for s in sources]))).scalars()}
    assert states == {"A1学生甲": "noticed", "流程学生0": "returned"}
    assert db.session.get(NoticeItem, item.id).state == "withdrawn"
    actions = set(db.session.execute(select(AuditEvent.action)).scalars())
    assert {"notice.create", "notice.objection", "notice.objection_resolve", "notice.document",
            "application.withdraw_from_notice", "application.end_notice", "notice.end"} <= actions


def test_notice_ends_on_the_working_day_after_its_end_and_cli_is_idempotent(app, world, clock):
    sources = _grant_sources(world, 1)
    officer, leader = world.users["school_officer"], world.users["school_leader"]
    notice = service.create_notice(officer, kind="grant", semester="2025-autumn", source_ids=[sources[0].id],
                                   first_day=POSTED, end_day=date(2025, 10, 11), today=POSTED)
    service.submit_notice(officer, notice)
    service.approve_notice(leader, notice)
    service.post_notice(leader, notice, today=POSTED, render=False)
    db.session.commit()
    runner = app.test_cli_runner()
    clock.set(date(2025, 10, 11))  # the last day: still posted
    assert "已结束0份" in runner.invoke(args=["notices", "close-expired"]).output
    clock.set(date(2025, 10, 12))
    assert "已结束1份" in runner.invoke(args=["notices", "close-expired"]).output
    assert "已结束0份" in runner.invoke(args=["notices", "close-expired"]).output
    db.session.expire_all()
    assert db.session.get(Notice, notice.id).state == "ended"
    assert db.session.get(Application, sources[0].id).state == "noticed"


def test_hardship_and_scholarship_candidates(world, clock):
    objs = world.obj["A1"]
    officer = world.users["school_officer"]
    h = fx.hardship(objs.student)
    fx.hardship(world.obj["A1b"].student, level="不困难")  # never published
    fx.hardship(world.obj["A2"].student)  # another school
    s = fx.application(objs.student, fx.programme("flow_sch", "national_scholarship", "国家奖学金"), level="")
    fx.application(world.obj["A1b"].student, fx.programme("flow_waiver", "tuition_waiver", "免学费"))
    db.session.commit()
    assert [r.id for r in service.candidates(officer, "hardship", "2025-autumn")] == [h.id]
    assert [r.id for r in service.candidates(officer, "scholarship", "2025-autumn")] == [s.id]
    assert service.candidates(officer, "grant", "2025-autumn") == []
    for kind in ("hardship", "scholarship", "grant"):  # the home page's badge counts the same rows
        assert service.candidate_count(officer, kind) == len(service.candidates(officer, kind))
    assert service.candidate_count(officer, "hardship") == 1
    assert service.snapshot(h, "hardship")["level"] == "特别困难"
    assert service.snapshot(h, "hardship")["year"] == "一年级"


def _count_rows():
    return (db.session.query(Notice).count(), db.session.query(NoticeItem).count(),
            db.session.query(AuditEvent).count())


@pytest.mark.parametrize("first,end,message", [
    ("2025-09-29", "2025-10-10", "少于规定的5个工作日"),
    ("2025-09-29", "2025-10-12", "不是工作日"),
    ("2025-09-29", "2025-10-01", "不是工作日"),
    ("2025-09-26", "2025-10-11", "不能早于今天"),
])
def test_bad_periods_are_refused(world, client, auth, clock, first, end, message):
    sources = _grant_sources(world, 1)
    auth.login("a1_officer")
    before = _count_rows()
    resp = _create(auth, sources, first=first, end=end)
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)
    assert _count_rows() == before


def test_item_of_another_school_is_refused(world, client, auth, clock):
    own = _grant_sources(world, 1)
    foreign = fx.application(world.obj["A2"].student, fx.programme("flow_grant"))
    db.session.commit()
    auth.login("a1_officer")
    before = _count_rows()
    resp = _create(auth, own + [foreign])
    assert resp.status_code == 422 and "不属于本校" in resp.get_data(as_text=True)
    assert _count_rows() == before


def test_separation_of_duties_and_unapproved_posting(world, clock):
    sources = _grant_sources(world, 1)
    officer, leader = world.users["school_officer"], world.users["school_leader"]
    notice = service.create_notice(officer, kind="grant", semester="2025-autumn", source_ids=[sources[0].id],
                                   first_day=POSTED, end_day=date(2025, 10, 11), today=POSTED)
    with pytest.raises(service.NoticeError, match="尚未经学校负责人审批"):
        service.post_notice(leader, notice, today=POSTED)
    service.submit_notice(officer, notice)
    # a leader account that also prepared the notice may not approve it
    notice.created_by = leader.id
    with pytest.raises(service.NoticeError, match="编制人不能审批"):
        service.approve_notice(leader, notice)
    db.session.rollback()
    assert db.session.get(Application, sources[0].id).state == "school_approved"


def test_late_posting_restarts_the_period_today(world, clock):
    sources = _grant_sources(world, 1)
    officer, leader = world.users["school_officer"], world.users["school_leader"]
    notice = service.create_notice(officer, kind="grant", semester="2025-autumn", source_ids=[sources[0].id],
                                   first_day=POSTED, end_day=date(2025, 10, 11), today=POSTED)
    service.submit_notice(officer, notice)
    service.approve_notice(leader, notice)
    notes = service.post_notice(leader, notice, today=date(2025, 10, 9), render=False)
    assert notice.first_day == date(2025, 10, 9)
    assert notice.end_day == date(2025, 10, 14)  # 9, 10, 11 (调休), 13, 14
    assert notes
