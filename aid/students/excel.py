"""Excel output: the import template and exports of the lists a user can see.

openpyxl write_only; identifiers written as text (number format "@"); user text
starting with = + - @ kept as a string, never a formula; personal numbers masked.
"""
from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from aid.students.importer import COLUMNS

FORMULA_START = ("=", "+", "-", "@")


def text_cell(ws, value, *, bold: bool = False) -> WriteOnlyCell:
    """A cell that is always text: never a number, never a formula."""
    cell = WriteOnlyCell(ws, value="" if value is None else str(value))
    cell.data_type = "s"
    cell.number_format = "@"
    if bold:
        cell.font = Font(bold=True)
    return cell


def value_cell(ws, value) -> WriteOnlyCell:
    if isinstance(value, str):
        return text_cell(ws, value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def template_bytes() -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("学生名册")
    widths = {"身份证号码": 22, "资助卡号": 24, "社会保障卡号": 24, "班级": 22, "家庭住址": 30}
    for i, c in enumerate(COLUMNS):
        ws.column_dimensions[chr(65 + i)].width = widths.get(c.label, 14)
    ws.append([text_cell(ws, c.label + ("*" if c.required else ""), bold=True) for c in COLUMNS])
    notes = wb.create_sheet("填写说明")
    notes.append([text_cell(notes, "列名"), text_cell(notes, "是否必填"), text_cell(notes, "也可使用的表头"),
                  text_cell(notes, "说明")])
    hints = {
        "身份证号码": "18位居民身份证号码；单元格须为文本格式（本模板已设置），否则末尾几位会丢失",
        "出生日期": "可不填；填写时须与身份证号码一致，如 2008-05-17",
        "性别": "可不填；填写时须与身份证号码一致（男/女）",
        "学习形式": "全日制 或 非全日制；可不填，按班级的学习形式",
        "班级": "须与系统中本校班级名称完全一致",
        "户口性质": "农村（含县镇）或 城镇",
        "入学日期": "可不填，默认为班级入学日期",
        "资助卡号": "中职学生资助卡（银行卡）卡号，16至19位",
        "社会保障卡号": "没有资助卡时填写",
    }
    for c in COLUMNS:
        notes.append([text_cell(notes, c.label), text_cell(notes, "是" if c.required else "否"),
                      text_cell(notes, "、".join(c.variants)), text_cell(notes, hints.get(c.label, ""))])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


EXPORT_HEADERS = ("学校", "学籍号", "姓名", "性别", "民族", "出生日期", "身份证号码（脱敏）", "学习形式", "专业",
                  "班级", "年级", "户口性质", "入学日期", "学籍状态", "电子注册", "资助卡号（脱敏）", "联系电话（脱敏）")


def students_bytes(students, year_of) -> bytes:
    """Rows of students (an iterable, streamed) into an .xlsx; `year_of(student)` gives 年级."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("学生名册")
    for i, width in enumerate((22, 18, 10, 6, 8, 12, 22, 10, 18, 22, 6, 12, 12, 8, 10, 24, 16)):
        ws.column_dimensions[chr(65 + i)].width = width
    ws.append([text_cell(ws, h, bold=True) for h in EXPORT_HEADERS])
    for s in students:
        cls = s.school_class
        year = year_of(s)
        ws.append([
            text_cell(ws, s.school.name), text_cell(ws, s.register_no), text_cell(ws, s.name),
            text_cell(ws, s.gender), text_cell(ws, s.ethnicity), value_cell(ws, s.birth_date),
            text_cell(ws, s.id_number_masked), text_cell(ws, s.study_mode_label),
            text_cell(ws, cls.major.name if cls else ""), text_cell(ws, cls.name if cls else ""),
            text_cell(ws, f"{year}年级" if year else ""), text_cell(ws, s.household_label),
            value_cell(ws, s.enrolment_date), text_cell(ws, s.status), text_cell(ws, s.registration_label),
            text_cell(ws, s.aid_card_masked), text_cell(ws, s.phone_masked),
        ])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def quality_bytes(sections) -> bytes:
    """The data-quality report: one sheet per problem kind, IDs masked."""
    wb = Workbook(write_only=True)
    for n, sec in enumerate(sections, start=1):
        ws = wb.create_sheet(f"{n}")
        ws.append([text_cell(ws, sec.title, bold=True)])
        if sec.skipped:
            ws.append([text_cell(ws, sec.skipped)])
        ws.append([text_cell(ws, h, bold=True) for h in ("学校", "学籍号", "姓名", "身份证号码（脱敏）", "学习形式",
                                                        "班级", "问题")])
        for s, note in sec.rows:
            ws.append([text_cell(ws, v) for v in (s.school.name, s.register_no, s.name, s.id_number_masked,
                                                  s.study_mode_label, s.school_class.name if s.school_class else "",
                                                  note)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def problems_bytes(problems) -> bytes:
    """Every problem of an import preview (dicts: row, letter, column, message) as an .xlsx, so
    that a file with thousands of problems can be worked through in Excel, beside the file."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("导入问题清单")
    for letter, width in zip("ABC", (10, 22, 70)):
        ws.column_dimensions[letter].width = width
    ws.append([text_cell(ws, h, bold=True) for h in ("行", "列", "问题")])
    for p in problems:
        column = f"{p['letter']}列 {p['column']}" if p.get("letter") else p["column"]
        ws.append([text_cell(ws, f"第{p['row']}行" if p["row"] else "文件"), text_cell(ws, column),
                   text_cell(ws, p["message"])])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
