"""The one transition function: roles, jurisdiction, separation of duties,
optimistic locking, step log and audit."""
import pytest
from sqlalchemy import select

from aid.applications.models import Application
from aid.applications.workflow import APPLICATION_WORKFLOW as WF
from aid.audit.models import AuditEvent
from aid.extensions import db
from aid.programmes.models import Programme, ProgrammeVersion
from aid.workflow import TransitionError, apply_transition, steps_for


@pytest.fixture
def application(world):
    prog = Programme(code="wf_grant", name="测试助学金", kind="national_grant")
    db.session.add(prog)
    db.session.flush()
    version = ProgrammeVersion(programme_id=prog.id, valid_from="2025-spring", rules_json="{}")
    db.session.add(version)
    db.session.flush()
    app_row = Application(school_id=world.schools["A1"].id, student_id=world.obj["A1"].student.id,
                          programme_id=prog.id, programme_version_id=version.id, semester="2025-autumn",
                          state="submitted", amount_fen=100000)
    db.session.add(app_row)
    db.session.commit()
    return app_row


def test_step_is_recorded_and_audited(world, application):
    officer = world.user("school_officer")
    apply_transition(WF, application, "review", officer)
    db.session.commit()
    assert application.state == "reviewed"
    step = steps_for(WF, application.id)[-1]
    assert (step.action, step.from_state, step.to_state, step.user_id) == ("review", "submitted", "reviewed", officer.id)
    ev = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.review")).one()
    assert ev.object_id == application.id and ev.school_id == application.school_id


def test_wrong_role_is_refused(world, application):
    with pytest.raises(TransitionError, match="您的角色不能执行"):
        apply_transition(WF, application, "review", world.user("school_leader"))


def test_outside_jurisdiction_is_refused(world, application):
    with pytest.raises(TransitionError, match="管辖范围"):
        apply_transition(WF, application, "review", world.user("school_officer_a2"))


def test_wrong_state_is_refused(world, application):
    with pytest.raises(TransitionError, match="当前状态为“已提交”"):
        apply_transition(WF, application, "approve_school", world.user("school_leader"))


def test_reason_required_for_return(world, application):
    with pytest.raises(TransitionError, match="必须填写原因"):
        apply_transition(WF, application, "return_to_applicant", world.user("school_officer"), reason="  ")


def test_separation_of_duties(world, application):
    officer = world.user("school_officer")
    apply_transition(WF, application, "review", officer)
    db.session.commit()
    officer.role = "school_leader"  # the same person, now acting as leader, may not approve
    with pytest.raises(TransitionError, match="谁审核、谁负责"):
        apply_transition(WF, application, "approve_school", officer)
    db.session.rollback()
    apply_transition(WF, application, "approve_school", world.user("school_leader"))
    db.session.commit()
    assert application.state == "school_approved"


def test_stale_version_is_refused(world, application):
    seen = application.version
    apply_transition(WF, application, "review", world.user("school_officer"))
    db.session.commit()
    with pytest.raises(TransitionError, match="已被他人处理"):
        apply_transition(WF, application, "return_to_applicant", world.user("school_officer"),
                         reason="材料不全", expected_version=seen)
