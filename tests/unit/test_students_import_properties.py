"""Property tests over the roster import parser: whatever the header row, the cells or
the file bytes, it never crashes and every problem is a Chinese message that names its
row and column."""
from __future__ import annotations

import io
import re
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from aid.core.identity import InvalidValue
from aid.students import importer
from aid.students.importer import COLUMNS, Analysis, ImportFileError, _Row, _validate_row, match_headers, parse_date

CJK = re.compile(r"[\u4e00-\u9fff]")
VARIANTS = [v for c in COLUMNS for v in c.variants]
LETTER = re.compile(r"^[A-Z]{1,3}$")

header_cell = st.one_of(
    st.sampled_from(VARIANTS),
    st.sampled_from(VARIANTS).map(lambda v: f" {v}（必填）* "),
    st.text(max_size=30),
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
)

cell = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text(alphabet="0123456789Xx０１２３４５６７８９Ｘ -", max_size=25),
    st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=date(1, 1, 1)),
    st.datetimes(),
    st.sampled_from(["男", "女", "农村", "城镇", "全日制", "非全日制", "2008-05-17", "2008年5月", "=1+1", "@SUM(A1)",
                     "<script>alert(1)</script>", "' OR 1=1 --", "２０２５级１班", "A2025级1班"]),
)


def _chinese(message: str) -> bool:
    return bool(message) and bool(CJK.search(message))


@settings(max_examples=300, deadline=None)
@given(st.lists(header_cell, max_size=20))
def test_header_matching_never_crashes_and_names_row_one_and_the_column(header):
    positions, problems, ignored = match_headers(header)
    assert all(0 <= i < len(header) for i in positions.values())
    assert len(set(positions.values())) == len(positions)
    for p in problems:
        assert p.row == 1 and p.column and _chinese(p.message)
        assert not p.letter or LETTER.match(p.letter)
    assert all(isinstance(name, str) and name for name in ignored)


CLASSES = {importer.class_key("A2025级1班"): SimpleNamespace(id=7, name="A2025级1班", study_mode="full_time",
                                                            intake_date=date(2025, 9, 1))}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.lists(st.sampled_from([c.label for c in COLUMNS]), unique=True, min_size=1),
       cells=st.lists(cell, max_size=len(COLUMNS) + 3), number=st.integers(min_value=2, max_value=20001))
def test_row_validation_never_crashes_and_every_problem_has_row_and_column(header, cells, number):
    positions, _problems, _ = match_headers(header)
    headers = {k: header[i] for k, i in positions.items()}
    analysis = Analysis()
    row = _Row(number, cells, positions, headers, analysis)
    values = _validate_row(row, CLASSES, date(2026, 11, 25))
    assert row.bad == bool(analysis.problems)
    for p in analysis.problems + analysis.notes:
        assert p.row == number and p.column and _chinese(p.message)
        assert not p.letter or LETTER.match(p.letter)
        assert "Traceback" not in p.message and "Error" not in p.message
    if not row.bad:  # a clean row has every value the insert needs
        for key in ("name", "id_number", "register_no", "class_id", "household", "birth_date", "gender"):
            assert values.get(key) not in (None, ""), key


@settings(max_examples=300, deadline=None)
@given(cell, st.booleans())
def test_dates_parse_or_refuse_in_chinese(value, month_only_ok):
    try:
        result = parse_date(value, "入学日期", month_only_ok=month_only_ok)
    except InvalidValue as exc:
        assert _chinese(str(exc)) and "入学日期" in str(exc)
    else:
        assert isinstance(result, date)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b),
                 st.binary(max_size=2000).map(lambda b: b"\xd0\xcf\x11\xe0" + b)))
def test_arbitrary_bytes_are_refused_with_a_chinese_message(data):
    with pytest.raises(ImportFileError) as exc:
        list(importer.read_rows(data))
    assert _chinese(str(exc.value))


def _xlsx(rows) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _storable(v):
    if isinstance(v, str):
        return ILLEGAL_CHARACTERS_RE.sub("", v)
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return None
    if isinstance(v, datetime) and v.year < 1900 or isinstance(v, date) and v.year < 1900:
        return None
    return v


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(header=st.lists(header_cell, min_size=1, max_size=16),
       rows=st.lists(st.lists(cell, max_size=16), max_size=8))
def test_whole_files_are_analysed_without_crashing(world, header, rows):
    """Through calamine and the register checks, against the test world's school A1."""
    data = _xlsx([[_storable(v) for v in header]] + [[_storable(v) for v in r] for r in rows])
    try:
        analysis = importer.analyse(data, world.schools["A1"].id)
    except ImportFileError as exc:
        assert _chinese(str(exc))
        return
    for p in analysis.problems + analysis.notes:
        assert p.row >= 1 and _chinese(p.message)
        assert p.column or p.row == 2  # only "no data rows" speaks of no column
    assert analysis.ok == (not analysis.problems and analysis.total > 0)
    assert not analysis.problems or not analysis.rows  # nothing is written while any row is wrong


@pytest.mark.parametrize("rows", [[[]], [[None]], [[], []], [[None, None], []]])
def test_a_sheet_without_any_cell_is_refused_not_a_crash(world, rows):
    """Found by the property test above: calamine panicked (a BaseException) on such a sheet."""
    with pytest.raises(ImportFileError) as exc:
        importer.analyse(_xlsx(rows), world.schools["A1"].id)
    assert "工作表是空的" in str(exc.value)


def test_problems_group_by_column_and_kind_largest_first():
    from aid.students.importer import Problem, group_problems

    problems = [Problem(5, "身份证号码", "与第2行的身份证号码重复", "C"),
                Problem(3, "班级", "班级“X”在本校不存在", "E"),
                Problem(9, "身份证号码", "与第4行的身份证号码重复", "C"),
                *[Problem(r, "班级", "班级“X”在本校不存在", "E") for r in range(10, 20)]]
    groups = group_problems(problems)
    assert [(g.column, len(g.rows)) for g in groups] == [("班级", 11), ("身份证号码", 2)]
    assert groups[0].rows_text == "第3、10、11、12、13、14、15、16行等11行"
    assert groups[1].message == "与第某行的身份证号码重复" and groups[1].rows_text == "第5、9行"
    assert group_problems([{"row": 1, "column": "性别", "message": "缺少必填列“性别”", "letter": ""}])[0].rows == [1]
