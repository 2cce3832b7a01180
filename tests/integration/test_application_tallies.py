"""Application tallies (migration 0017): the triggers keep them equal to the applications table on
every write path the app has, and the queue's tabs and the waiting-work badges read them."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from aid.applications import service as applications
from aid.applications import tallies
from aid.applications.models import Application, ApplicationTally
from aid.applications.workflow import APPLICATION_STATES, APPLICATION_WORKFLOW
from aid.auth.models import User
from aid.extensions import db
from aid.programmes import service as programmes
from aid.programmes.semesters import Semester
from aid.scoping import scope
from aid.workflow import apply_transition
from tests.world import add_student, add_user

SEM = Semester(2025, "autumn")
NEXT = Semester(2026, "autumn")  # the world's own applications are of 2026-spring


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def _exact():
    db.session.commit()
    assert tallies.check() == []


def _apply(w, key, state="draft", semester=SEM):
    """An application of the world's student `key`, brought to `state` through the workflow."""
    officer = w.users["school_officer"] if key.startswith("A1") else add_user(
        w, f"off_{key}_{state}", f"off_{key}_{state}", "school_officer", school_id=w.obj[key].school.id)
    leader = w.users["school_leader"] if key.startswith("A1") else add_user(
        w, f"lead_{key}_{state}", f"lead_{key}_{state}", "school_leader", school_id=w.obj[key].school.id)
    app = applications.create_application(officer, w.obj[key].student,
                                          programmes.programme_by_code("tuition_waiver"), semester)
    path = {"submitted": ["submit"], "reviewed": ["submit", "review"],
            "noticed": ["submit", "review", "approve_school", "post_notice", "end_notice"]}.get(state, [])
    actor = {"approve_school": leader}
    for action in path:
        apply_transition(APPLICATION_WORKFLOW, app, action, actor.get(action, officer))
    return app


def test_tallies_follow_every_write_path(world):
    _exact()  # the world's own applications (created through the service)
    w = world
    officer, leader, bureau = w.users["school_officer"], w.users["school_leader"], w.users["bureau_officer"]
    a = _apply(w, "A1")
    b = _apply(w, "A1b")
    _exact()  # created
    for action, user in (("submit", officer), ("review", officer), ("approve_school", leader),
                         ("post_notice", officer), ("withdraw_from_notice", officer), ("submit", officer),
                         ("review", officer), ("approve_school", leader), ("post_notice", officer),
                         ("end_notice", officer), ("return_to_school", bureau), ("approve_school", leader),
                         ("post_notice", officer), ("end_notice", officer), ("approve_bureau", bureau),
                         ("disburse", officer)):
        apply_transition(APPLICATION_WORKFLOW, a, action, user, reason="原因")
        _exact()  # each state transition
    assert a.state == "disbursed"
    for action, user in (("submit", officer), ("return_to_applicant", officer), ("submit", officer),
                         ("reject", officer)):
        apply_transition(APPLICATION_WORKFLOW, b, action, user, reason="原因")
        _exact()
    # bulk approval through the service (the queue's bulk form)
    c, d = _apply(w, "A1", "submitted", NEXT), _apply(w, "A1b", "submitted", NEXT)
    _exact()
    result = applications.bulk(officer, [(c.id, c.version), (d.id, d.version)], "approve")
    assert len(result.done) == 2
    _exact()
    # writes outside the ORM: a level and school change, a bulk insert (import/bench), deletes
    db.session.execute(update(Application).where(Application.id == c.id).values(level="一般困难"))
    db.session.execute(update(Application).where(Application.id == d.id).values(school_id=w.schools["A2"].id))
    _exact()
    rows = [dict(school_id=w.schools["B1"].id, student_id=w.obj["B1"].student.id, programme_id=p.programme_id,
                 programme_version_id=p.id, semester=sem, level="", amount_fen=100, state=state, note="", version=1)
            for p in [programmes.version_for(programmes.programme_by_code("national_grant"), SEM)]
            for sem, state in (("2024-autumn", "disbursed"), ("2025-spring", "noticed"), ("2023-autumn", "draft"))]
    db.session.execute(insert(Application), rows)
    _exact()
    db.session.execute(delete(Application).where(Application.id == d.id))
    db.session.delete(db.session.get(Application, b.id))
    _exact()
    # whatever the shape (PostgreSQL appends a row per change), folding keeps the counts
    left = tallies.compact()
    _exact()
    keys = db.session.execute(select(*[getattr(ApplicationTally, k) for k in tallies.KEY])).all()
    assert left == len(keys) == len(set(keys))


def test_postgresql_appends_rows_and_reads_the_same_folded_or_not(world):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps one row per key")
    tallies.compact()
    _exact()
    before = db.session.scalar(select(func.count()).select_from(ApplicationTally))
    a = _apply(world, "A1", "reviewed")
    _exact()
    # one +1 row for the insert, then -1/+1 per transition (submit, review)
    assert db.session.scalar(select(func.count()).select_from(ApplicationTally)) == before + 5
    officer = _user("a1_officer")
    unfolded = applications.work_counts(officer), applications.state_counts(officer, applications.QueueFilters(
        semester=str(SEM)))
    tallies.compact()
    _exact()
    assert (applications.work_counts(officer), applications.state_counts(officer, applications.QueueFilters(
        semester=str(SEM)))) == unfolded
    assert a.state == "reviewed"


def _direct(user, f: applications.QueueFilters, state: str | None) -> int:
    stmt = applications.queue_stmt(user, applications.QueueFilters(**{**f.__dict__, "state": state or ""}),
                                   columns=(func.count(),))
    return db.session.scalar(stmt)


def _tabs(page: str) -> dict[str, str]:
    nav = page[page.index('id="queue-counts"'):page.index("</nav>", page.index('id="queue-counts"'))]
    labels = {v: k for k, v in APPLICATION_STATES.items()} | {"全部": ""}
    return {labels[m.group(1)]: m.group(2) for m in re.finditer(r'>([^<>]+?) <span class="badge">([^<]+)</span>', nav)}


@pytest.mark.parametrize("username", ["a1_officer", "a1_leader", "a_bureau", "p_admin"])
def test_queue_tabs_equal_a_direct_count(world, client, auth, username):
    w = world
    for key, state in (("A1", "submitted"), ("A1b", "reviewed"), ("A2", "noticed"), ("B1", "noticed"),
                       ("Z1", "noticed"), ("A1", "noticed")):
        _apply(w, key, state, NEXT if state == "noticed" and key == "A1" else SEM)
    graded = _apply(w, "A2", "reviewed", NEXT)
    db.session.execute(update(Application).where(Application.id == graded.id).values(level="一般困难"))
    db.session.commit()
    user = _user(username)
    auth.login(username)
    grant, waiver = programmes.programme_by_code("national_grant"), programmes.programme_by_code("tuition_waiver")
    for query in ({"semester": str(SEM)}, {"semester": ""}, {"semester": str(SEM), "programme_id": grant.id},
                  {"semester": "", "programme_id": waiver.id}, {"semester": "", "school_id": w.schools["A2"].id},
                  {"semester": str(NEXT), "level": "一般困难"}, {"semester": "", "level": "一般困难"}):
        f = applications.QueueFilters(**{k: v for k, v in query.items()})
        page = client.get("/applications/queue", query_string={**query, "state": ""},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
        shown = _tabs(page)
        expected = {s: str(_direct(user, f, s)) for s in applications.queue_spec(user.role).states + ("",)}
        assert shown == expected, query
        assert applications.state_counts(user, f).exact


def test_waiting_work_badges_equal_a_direct_count(world, client, auth):
    w = world
    for key, state in (("A1", "submitted"), ("A1b", "submitted"), ("A2", "noticed"), ("B1", "noticed"),
                       ("Z1", "noticed")):
        _apply(w, key, state)
    db.session.commit()
    semesters = applications.recent_semesters()
    for username in ("a1_officer", "a1_leader", "a_bureau", "p_admin"):
        user = _user(username)
        spec = applications.queue_spec(user.role)
        acting = [s for s in spec.states if s in spec.approve] or list(spec.states)
        direct = {s: db.session.scalar(scope(select(func.count()).select_from(Application).where(
            Application.semester.in_(semesters), Application.state == s), Application, user)) for s in acting}
        assert applications.work_counts(user) == direct
        auth.login(username)
        page = client.get("/home").get_data(as_text=True)
        assert f"资助审批待办 <strong>{sum(direct.values())}</strong>" in page
        if spec.approve:  # the navigation's badge: roles that act on applications
            assert f'class="badge nav-badge">{sum(direct.values())}<' in page
        auth.logout()
    assert applications.work_counts(_user("a1_officer")) == {"draft": 2, "returned": 0, "submitted": 2}


def test_counts_past_the_old_cap_are_exact_and_a_class_filter_counts_capped(world, client, auth, monkeypatch):
    _apply(world, "A1", "submitted")
    _apply(world, "A1b", "submitted")
    db.session.commit()
    monkeypatch.setattr(applications, "COUNT_CAP", 1)
    auth.login("a1_officer")
    tabs = _tabs(client.get("/applications/queue").get_data(as_text=True))
    assert tabs["submitted"] == "2"  # from the tallies: exact, whatever the cap
    cls = world.obj["A1"].school_class
    tabs = _tabs(client.get(f"/applications/queue?class_id={cls.id}", headers={"HX-Request": "true"})
                 .get_data(as_text=True))
    assert tabs["submitted"] == "1+" and tabs[""] == "1+"  # students' class: counted, up to the cap
    monkeypatch.setattr(applications, "COUNT_CAP", 10000)
    tabs = _tabs(client.get(f"/applications/queue?class_id={cls.id}", headers={"HX-Request": "true"})
                 .get_data(as_text=True))
    assert tabs["submitted"] == "2"


def test_cli_checks_compacts_and_rebuilds(world, app):
    _apply(world, "A1", "submitted")
    db.session.commit()
    cli = app.test_cli_runner().invoke(args=["applications", "tallies"])
    assert cli.exit_code == 0 and "一致" in cli.output
    cli = app.test_cli_runner().invoke(args=["applications", "tallies", "--compact"])
    assert cli.exit_code == 0 and "已合并" in cli.output
    db.session.execute(text("UPDATE application_tallies SET n = n + 3 WHERE id = (SELECT min(id) FROM application_tallies)"))
    db.session.commit()
    assert len(tallies.check()) == 1
    cli = app.test_cli_runner().invoke(args=["applications", "tallies"])
    assert cli.exit_code == 1 and "不一致" in cli.output and "统计" in cli.output
    cli = app.test_cli_runner().invoke(args=["applications", "tallies", "--rebuild"])
    assert cli.exit_code == 0 and "已重新统计" in cli.output
    db.session.expire_all()
    assert tallies.check() == []


def test_a_new_student_application_moves_the_officer_badge(world, client, auth):
    o = world.obj["A1"]
    s = add_student(o.school, o.school_class, "新生丁")
    db.session.commit()
    auth.login("a1_officer")
    before = applications.work_counts(_user("a1_officer"))["draft"]
    applications.create_application(world.users["school_officer"], s, programmes.programme_by_code("tuition_waiver"), SEM)
    db.session.commit()
    page = client.get("/applications/queue?state=draft").get_data(as_text=True)
    assert re.search(rf'id="queue-work".*?草稿 {before + 1}<', page, re.S)


def test_the_queue_opens_on_the_newest_semester_with_work_in_its_state(world, client, auth):
    _apply(world, "A1", "submitted")  # 2025-autumn; the world's own applications are 2026-spring drafts
    db.session.commit()
    auth.login("a1_officer")
    page = client.get("/applications/queue").get_data(as_text=True)  # the officer's tab: 已提交
    assert '<input type="hidden" name="semester" value="2025-autumn">' in page
    page = client.get("/applications/queue?state=draft").get_data(as_text=True)
    assert '<input type="hidden" name="semester" value="2026-spring">' in page


def test_queue_rows_show_the_engines_decision_for_each_student(world, client, auth):
    """The rows are read as columns; their decisions equal the engine's on the student's record,
    for a student without a class too, and the page shows the reasons of each."""
    o = world.obj["A1"]
    classless = add_student(o.school, o.school_class, "无班级戊", household="urban")
    classless.class_id = None
    urban = add_student(o.school, o.school_class, "城镇己", household="urban")
    db.session.flush()
    waiver = programmes.programme_by_code("tuition_waiver")
    version = programmes.version_for(waiver, SEM)
    apps = [_apply(world, "A1", "submitted"), _apply(world, "A1b", "submitted")]
    for s in (classless, urban):  # not eligible: written as a bulk insert (an import), not through the engine
        db.session.execute(insert(Application), [dict(
            school_id=s.school_id, student_id=s.id, programme_id=waiver.id, programme_version_id=version.id,
            semester=str(SEM), level="", amount_fen=120000, state="submitted", note="", version=1)])
    db.session.commit()
    officer = _user("a1_officer")
    rows, _more = applications.queue_page(officer, applications.QueueFilters(semester=str(SEM), state="submitted"),
                                          1, 50)
    assert len(rows) == 4 and {r.student_name for r in rows} >= {"无班级戊", "城镇己"}
    for row in rows:
        app_ = db.session.get(Application, row.id)
        expected = programmes.decide(app_.student, waiver, SEM, facts=programmes.facts_for(app_.student, SEM),
                                     count_quota=False)[0]
        assert row.decision == expected, row.student_name
        assert row.class_name == (app_.student.school_class.name if app_.student.school_class else None)
    assert {r.decision.eligible for r in rows} == {True, False}
    auth.login("a1_officer")
    page = client.get(f"/applications/queue?semester={SEM}&state=submitted").get_data(as_text=True)
    for row in rows:
        shown = [x.text for x in row.decision.reasons if x.code in row.decision.matched] if row.decision.eligible \
            else [x.text for x in row.decision.failures]
        assert "；".join(shown) in page
    assert apps[0].id in {r.id for r in rows}
