"""Student tallies (migration 0014): the triggers keep them equal to the students table on
every write path, and the 电子注册 per-school table a bureau reads comes from them."""
from __future__ import annotations

import re

from sqlalchemy import delete, func, select, text, update

from aid.extensions import db
from aid.students import tallies
from aid.students.models import Student, StudentTally
from tests.students_helpers import good_row, xlsx
from tests.world import add_student


def _cell(page: str, school_name: str) -> list[str]:
    """The eight count cells of one school's row in the 各校注册情况 table."""
    row = re.search(rf"<tr><td>{school_name}</td>(.*?)</tr>", page, re.S).group(1)
    return re.findall(r'<td class="num">(?:<a [^>]*>)?(\d+)', row)


def test_tallies_follow_orm_writes_bulk_updates_and_deletes(world):
    assert tallies.check() == []
    o = world.obj["A1"]
    a = add_student(o.school, o.school_class, "统计甲", registration_state="draft")
    b = add_student(o.school, o.school_class, "统计乙", registration_state="draft")
    db.session.commit()
    assert tallies.check() == []
    a.status = "休学"
    b.registration_state = "submitted"
    db.session.commit()
    assert tallies.check() == []
    db.session.execute(update(Student).where(Student.id == a.id).values(study_mode="part_time"))
    db.session.execute(update(Student).where(Student.id == b.id).values(school_id=world.schools["A2"].id))
    db.session.commit()
    assert tallies.check() == []
    db.session.execute(delete(Student).where(Student.id.in_([a.id, b.id])))
    db.session.commit()
    assert tallies.check() == []


def test_an_import_moves_the_bureau_table_by_the_imported_rows(world, client, auth, app, tmp_path):
    school = world.schools["A1"]
    auth.login("a_bureau")
    before = _cell(client.get("/students/registration").get_data(as_text=True), school.name)
    cls = world.obj["A1"].school_class.name
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([good_row(1, cls, "T001"), good_row(2, cls, "T002", "林二"), good_row(3, cls, "T003", "林三")]))
    result = app.test_cli_runner().invoke(args=["students", "import", str(path), "--school", school.code])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert tallies.check() == []
    after = _cell(client.get("/students/registration").get_data(as_text=True), school.name)
    imported_state = db.session.scalar(select(Student.registration_state).where(Student.register_no == "T001"))
    column = list(("draft", "submitted", "verified", "returned")).index(imported_state)
    assert int(after[column]) == int(before[column]) + 3
    assert [c for i, c in enumerate(after) if i != column] == [c for i, c in enumerate(before) if i != column]


def test_compact_keeps_the_counts_and_rebuild_repairs_them(world, app):
    o = world.obj["A1"]
    for i in range(3):
        s = add_student(o.school, o.school_class, f"折叠{i}", registration_state="draft")
        db.session.flush()
        s.registration_state = "submitted"
    db.session.commit()
    rows = tallies.compact()
    db.session.commit()
    assert tallies.check() == []
    keys = db.session.execute(select(StudentTally.school_id, StudentTally.study_mode, StudentTally.status,
                                     StudentTally.registration_state)).all()
    assert rows == len(keys) == len(set(keys))  # one row per key after folding
    db.session.execute(text("UPDATE student_tallies SET n = n + 5 WHERE id = (SELECT min(id) FROM student_tallies)"))
    db.session.commit()
    assert len(tallies.check()) == 1
    cli = app.test_cli_runner().invoke(args=["students", "tallies"])
    assert cli.exit_code == 1 and "不一致" in cli.output
    cli = app.test_cli_runner().invoke(args=["students", "tallies", "--rebuild"])
    assert cli.exit_code == 0 and "一致" in cli.output
    db.session.expire_all()
    assert tallies.check() == []


def test_counts_are_scoped_to_the_jurisdiction(world):
    from aid.auth.models import User

    officer = db.session.execute(select(User).where(User.username == "a1_officer")).scalar_one()
    schools = {row[0] for row in tallies.counts(officer, "school_id")}
    assert schools == {world.schools["A1"].id}
    total = sum(row[-1] for row in tallies.counts(officer, "school_id"))
    assert total == db.session.scalar(select(func.count()).select_from(Student)
                                      .where(Student.school_id == world.schools["A1"].id))
