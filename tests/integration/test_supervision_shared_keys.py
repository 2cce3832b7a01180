"""The shared ID-number / aid-card groups behind the duplicate-ID and shared-card red flags
(student_shared_keys): every write path of students keeps them exact, as the flags page shows."""
from __future__ import annotations

import re
from datetime import timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from aid.extensions import db
from aid.students import importer
from aid.students.models import Student, StudentSharedKey
from aid.students.personal import reveal, set_aid_card, set_id_number
from aid.students.shared_keys import rebuild_shared_keys
from aid.timeutil import local_today
from tests.conftest import ROOT, Auth
from tests.integration.test_changes_workflow import act, last_change, record
from tests.students_helpers import good_row, xlsx
from tests.world import add_student

DUP_ID = "同一身份证号重复注册"
CARD = "多名学生共用资助卡号"


def login(app, world, role) -> Auth:
    a = Auth(app.test_client())
    assert a.login(world.user(role).username).status_code == 302
    return a


def flags_page_count(auth: Auth, label: str) -> int:
    """The 条数 the user reads next to a flag on 风险提示."""
    html = auth.client.get("/supervision/flags").get_data(as_text=True)
    m = re.search(re.escape(label) + r'<br>.*?</td>\s*<td class="num">(\d+)</td>', html, re.S)
    assert m, f"{label} not on the flags page"
    return int(m.group(1))


def table() -> set[tuple[str, str]]:
    db.session.expire_all()
    return set(db.session.execute(select(StudentSharedKey.kind, StudentSharedKey.key_hash)).all())


def same_as_rebuild() -> bool:
    incremental = table()
    rebuild_shared_keys()
    rebuilt = table()
    db.session.rollback()
    return incremental == rebuilt


def test_orm_edit_of_an_id_number_raises_and_lowers_the_count(app, world):
    bureau = login(app, world, "bureau_officer")
    a1, b1 = world.obj["A1"], world.obj["B1"]
    before = flags_page_count(bureau, DUP_ID)
    own_number = reveal(b1.student, "id_number")

    set_id_number(b1.student, reveal(a1.student, "id_number"))
    db.session.commit()
    assert flags_page_count(bureau, DUP_ID) == before + 1
    assert ("id", a1.student.id_number_hash) in table()
    assert same_as_rebuild()

    set_id_number(b1.student, own_number)  # corrected: the old group is gone too
    db.session.commit()
    assert flags_page_count(bureau, DUP_ID) == before
    assert ("id", a1.student.id_number_hash) not in table()
    assert same_as_rebuild()


def test_card_change_and_removal(app, world):
    bureau = login(app, world, "bureau_officer")
    a1, a2 = world.obj["A1"], world.obj["A2"]
    before = flags_page_count(bureau, CARD)
    set_aid_card(a2.student, reveal(a1.student, "aid_card"))
    db.session.commit()
    assert flags_page_count(bureau, CARD) == before + 1
    set_aid_card(a2.student, None)
    db.session.commit()
    assert flags_page_count(bureau, CARD) == before
    assert same_as_rebuild()


def test_a_new_and_a_deleted_student(app, world):
    bureau = login(app, world, "bureau_officer")
    a1, b1 = world.obj["A1"], world.obj["B1"]
    before = flags_page_count(bureau, CARD)
    twin = add_student(b1.school, b1.school_class, "同卡新生")
    set_aid_card(twin, reveal(a1.student, "aid_card"))
    db.session.commit()
    assert flags_page_count(bureau, CARD) == before + 1
    db.session.delete(db.session.get(Student, twin.id))
    db.session.commit()
    assert flags_page_count(bureau, CARD) == before
    assert same_as_rebuild()


def test_import_of_a_roster_sharing_a_card(app, world):
    bureau = login(app, world, "bureau_officer")
    a1, a2 = world.obj["A1"], world.obj["A2"]
    before = flags_page_count(bureau, CARD)
    shared_card = reveal(a1.student, "aid_card")
    row = good_row(4242, a2.school_class.name, "IMP-0001", name="导入同卡")
    row[7] = shared_card
    analysis = importer.analyse(xlsx([row, good_row(4243, a2.school_class.name, "IMP-0002")]), a2.school.id)
    assert analysis.ok, [p.line() for p in analysis.problems]
    assert importer.write_rows(world.user("school_officer_a2"), a2.school.id, analysis, "roster.xlsx") == 2
    db.session.commit()
    assert flags_page_count(bureau, CARD) == before + 1
    page = bureau.client.get("/supervision/flags/shared_card").get_data(as_text=True)
    assert "导入同卡" in page and "A1学生甲" in page
    assert same_as_rebuild()


def test_withdrawal_approved_through_the_status_change_workflow_and_reinstatement(app, world):
    """A status change that makes a student inactive drops the group; active again brings it back."""
    bureau = login(app, world, "bureau_officer")
    officer = login(app, world, "school_officer")
    leader = login(app, world, "school_leader")
    a1, b1 = world.obj["A1"], world.obj["B1"]
    before = flags_page_count(bureau, DUP_ID)
    twin = add_student(a1.school, a1.school_class, "将退学")  # no open change yet
    set_id_number(twin, reveal(b1.student, "id_number"))
    db.session.commit()
    assert flags_page_count(bureau, DUP_ID) == before + 1

    assert record(officer, twin, kind="withdraw", happened=local_today() - timedelta(days=1),
                  reason="本人申请退学").status_code == 302
    change = last_change(twin)
    act(leader, change, "approve_school")
    assert act(bureau, change, "confirm").status_code == 302
    db.session.expire_all()
    assert db.session.get(Student, twin.id).status == "退学"
    assert flags_page_count(bureau, DUP_ID) == before
    assert same_as_rebuild()

    db.session.get(Student, twin.id).status = "在籍"  # reinstated (a corrected register record)
    db.session.commit()
    assert flags_page_count(bureau, DUP_ID) == before + 1
    assert same_as_rebuild()


def test_suspension_keeps_the_student_in_the_groups(app, world):
    a1, b1 = world.obj["A1"], world.obj["B1"]
    set_id_number(b1.student, reveal(a1.student, "id_number"))
    db.session.commit()
    b1.student.status = "休学"
    db.session.commit()
    assert ("id", a1.student.id_number_hash) in table()
    a1.student.status = "毕业"
    db.session.commit()
    holders = db.session.execute(select(Student.name, Student.status).where(
        Student.id_number_hash == a1.student.id_number_hash)).all()
    assert ("id", a1.student.id_number_hash) not in table(), holders
    assert same_as_rebuild()


def test_an_edit_of_another_column_leaves_the_table_alone(app, world):
    a1, b1 = world.obj["A1"], world.obj["B1"]
    set_aid_card(b1.student, reveal(a1.student, "aid_card"))
    db.session.commit()
    db.session.execute(text("DELETE FROM student_shared_keys"))  # out of step on purpose
    db.session.commit()
    b1.student.address = "新地址"
    db.session.commit()
    assert table() == set()  # nothing watched changed: no look-up, no write
    b1.student.status = "休学"
    db.session.commit()
    assert table() == {("card", a1.student.aid_card_hash)}


def test_rebuild_command(app, world):
    a1, b1 = world.obj["A1"], world.obj["B1"]
    set_aid_card(b1.student, reveal(a1.student, "aid_card"))
    db.session.commit()
    db.session.execute(text("DELETE FROM student_shared_keys"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["students", "rebuild-shared-keys"])
    assert result.exit_code == 0 and "共用资助卡号 1 组" in result.output
    assert table() == {("card", a1.student.aid_card_hash)}


def test_the_migration_fills_the_table_from_the_register(app, world):
    a1, a2, b1 = world.obj["A1"], world.obj["A2"], world.obj["B1"]
    set_id_number(b1.student, reveal(a1.student, "id_number"))
    set_aid_card(a2.student, reveal(a1.student, "aid_card"))
    withdrawn = add_student(b1.school, b1.school_class, "已退学", status="退学")
    set_aid_card(withdrawn, reveal(world.obj["Z1"].student, "aid_card"))  # one active holder only
    db.session.commit()
    expected = table()
    assert expected >= {("id", a1.student.id_number_hash), ("card", a1.student.aid_card_hash)}
    assert ("card", withdrawn.aid_card_hash) not in expected
    db.session.remove()
    directory = str(ROOT / "migrations")
    migrate = app.extensions["migrate"]
    from alembic.script import ScriptDirectory
    before_0011 = ScriptDirectory.from_config(migrate.migrate.get_config(directory)).get_revision("0011").down_revision
    downgrade(directory=directory, revision=before_0011)  # drops the table (and whatever came after 0011)
    upgrade(directory=directory)
    assert table() == expected


def test_the_duplicate_flag_still_needs_two_schools_or_modes(app, world):
    """The stored groups are candidates: two active students of one school and mode with the same
    ID are a shared value but not a duplicate registration."""
    bureau = login(app, world, "bureau_officer")
    a1, a1b = world.obj["A1"], world.obj["A1b"]
    before = flags_page_count(bureau, DUP_ID)
    set_id_number(a1b.student, reveal(a1.student, "id_number"))
    db.session.commit()
    assert ("id", a1.student.id_number_hash) in table()
    assert flags_page_count(bureau, DUP_ID) == before
