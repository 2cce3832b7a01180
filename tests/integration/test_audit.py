"""The hash-chained audit trail and its verify command."""
from sqlalchemy import select, text

from aid.audit.models import AuditEvent
from aid.audit.service import record, verify_chain
from aid.extensions import db


def _events(n):
    for i in range(n):
        record("update", object_type="test", object_id=i, summary=f"事件{i}", before={"v": i}, after={"v": i + 1})
    db.session.commit()


def test_intact_chain_verifies(ctx):
    _events(5)
    result = verify_chain()
    assert result.ok and result.checked == 5


def test_altered_event_is_named(ctx, app):
    _events(5)
    db.session.execute(text("UPDATE audit_events SET after = '{\"v\": 99}' WHERE seq = 3"))
    db.session.commit()
    result = verify_chain()
    assert not result.ok and "序号 3" in result.message and "篡改" in result.message
    cli = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert cli.exit_code == 1 and "序号 3" in cli.output


def test_removed_event_is_detected(ctx):
    _events(5)
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    db.session.commit()
    result = verify_chain()
    assert not result.ok and "期望序号 2" in result.message


def test_removed_last_event_is_detected(ctx):
    _events(3)
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    db.session.commit()
    assert not verify_chain().ok


def test_cli_passes_on_intact_chain(ctx, app):
    _events(2)
    cli = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert cli.exit_code == 0 and "审计链完整" in cli.output


def test_login_and_school_edit_are_audited_with_ip_and_diff(world, client, auth):
    auth.login("a_bureau")
    school = world.schools["A1"]
    page = client.get(f"/org/schools/{school.id}/edit").get_data(as_text=True)
    from tests.conftest import csrf_from
    data = {"csrf_token": csrf_from(page), "code": school.code, "name": "A1技工学校（新名）", "kind": "技工学校",
            "ownership": "public", "authority_id": school.authority_id, "address": school.address}
    assert client.post(f"/org/schools/{school.id}/edit", data=data).status_code == 302
    ev = db.session.execute(select(AuditEvent).where(AuditEvent.object_type == "schools")).scalar_one()
    assert ev.username == "a_bureau" and ev.role == "bureau_officer" and ev.ip == "127.0.0.1"
    assert "A1技工学校（新名）" in ev.after and "A1技工学校" in ev.before
    login = db.session.execute(select(AuditEvent).where(AuditEvent.action == "login")).scalar_one()
    assert login.username == "a_bureau"
    assert verify_chain().ok


def test_audit_list_is_scoped(world, app):
    from tests.conftest import login_client
    record("update", world.obj["B1"].student, summary="乙市学生变更")
    record("update", world.obj["A1"].student, summary="甲市学生变更")
    db.session.commit()
    page = login_client(app, "a_bureau").get("/audit/").get_data(as_text=True)
    assert "甲市学生变更" in page and "乙市学生变更" not in page
    leader = login_client(app, "a1_leader").get("/audit/").get_data(as_text=True)
    assert "甲市学生变更" in leader and "乙市学生变更" not in leader
