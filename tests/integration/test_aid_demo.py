"""The demo district gives every aid queue work and the coverage report a finding."""
from sqlalchemy import select

from aid.applications import service as applications
from aid.applications.models import Application
from aid.applications.workflow import APPLICATION_STATES
from aid.auth.models import User
from aid.extensions import db
from aid.hardship import service as hardship
from aid.hardship.models import HardshipApplication
from aid.programmes.semesters import Semester
from aid.students.models import Student

SEM = Semester(2025, "autumn")


def test_demo_has_every_state_work_in_every_queue_and_a_coverage_finding(ctx):
    assert ctx.test_cli_runner().invoke(args=["demo", "--quiet"]).exit_code == 0
    states = set(db.session.execute(select(Application.state).where(Application.semester == str(SEM))).scalars())
    assert states == set(APPLICATION_STATES)
    assert set(db.session.execute(select(HardshipApplication.state)).scalars()) >= {
        "draft", "submitted", "class_reviewed", "determined", "on_notice", "noticed", "filed", "returned"}
    users = {u.username: u for u in db.session.execute(select(User)).scalars()}
    for username, state in (("s3501001_officer", "submitted"), ("s3501001_leader", "reviewed"),
                            ("fz_bureau", "noticed"), ("prov_bureau", "noticed")):
        assert applications.work_counts(users[username]).get(state, 0) > 0, username
    rows = hardship.coverage_report(users["admin"], SEM)
    assert any("没有获批的资助" in r.problem for r in rows)
    assert any(r.problem.startswith("认定为不困难：") for r in rows)
    part_time = set(db.session.execute(select(Student.id).where(Student.study_mode == "part_time")).scalars())
    assert not part_time & set(db.session.execute(select(Application.student_id)).scalars())
