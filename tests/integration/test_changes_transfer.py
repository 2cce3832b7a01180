"""The transfer handshake and who sees a transfer: the sending school and its bureau
throughout; the receiving school and its bureau once the sending side has approved;
nobody else. The student moves only when the receiving school accepts."""
from __future__ import annotations

import pytest

from aid.changes.holds import hold_for
from aid.extensions import db
from aid.timeutil import local_today
from tests.integration.test_changes_workflow import PNG, act, fresh_student, last_change, login, record
from tests.world import add_user


@pytest.fixture
def b1_users(world):
    add_user(world, "b1_officer", "b1_officer", "school_officer", school_id=world.schools["B1"].id)
    add_user(world, "b1_leader", "b1_leader", "school_leader", school_id=world.schools["B1"].id)
    add_user(world, "a2_leader", "a2_leader", "school_leader", school_id=world.schools["A2"].id)
    db.session.commit()


def _urls(change):
    ev = change.evidence[0]
    return [f"/changes/{change.id}", f"/changes/{change.id}/form.pdf",
            f"/changes/{change.id}/evidence/{ev.id}"]


def _sees(app, world, role, change) -> bool:
    auth = login(app, world, role)
    codes = {auth.client.get(u).status_code for u in _urls(change)}
    assert len(codes) == 1, codes
    listed = f"/changes/{change.id}\"" in auth.client.get("/changes/").get_data(as_text=True)
    code = codes.pop()
    assert (code == 200) == listed, (role, code, listed)
    return code == 200


def test_transfer_to_another_city_handshake_and_visibility(app, world, b1_users):
    officer = login(app, world, "school_officer")
    leader = login(app, world, "school_leader")
    bureau_a = login(app, world, "bureau_officer")
    b1_officer = login(app, world, "b1_officer")
    student = fresh_student(world, name="转学生丁")
    b1 = world.schools["B1"]
    resp = record(officer, student, kind="transfer", target_school_id=b1.id, reason="随父母工作调动转学",
                  files=[("转学申请.png", PNG)])
    assert resp.status_code == 302
    change = last_change(student)

    # before the sending side has approved: only the sending school and its bureau
    for role, sees in (("school_officer", True), ("bureau_officer", True), ("province_admin", True),
                       ("b1_officer", False), ("bureau_officer_b", False), ("school_officer_a2", False),
                       ("z_admin", False)):
        assert _sees(app, world, role, change) == sees, role
    act(leader, change, "approve_school")
    assert not _sees(app, world, "b1_officer", change)
    assert not _sees(app, world, "bureau_officer_b", change)

    # the receiving school cannot act before its turn, and never on the sending side's steps
    resp = b1_officer.post(f"/changes/{change.id}/act", {"action": "accept"})
    assert resp.status_code == 404

    resp = act(bureau_a, change, "confirm")  # becomes the handshake step for a transfer
    db.session.refresh(change)
    assert change.state == "awaiting_receiver"
    db.session.refresh(student)
    assert student.school_id == world.schools["A1"].id and student.status == "在籍"  # not moved yet

    # now both schools and both bureaus see it; other schools still do not
    for role, sees in (("b1_officer", True), ("bureau_officer_b", True), ("school_officer", True),
                       ("bureau_officer", True), ("school_officer_a2", False), ("z_admin", False)):
        assert _sees(app, world, role, change) == sees, role
    # the receiving bureau sees it but has no step; the sending school cannot accept for the receiver
    bureau_b = login(app, world, "bureau_officer_b")
    resp = act(bureau_b, change, "confirm")
    assert resp.status_code == 422
    resp = act(officer, change, "accept")
    assert resp.status_code == 422
    assert "转入学校接收" in b1_officer.client.get("/changes/?todo=y").get_data(as_text=True)

    # accept without a class of the receiving school is refused; with one it completes
    foreign_class = world.obj["A1"].school_class
    resp = act(b1_officer, change, "accept", target_class_id=str(foreign_class.id))
    assert resp.status_code == 422 and "转入班级" in resp.get_data(as_text=True)
    db.session.refresh(change)
    assert change.state == "awaiting_receiver"
    b1_class = world.obj["B1"].school_class
    resp = act(b1_officer, change, "accept", target_class_id=str(b1_class.id))
    assert resp.status_code == 302
    db.session.refresh(change)
    db.session.refresh(student)
    assert change.state == "approved"
    assert student.school_id == b1.id and student.class_id == b1_class.id and student.status == "在籍"
    # aid held at the school the student left, not at the new one
    assert hold_for(student.id, local_today(), school_id=world.schools["A1"].id)
    assert hold_for(student.id, local_today(), school_id=b1.id) is None
    # the record moved: the new school sees the student, the old one's scope no longer does
    from aid.scoping import scoped_select
    from aid.students.models import Student
    assert db.session.execute(scoped_select(Student, world.user("b1_officer")).where(Student.id == student.id)).first()
    assert not db.session.execute(scoped_select(Student, world.user("school_officer")).where(Student.id == student.id)).first()
    # the change stays visible to both sides
    assert _sees(app, world, "school_officer", change) and _sees(app, world, "b1_officer", change)
    detail = b1_officer.client.get(f"/changes/{change.id}").get_data(as_text=True)
    assert "转入学校接收" in detail and b1_class.name in detail


def test_receiving_school_declines_and_the_student_stays(app, world, b1_users):
    officer = login(app, world, "school_officer")
    leader = login(app, world, "school_leader")
    bureau_a = login(app, world, "bureau_officer")
    a2_leader = login(app, world, "a2_leader")
    student = fresh_student(world, name="转学生戊")
    record(officer, student, kind="transfer", target_school_id=world.schools["A2"].id, reason="就近入学",
           files=[("申请.png", PNG)])
    change = last_change(student)
    act(leader, change, "approve_school")
    act(bureau_a, change, "confirm")
    resp = act(a2_leader, change, "decline", reason="")
    assert resp.status_code == 422
    form = a2_leader.client.get(f"/changes/{change.id}/return-form", headers={"HX-Request": "true"})
    assert "转入学校不接收" in form.get_data(as_text=True)
    resp = act(a2_leader, change, "decline", reason="该专业学位已满")
    assert resp.status_code == 302
    db.session.refresh(change)
    db.session.refresh(student)
    assert change.state == "declined"
    assert student.school_id == world.schools["A1"].id and student.status == "在籍"
    assert hold_for(student.id, school_id=world.schools["A1"].id) is None
    assert "该专业学位已满" in officer.client.get(f"/changes/{change.id}").get_data(as_text=True)
    # declined: a new change may be recorded for the student
    resp = record(officer, student, kind="suspend", reason="休学")
    assert resp.status_code == 302
