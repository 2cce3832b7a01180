"""Register rules without HTTP: duplicate messages, computed year of study, identity checks."""
from datetime import date

from aid.programmes.semesters import Semester
from aid.students.models import SchoolClass
from aid.students.service import StudentFilter, check_identity, class_year, duplicate_message


def test_duplicate_message_never_names_another_school():
    assert duplicate_message(1, "full_time", []) is None
    assert duplicate_message(1, "full_time", [(1, "full_time", "R9")]) == "该身份证号已在本校注册（学籍号 R9）"
    assert duplicate_message(1, "full_time", [(1, "part_time", "R9")]) == "该身份证号已在本校另一学习形式注册"
    assert duplicate_message(1, "full_time", [(2, "full_time", "X1")]) == "该身份证号已在其他学校注册"


def test_year_of_study_is_computed_from_intake_and_semester():
    cls = SchoolClass(intake_date=date(2023, 9, 1))
    assert class_year(cls, Semester(2023, "autumn")) == 1
    assert class_year(cls, Semester(2024, "spring")) == 1
    assert class_year(cls, Semester(2024, "autumn")) == 2
    assert class_year(cls, Semester(2026, "spring")) == 3
    assert class_year(None) is None


def test_check_identity_reports_fields():
    from aid.core.identity import generate_resident_id
    import random

    number = generate_resident_id(random.Random(3), "350102", date(2008, 5, 17), "男")
    rid, errors = check_identity(number, date(2008, 5, 17), "男")
    assert rid is not None and errors == {}
    _rid, errors = check_identity(number, date(2008, 5, 18), "女")
    assert set(errors) == {"birth_date", "gender"}
    rid, errors = check_identity("123", None, None)
    assert rid is None and "id_number" in errors


def test_filter_from_args_is_defensive():
    f = StudentFilter.from_args({"mode": "x", "sort": "evil", "page": "-3", "year": "99", "status": "?", "reg": "no",
                                 "idh": "not-a-hash", "q": "  王  "})
    assert (f.mode, f.sort, f.page, f.year, f.status, f.reg, f.idh, f.q) == ("full_time", "register_no", 1, None,
                                                                           "", "", "", "王")
