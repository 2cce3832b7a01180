"""Roster import rules: header matching, cell parsing, row validation, bad files."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from aid.core.identity import InvalidValue
from aid.students import importer
from aid.students.importer import ImportFileError, analyse, match_headers, parse_date
from tests.students_helpers import HEADER, good_row, person, xlsx


# ---------------------------------------------------------------- headers

def test_header_variants_in_any_order_are_matched():
    header = ["公民身份号码", "学习方式", "学生姓名", "性别", "民族", "出生年月日", "班级名称", "学号",
              "户籍", "入学时间", "中职学生资助卡号", "社保卡号", "手机号码", "备注"]
    positions, problems, ignored = match_headers(header)
    assert not problems
    assert positions["id_number"] == 0 and positions["study_mode"] == 1 and positions["name"] == 2
    assert positions["aid_card"] == 10 and positions["social_card"] == 11 and positions["phone"] == 12
    assert ignored == ["备注"]


@pytest.mark.parametrize("text", ["身份证号", "身份证号码", "公民身份号码", " 身份证号码* ", "身份证号（必填）", "身份证号:"])
def test_id_header_variants(text):
    positions, _problems, _ = match_headers([text])
    assert positions.get("id_number") == 0


def test_missing_required_headers_are_named():
    _positions, problems, _ = match_headers(["姓名", "性别"])
    messages = " ".join(p.message for p in problems)
    for label in ("身份证号码", "班级", "学籍号", "户口性质"):
        assert f"缺少必填列“{label}”" in messages
    assert all(p.row == 1 for p in problems)


def test_repeated_header_is_a_problem():
    _positions, problems, _ = match_headers(["姓名", "身份证号", "身份证号码", "班级", "学籍号", "户籍"])
    assert len(problems) == 1 and "出现了两次" in problems[0].message and problems[0].letter == "C"


# ---------------------------------------------------------------- cells

@pytest.mark.parametrize("raw,expected", [
    ("2008-05-17", date(2008, 5, 17)), ("2008/5/17", date(2008, 5, 17)), ("2008年5月17日", date(2008, 5, 17)),
    ("20080517", date(2008, 5, 17)), (20080517, date(2008, 5, 17)), ("２００８-０５-１７", date(2008, 5, 17)),
])
def test_parse_date_formats(raw, expected):
    assert parse_date(raw, "出生日期") == expected


def test_impossible_date_is_named():
    with pytest.raises(InvalidValue, match="出生日期“2008-02-30”不是有效日期"):
        parse_date("2008-02-30", "出生日期")


def test_month_only_allowed_for_enrolment():
    assert parse_date("2023年9月", "入学日期", month_only_ok=True) == date(2023, 9, 1)
    with pytest.raises(InvalidValue):
        parse_date("2023-09", "出生日期")


# ---------------------------------------------------------------- bad files

def test_not_an_xlsx():
    with pytest.raises(ImportFileError, match="不是 Excel"):
        importer.check_file(b"name,id\n")


def test_old_xls_gets_its_own_message():
    with pytest.raises(ImportFileError, match=r"\.xls"):
        importer.check_file(b"\xd0\xcf\x11\xe0" + b"\0" * 100)


def test_corrupt_zip():
    with pytest.raises(ImportFileError, match="损坏"):
        importer.check_file(b"PK\x03\x04" + b"garbage" * 20)


def test_zip_that_is_not_a_workbook():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(ImportFileError, match="不是 Excel"):
        importer.check_file(buf.getvalue())


def test_file_over_10_mb():
    with pytest.raises(ImportFileError, match="超过10 MB"):
        importer.check_file(b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024))


# ---------------------------------------------------------------- rows (against the test world's school A1)

def _problems(world, rows, header=None):
    school = world.schools["A1"]
    result = analyse(xlsx(rows, header), school.id)
    return result, {(p.row, p.column): p.message for p in result.problems}


def test_clean_roster_is_ready(world):
    cls = world.obj["A1"].school_class.name
    result, problems = _problems(world, [good_row(1, cls, "R001"), good_row(2, cls, "R002", "陈一")])
    assert problems == {} and result.ok and result.total == 2 and result.counts == {"full_time": 2, "part_time": 0}
    assert result.rows[0]["id_number_masked"].count("*") == 8 and result.rows[0]["registration_state"] == "draft"


def test_id_stored_as_number(world):
    cls = world.obj["A1"].school_class.name
    row = good_row(1, cls, "R001")
    row[2] = 350104200803090000
    _result, problems = _problems(world, [row])
    assert "被存为数字" in problems[(2, "身份证号码")]


def test_fifteen_digit_id(world):
    row = good_row(1, world.obj["A1"].school_class.name, "R001")
    row[2] = "350104080309123"
    _result, problems = _problems(world, [row])
    assert "15位旧身份证号码" in problems[(2, "身份证号码")]


def test_impossible_birth_date_in_id(world):
    row = good_row(1, world.obj["A1"].school_class.name, "R001")
    row[2] = "350104200802300012"
    _result, problems = _problems(world, [row])
    assert "出生日期无效" in problems[(2, "身份证号码")]


def test_impossible_birth_date_cell(world):
    row = good_row(1, world.obj["A1"].school_class.name, "R001")
    row[3] = "2008-02-30"
    _result, problems = _problems(world, [row])
    assert "不是有效日期" in problems[(2, "出生日期")]


def test_full_width_digits_and_trailing_spaces_are_normalised_with_a_note(world):
    cls = world.obj["A1"].school_class.name
    number, card = person(5)
    full_width = number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    row = ["林小雨 ", "女", full_width + "  ", date(2008, 3, 9), cls + " ", "R001 ", "农村", card, "13800138000"]
    result, problems = _problems(world, [row])
    assert problems == {} and result.ok
    notes = {(n.row, n.column): n.message for n in result.notes}
    assert "全角" in notes[(2, "身份证号码")]
    assert notes[(2, "姓名")] == "已去除首尾空格"


def test_birth_date_and_gender_must_agree_with_id(world):
    row = good_row(1, world.obj["A1"].school_class.name, "R001")
    row[1], row[3] = "男", date(2008, 3, 10)
    _result, problems = _problems(world, [row])
    assert "与身份证号码中的出生日期" in problems[(3 - 1, "出生日期")]
    assert "与身份证号码（女）不一致" in problems[(2, "性别")]


def test_required_fields_and_unknown_class(world):
    row = ["", "", "", "", "不存在的班", "", "", "", ""]
    _result, problems = _problems(world, [row])
    assert problems[(2, "姓名")] == "姓名不能为空"
    assert problems[(2, "身份证号码")] == "身份证号码不能为空"
    assert "在本校不存在" in problems[(2, "班级")]
    assert problems[(2, "学籍号")] == "学籍号不能为空"
    assert problems[(2, "户口性质")] == "户口性质不能为空"


def test_class_of_another_school_does_not_exist_here(world):
    row = good_row(1, world.obj["A2"].school_class.name, "R001")
    _result, problems = _problems(world, [row])
    assert "在本校不存在" in problems[(2, "班级")]


def test_duplicates_inside_the_file(world):
    cls = world.obj["A1"].school_class.name
    a = good_row(1, cls, "R001")
    b = good_row(1, cls, "R001")
    result, problems = _problems(world, [a, b])
    assert problems[(3, "身份证号码")] == "与第2行的身份证号码重复"
    assert problems[(3, "学籍号")] == "与第2行的学籍号重复"
    assert result.rows == []


def test_duplicates_in_the_school_and_in_other_schools(world):
    from aid.students import personal

    cls = world.obj["A1"].school_class.name
    own = world.obj["A1"].student
    foreign = world.obj["Z1"].student
    mine = good_row(1, cls, own.register_no)
    mine[2], mine[1], mine[3] = personal.reveal(own, "id_number"), own.gender, own.birth_date
    theirs = good_row(2, cls, "R002")
    theirs[2], theirs[1], theirs[3] = personal.reveal(foreign, "id_number"), foreign.gender, foreign.birth_date
    _result, problems = _problems(world, [mine, theirs])
    assert problems[(2, "身份证号码")] == f"该身份证号已在本校注册（学籍号 {own.register_no}）"
    assert "在本校已存在" in problems[(2, "学籍号")]
    assert problems[(3, "身份证号码")] == "该身份证号已在其他学校注册"
    assert foreign.school.name not in " ".join(problems.values())


def test_other_study_mode_in_the_same_school(world):
    from aid.extensions import db
    from aid.students import personal
    from aid.students.models import SchoolClass

    o = world.obj["A1"]
    pt = SchoolClass(school_id=o.school.id, major_id=o.major.id, name="A1非全日制班", intake_date=date(2025, 3, 1),
                     study_mode="part_time")
    db.session.add(pt)
    db.session.commit()
    row = good_row(1, "A1非全日制班", "R009")
    row[2], row[1], row[3] = personal.reveal(o.student, "id_number"), o.student.gender, o.student.birth_date
    _result, problems = _problems(world, [row])
    assert problems[(2, "身份证号码")] == "该身份证号已在本校另一学习形式注册"


def test_study_mode_column_must_match_the_class(world):
    header = HEADER + ["学习形式"]
    row = good_row(1, world.obj["A1"].school_class.name, "R001") + ["非全日制"]
    _result, problems = _problems(world, [row], header)
    assert "与班级" in problems[(2, "学习形式")]


def test_sheet_without_data_rows(world):
    result, problems = _problems(world, [])
    assert not result.ok and "没有任何数据行" in " ".join(problems.values())


def test_missing_headers_stop_the_analysis(world):
    result = analyse(xlsx([["张三"]], ["姓名"]), world.schools["A1"].id)
    assert not result.ok and all(p.row == 1 for p in result.problems)
