"""Red-flag queries: each finds its case, only inside the jurisdiction, and reviews are counted."""
from datetime import datetime, timedelta

import pytest

from aid.applications.models import Application
from aid.audit.models import AuditEvent
from aid.extensions import db
from aid.programmes.models import Programme, ProgrammeVersion
from aid.students.personal import reveal, set_aid_card, set_id_number
from aid.supervision import service
from aid.supervision.flags import FLAGS_BY_CODE
from tests.world import add_student


def count(code, user):
    c = FLAGS_BY_CODE[code].count_fn(user)
    return c.total if c is not None else None


def row_for(code, user, key):
    rows = FLAGS_BY_CODE[code].page(user, key=key).rows
    assert len(rows) == 1
    return rows[0]


def test_nothing_flagged_in_a_clean_world(world):
    # the test world's generated ID numbers may collide by chance; those rows are not what is checked here
    for code in ("aid_not_enrolled", "long_suspension", "school_dup", "rollcall_absent"):
        assert count(code, world.user("province_admin")) == 0, code


def test_same_id_in_two_schools_is_seen_by_both_bureaus_without_foreign_details(world):
    a1, b1 = world.obj["A1"], world.obj["B1"]
    before = {u: count("duplicate_id", world.user(u)) for u in ("bureau_officer", "bureau_officer_b", "z_admin")}
    twin = add_student(b1.school, b1.school_class, "重号学生")
    set_id_number(twin, reveal(a1.student, "id_number"))
    db.session.commit()
    assert count("duplicate_id", world.user("bureau_officer")) == before["bureau_officer"] + 1
    assert count("duplicate_id", world.user("bureau_officer_b")) == before["bureau_officer_b"] + 1
    assert count("duplicate_id", world.user("z_admin")) == before["z_admin"]
    assert FLAGS_BY_CODE["duplicate_id"].page(world.user("z_admin"), key=a1.student.id_number_hash).rows == []
    row = row_for("duplicate_id", world.user("bureau_officer"), a1.student.id_number_hash)
    assert "A1学生甲" in row.cells[0] and "重号学生" not in row.cells[0]
    assert row.cells[2] == "1 条"


def test_same_id_in_both_study_modes_of_one_school(world):
    a1 = world.obj["A1"]
    twin = add_student(a1.school, a1.school_class, "非全日制重号", study_mode="part_time")
    set_id_number(twin, reveal(a1.student, "id_number"))
    db.session.commit()
    row = row_for("duplicate_id", world.user("bureau_officer"), a1.student.id_number_hash)
    assert "全日制与非全日制同时注册" in row.cells[1]


def test_withdrawn_student_keeps_no_duplicate(world):
    a1, a2 = world.obj["A1"], world.obj["A2"]
    old = add_student(a2.school, a2.school_class, "已退学", status="退学")
    set_id_number(old, reveal(a1.student, "id_number"))
    db.session.commit()
    assert FLAGS_BY_CODE["duplicate_id"].page(world.user("province_admin"), key=a1.student.id_number_hash).rows == []


def test_shared_card(world):
    a1, a2 = world.obj["A1"], world.obj["A2"]
    before = count("shared_card", world.user("bureau_officer"))
    set_aid_card(a2.student, reveal(a1.student, "aid_card"))
    db.session.commit()
    assert count("shared_card", world.user("bureau_officer")) == before + 1
    assert FLAGS_BY_CODE["shared_card"].page(world.user("bureau_officer_b"), key=a1.student.aid_card_hash).rows == []
    assert "2名学生" in row_for("shared_card", world.user("bureau_officer"), a1.student.aid_card_hash).cells[1]


def test_one_school_two_plates(world):
    world.schools["A1"].legal_representative = "张三"
    world.schools["B1"].legal_representative = "张三"
    world.schools["A2"].credit_code = "52350100MJ0000000X"
    db.session.commit()
    assert count("school_dup", world.user("bureau_officer")) == 1
    assert count("school_dup", world.user("province_admin")) == 1
    row = FLAGS_BY_CODE["school_dup"].page(world.user("bureau_officer")).rows[0]
    assert row.key == "legal_representative:张三" and "A1技工学校" in row.cells[2] and row.cells[3] == "1 所"


def _application(student, state, semester="2026-autumn"):
    programme = db.session.query(Programme).filter_by(code="national_grant").one_or_none()
    if programme is None:
        programme = Programme(code="national_grant", name="国家助学金", kind="national_grant")
        db.session.add(programme)
        db.session.flush()
        db.session.add(ProgrammeVersion(programme_id=programme.id, valid_from="2025-spring", rules_json="{}"))
        db.session.flush()
    version = db.session.query(ProgrammeVersion).filter_by(programme_id=programme.id).first()
    app = Application(school_id=student.school_id, student_id=student.id, programme_id=programme.id,
                      programme_version_id=version.id, semester=semester, level="一般困难",
                      amount_fen=50000, state=state)
    db.session.add(app)
    db.session.flush()
    return app


def test_aid_approved_for_a_withdrawn_student(world):
    a1 = world.obj["A1"]
    withdrawn = add_student(a1.school, a1.school_class, "退学生", status="退学")
    _application(withdrawn, "bureau_approved")
    _application(a1.student, "bureau_approved")  # enrolled: fine
    db.session.commit()
    assert count("aid_not_enrolled", world.user("bureau_officer")) == 1
    assert count("aid_not_enrolled", world.user("bureau_officer_b")) == 0
    row = FLAGS_BY_CODE["aid_not_enrolled"].page(world.user("bureau_officer")).rows[0]
    assert "退学生" in row.cells[1] and row.cells[2] == "退学"


def test_long_suspension_uses_the_setting(world):
    a1 = world.obj["A1"]
    old = add_student(a1.school, a1.school_class, "久休学", status="休学")
    recent = add_student(a1.school, a1.school_class, "新休学", status="休学")
    old.updated_at = datetime.now() - timedelta(days=3 * 365)
    db.session.commit()
    assert count("long_suspension", world.user("bureau_officer")) == 1
    from aid.settings import set_setting
    set_setting("suspension_max_months", 48)
    db.session.commit()
    assert count("long_suspension", world.user("bureau_officer")) == 0
    assert recent.id


def test_providers_without_their_area_say_so(world):
    for code in ("overdue_changes", "paid_not_enrolled"):
        flag = FLAGS_BY_CODE[code]
        if flag.count_fn(world.user("province_admin")) is None:
            assert flag.page(world.user("province_admin")).note == "数据来源尚未启用"


def test_review_marks_a_row_and_is_audited(world):
    a1, b1 = world.obj["A1"], world.obj["B1"]
    flag = FLAGS_BY_CODE["shared_card"]
    base = flag.count_fn(world.user("province_admin"))
    set_aid_card(b1.student, reveal(a1.student, "aid_card"))
    db.session.commit()
    key = a1.student.aid_card_hash
    service.review_flag(world.user("bureau_officer"), flag, key, "已核实：兄妹共用，已要求更换")
    db.session.commit()
    c = flag.count_fn(world.user("province_admin"))
    assert (c.total, c.reviewed, c.open) == (base.total + 1, base.reviewed + 1, base.open)
    assert row_for("shared_card", world.user("bureau_officer"), key).review.note == "已核实：兄妹共用，已要求更换"
    assert db.session.query(AuditEvent).filter_by(action="flag.review").count() == 1
    with pytest.raises(LookupError):
        service.review_flag(world.user("z_admin"), flag, key, "越权")


def test_aid_to_a_withdrawn_student_counts_reviews_inside_the_jurisdiction_only(world):
    """The flag's own count (per student, from the index) agrees with its rows, and counts a
    review only while the reviewed application is still flagged and inside the jurisdiction."""
    a1, b1 = world.obj["A1"], world.obj["B1"]
    gone_a = add_student(a1.school, a1.school_class, "甲退学", status="退学")
    gone_b = add_student(b1.school, b1.school_class, "乙转出", status="转出")
    first = _application(gone_a, "bureau_approved")
    _application(gone_a, "disbursed", semester="2026-spring")
    _application(gone_a, "submitted", semester="2025-autumn")  # not approved: not flagged
    other = _application(gone_b, "disbursed")
    db.session.commit()
    flag = FLAGS_BY_CODE["aid_not_enrolled"]
    for role, total in (("bureau_officer", 2), ("bureau_officer_b", 1), ("province_admin", 3), ("z_admin", 0)):
        c = flag.count_fn(world.user(role))
        assert (c.total, c.reviewed) == (total, 0), role
        assert len(flag.page(world.user(role)).rows) == total, role
    service.review_flag(world.user("bureau_officer"), flag, f"app-{first.id}", "已追回")
    service.review_flag(world.user("bureau_officer_b"), flag, f"app-{other.id}", "已核实")
    db.session.commit()
    assert (flag.count_fn(world.user("bureau_officer")).reviewed, flag.count_fn(world.user("bureau_officer")).open) == (1, 1)
    assert flag.count_fn(world.user("province_admin")).reviewed == 2
    gone_a.status = "在籍"  # reinstated: its applications are no longer flagged, nor their reviews
    db.session.commit()
    c = flag.count_fn(world.user("province_admin"))
    assert (c.total, c.reviewed) == (1, 1)
