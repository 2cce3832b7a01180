"""The demo district: realistic, idempotent, with one login per role."""
from sqlalchemy import func, select

from aid.auth.models import User
from aid.core.identity import parse_resident_id
from aid.extensions import db
from aid.org.models import Authority, School
from aid.students.models import Student
from aid.students.personal import reveal


def test_demo_builds_once_and_prints_logins(ctx):
    runner = ctx.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    lines = [line.split() for line in first.output.splitlines() if line.count(" ") == 2 and not line.startswith("ROLE")]
    roles = {parts[0] for parts in lines}
    assert roles == {"student", "school_officer", "school_leader", "bureau_officer", "province_admin"}
    counts = (db.session.scalar(select(func.count()).select_from(Student)),
              db.session.scalar(select(func.count()).select_from(User)),
              db.session.scalar(select(func.count()).select_from(School)))
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "未做改动" in second.output
    assert counts == (db.session.scalar(select(func.count()).select_from(Student)),
                      db.session.scalar(select(func.count()).select_from(User)),
                      db.session.scalar(select(func.count()).select_from(School)))
    # the district the issue asks for
    assert db.session.scalar(select(func.count()).select_from(Authority).where(Authority.level == "city")) == 3
    assert counts[2] == 6
    province = db.session.scalar(select(Authority).where(Authority.level == "province"))
    assert db.session.scalar(select(func.count()).select_from(School).where(School.authority_id == province.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(School).where(School.ownership == "private")) == 1
    assert 550 <= counts[0] <= 700
    # IDs are checksum-valid, agree with the record, and are distinct
    students = db.session.execute(select(Student)).scalars().all()
    for s in students[:50]:
        rid = parse_resident_id(reveal(s, "id_number"))
        assert rid.birth_date == s.birth_date and rid.gender == s.gender
    assert len({s.id_number_hash for s in students}) >= len(students) - 5
    assert {s.study_mode for s in students} == {"full_time", "part_time"}


def test_every_demo_login_reaches_its_home(ctx):
    from tests.conftest import Auth

    ctx.test_cli_runner().invoke(args=["demo"])
    from aid.demo import DEMO_PASSWORD, demo_logins
    seen = set()
    for role, username, password in demo_logins():
        if role in seen:
            continue
        seen.add(role)
        client = ctx.test_client()
        resp = Auth(client).login(username, DEMO_PASSWORD)
        assert resp.status_code == 302, (role, username)
        assert client.get("/home").status_code == 200, (role, username)
