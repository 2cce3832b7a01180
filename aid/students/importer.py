"""Roster import (.xlsx): header matching, row validation, all-or-nothing write.

The same functions serve the browser (preview → confirm, background job for big
files) and the command line. Nothing is written by `analyse`; `write_rows`
inserts every row in the caller's transaction.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from pypinyin import lazy_pinyin
from sqlalchemy import insert, select

from aid.audit.service import record
from aid.core.identity import (InvalidValue, check_id_consistency, id_number_problem, mask_card, mask_id,
                               mask_phone, normalize_digits, parse_resident_id, validate_bank_card, validate_phone,
                               validate_social_security_card)
from aid.core.protected import cipher
from aid.extensions import db
from aid.students.models import SchoolClass, Student
from aid.students.shared_keys import refresh_shared_keys
from aid.timeutil import utcnow

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20000
MAX_COLUMNS = 60
MAX_UNPACKED = 200 * 1024 * 1024  # a zip bomb guard: the sum of the archive's members
CHUNK = 500


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    variants: tuple[str, ...]
    required: bool = False


COLUMNS = (
    Column("name", "姓名", ("姓名", "学生姓名"), True),
    Column("gender", "性别", ("性别",)),
    Column("ethnicity", "民族", ("民族",)),
    Column("birth_date", "出生日期", ("出生日期", "出生年月日", "出生年月", "生日")),
    Column("id_number", "身份证号码", ("身份证号码", "身份证号", "公民身份号码", "居民身份证号码", "身份证件号码",
                                  "身份证件号", "证件号码"), True),
    Column("study_mode", "学习形式", ("学习形式", "学习方式", "就读方式")),
    Column("class_name", "班级", ("班级", "班级名称", "所在班级"), True),
    Column("register_no", "学籍号", ("学籍号", "学号", "学籍编号"), True),
    Column("household", "户口性质", ("户口性质", "户籍", "户籍性质", "户口类型", "户口", "户籍类型"), True),
    Column("enrolment_date", "入学日期", ("入学日期", "入学时间", "入学年月")),
    Column("aid_card", "资助卡号", ("资助卡号", "中职学生资助卡号", "中职学生资助卡", "学生资助卡号", "银行卡号",
                                "资助卡卡号")),
    Column("social_card", "社会保障卡号", ("社会保障卡号", "社保卡号", "社会保障卡", "社会保障卡卡号")),
    Column("phone", "联系电话", ("联系电话", "手机", "手机号", "手机号码", "电话", "联系方式")),
    Column("address", "家庭住址", ("家庭住址", "家庭地址", "住址", "通讯地址")),
)
BY_KEY = {c.key: c for c in COLUMNS}


def _norm_header(text) -> str:
    s = unicodedata.normalize("NFKC", str(text or ""))
    s = re.sub(r"[（(][^）)]*[）)]", "", s)  # "身份证号（必填）"
    return re.sub(r"[\s*＊:：]", "", s)


VARIANTS = {_norm_header(v): c.key for c in COLUMNS for v in c.variants}


@dataclass
class Problem:
    row: int  # as the spreadsheet shows it (the header is row 1); 0 for the file itself
    column: str  # the header text in the file ('' for the whole row or file)
    message: str
    letter: str = ""

    def line(self) -> str:
        return f"{self.row or '-'}\t{self.column or '-'}\t{self.message}"


@dataclass
class ProblemGroup:
    """Problems with the same column and message: a file with a wrong column has thousands."""
    letter: str
    column: str
    message: str
    rows: list[int]

    @property
    def rows_text(self) -> str:
        shown = "、".join(str(r) for r in self.rows[:8])
        return f"第{shown}行" + (f"等{len(self.rows)}行" if len(self.rows) > 8 else "")


_ROW_REFERENCE = re.compile(r"第\d+行")


def group_problems(problems) -> list[ProblemGroup]:
    """Problems (Problem objects or their dicts, as a stored preview holds them) grouped by
    column and message, the largest group first, then in the order of the file."""
    groups: dict[tuple[str, str, str], ProblemGroup] = {}
    for p in problems:
        p = p if isinstance(p, dict) else asdict(p)
        # "与第45行的身份证号码重复" and "与第21行…" are one kind of problem
        key = (p.get("letter", ""), p["column"], _ROW_REFERENCE.sub("第某行", p["message"]))
        group = groups.setdefault(key, ProblemGroup(*key, rows=[]))
        group.rows.append(p["row"])
    return sorted(groups.values(), key=lambda g: (-len(g.rows), min(g.rows)))


@dataclass
class Analysis:
    total: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # normalised input, not an error
    rows: list[dict] = field(default_factory=list)  # ready for insert when there are no problems
    columns: dict[str, str] = field(default_factory=dict)  # key → header text in the file
    ignored: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and self.total > 0


class ImportFileError(Exception):
    """The file as a whole is unusable; str() is the Chinese message."""


# ---------------------------------------------------------------- reading

def check_file(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise ImportFileError(f"文件超过10 MB（当前 {len(data) / 1024 / 1024:.1f} MB），请拆分后分批导入")
    if not data:
        raise ImportFileError("文件为空")
    if not data.startswith(b"PK\x03\x04"):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise ImportFileError("这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 格式后再导入")
        raise ImportFileError("文件不是 Excel（.xlsx）格式，请使用下载的模板")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" not in names:
                raise ImportFileError("文件不是 Excel（.xlsx）格式，请使用下载的模板")
            if sum(i.file_size for i in zf.infolist()) > MAX_UNPACKED:
                raise ImportFileError("文件解压后过大，请拆分后分批导入")
    except zipfile.BadZipFile:
        raise ImportFileError("文件已损坏，无法读取，请重新保存为 .xlsx 后再导入") from None


def read_rows(data: bytes):
    """Yield the first sheet's rows (lists of cell values), bounded in rows and columns."""
    from python_calamine import CalamineWorkbook

    check_file(data)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
    except Exception:  # calamine raises several error types for broken files
        raise ImportFileError("文件已损坏或受密码保护，无法读取，请重新保存为 .xlsx 后再导入") from None
    except BaseException as exc:  # ... and a Rust panic is a BaseException (pyo3 PanicException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise ImportFileError("文件已损坏，无法读取，请重新保存为 .xlsx 后再导入") from None
    if sheet.total_height and sheet.total_height > MAX_ROWS + 1:
        raise ImportFileError(f"数据超过{MAX_ROWS}行，请拆分后分批导入")
    if sheet.start is None:  # no cell at all (calamine's iter_rows panics on such a sheet)
        return
    try:
        for n, row in enumerate(sheet.iter_rows()):
            if n > MAX_ROWS:
                raise ImportFileError(f"数据超过{MAX_ROWS}行，请拆分后分批导入")
            yield list(row[:MAX_COLUMNS])
    except ImportFileError:
        raise
    except BaseException as exc:  # a Rust panic in calamine is a BaseException (pyo3 PanicException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        raise ImportFileError("文件已损坏，无法读取，请重新保存为 .xlsx 后再导入") from None


def column_letter(index: int) -> str:
    s = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        s = chr(65 + rem) + s
    return s


def match_headers(header: list) -> tuple[dict[str, int], list[Problem], list[str]]:
    """Map column keys to positions by header text; problems for missing or repeated headers."""
    positions: dict[str, int] = {}
    problems, ignored = [], []
    for i, text in enumerate(header):
        key = VARIANTS.get(_norm_header(text))
        if key is None:
            if str(text or "").strip():
                ignored.append(str(text).strip())
            continue
        if key in positions:
            problems.append(Problem(1, str(text).strip(), f"“{BY_KEY[key].label}”列出现了两次（第{column_letter(positions[key])}列和第{column_letter(i)}列）",
                                    column_letter(i)))
            continue
        positions[key] = i
    for c in COLUMNS:
        if c.required and c.key not in positions:
            problems.append(Problem(1, c.label, f"缺少必填列“{c.label}”（可用的表头：{'、'.join(c.variants[:3])}）"))
    return positions, problems, ignored


# ---------------------------------------------------------------- cell values

def _is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v) -> str:
    if _is_blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    return unicodedata.normalize("NFKC", str(v)).strip()


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?$")


def parse_date(v, label: str, month_only_ok: bool = False) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        s = str(int(v)) if float(v).is_integer() else str(v)
        if re.fullmatch(r"\d{8}", s):
            v = s
        else:
            raise InvalidValue(f"{label}“{s}”无法识别，请填写如 2008-05-17 的日期")
    s = _text(v)
    if re.fullmatch(r"\d{8}", s):
        s = f"{s[:4]}-{s[4:6]}-{s[6:]}"
    m = _DATE_RE.match(s)
    if not m:
        raise InvalidValue(f"{label}“{s}”无法识别，请填写如 2008-05-17 的日期")
    year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
    if day is None and not month_only_ok:
        raise InvalidValue(f"{label}“{s}”缺少日，请填写完整日期")
    try:
        return date(year, month, int(day or 1))
    except ValueError:
        raise InvalidValue(f"{label}“{s}”不是有效日期") from None


GENDERS = {"男": "男", "女": "女", "男性": "男", "女性": "女"}
MODES = {"全日制": "full_time", "非全日制": "part_time"}
HOUSEHOLD_WORDS = {"农村": "rural", "农业": "rural", "县镇": "rural", "农村含县镇": "rural", "农业户口": "rural",
                   "农村户口": "rural", "城镇": "urban", "非农业": "urban", "城市": "urban", "非农业户口": "urban",
                   "城镇户口": "urban", "居民户口": "urban"}


def _household(v) -> str:
    s = re.sub(r"[\s（）()]", "", _text(v))
    if s in HOUSEHOLD_WORDS:
        return HOUSEHOLD_WORDS[s]
    raise InvalidValue(f"户口性质“{_text(v)}”无法识别，应填写“农村”或“城镇”")


# ---------------------------------------------------------------- analysis

def class_key(name: str) -> str:
    """Class names compare without width or whitespace differences (（） vs ())."""
    return "".join(unicodedata.normalize("NFKC", name or "").split())


class _Row:
    """One spreadsheet row under validation."""

    def __init__(self, number: int, cells: list, positions: dict[str, int], headers: dict[str, str],
                 analysis: Analysis):
        self.number, self.cells, self.positions, self.headers = number, cells, positions, headers
        self.analysis = analysis
        self.bad = False

    def raw(self, key: str):
        i = self.positions.get(key)
        return self.cells[i] if i is not None and i < len(self.cells) else None

    def problem(self, key: str, message: str) -> None:
        i = self.positions.get(key)
        self.analysis.problems.append(Problem(self.number, self.headers.get(key, BY_KEY[key].label), message,
                                              column_letter(i) if i is not None else ""))
        self.bad = True

    def note(self, key: str, message: str) -> None:
        i = self.positions.get(key)
        self.analysis.notes.append(Problem(self.number, self.headers.get(key, BY_KEY[key].label), message,
                                           column_letter(i) if i is not None else ""))


def _spacing_note(row: _Row, key: str) -> None:
    v = row.raw(key)
    if isinstance(v, str) and v and v != v.strip():
        row.note(key, "已去除首尾空格")
    if isinstance(v, str) and any("\uff10" <= ch <= "\uff19" or ch == "\uff38" for ch in v):
        row.note(key, "全角字符已转换为半角")


def analyse(data: bytes, school_id: int, progress=None) -> Analysis:
    """Validate a roster for a school without writing anything."""
    result = Analysis()
    rows = read_rows(data)
    try:
        header = next(rows)
    except StopIteration:
        raise ImportFileError("工作表是空的：第1行应为表头") from None
    positions, problems, ignored = match_headers(header)
    result.ignored = ignored
    result.columns = {k: str(header[i]).strip() for k, i in positions.items()}
    if problems:
        result.problems = problems
        return result

    classes = {class_key(c.name): c for c in db.session.execute(
        select(SchoolClass).where(SchoolClass.school_id == school_id)).scalars()}
    c = cipher()
    today = date.today()
    seen_ids: dict[str, int] = {}
    seen_regs: dict[str, int] = {}
    pending: list[tuple[_Row, dict]] = []

    for number, cells in enumerate(rows, start=2):
        if all(_is_blank(v) for v in cells):
            continue
        result.total += 1
        row = _Row(number, cells, positions, result.columns, result)
        values = _validate_row(row, classes, today)
        if values.get("id_number"):
            h = values["id_number_hash"] = c.search_hash(values["id_number"])
            if h in seen_ids:
                row.problem("id_number", f"与第{seen_ids[h]}行的身份证号码重复")
            else:
                seen_ids[h] = number
        reg = values.get("register_no")
        if reg:
            if reg in seen_regs:
                row.problem("register_no", f"与第{seen_regs[reg]}行的学籍号重复")
            else:
                seen_regs[reg] = number
        if not row.bad:
            pending.append((row, values))
        if progress and result.total % 500 == 0:
            progress(result.total)
    if result.total == 0:
        result.problems.append(Problem(2, "", "表头下没有任何数据行"))
        return result

    _check_register(school_id, pending)
    for row, values in pending:
        if not row.bad:
            result.rows.append(_to_record(values, school_id, c))
    result.counts = {"full_time": sum(1 for r in result.rows if r["study_mode"] == "full_time"),
                     "part_time": sum(1 for r in result.rows if r["study_mode"] == "part_time")}
    result.problems.sort(key=lambda p: (p.row, p.letter))
    if result.problems:
        result.rows = []  # nothing is written while any row is wrong
    if progress:
        progress(result.total)
    return result


def _validate_row(row: _Row, classes: dict, today: date) -> dict:
    """The row's cleaned values (complete only when row.bad stays False); problems go to the row."""
    for key in ("name", "id_number", "register_no", "class_name", "aid_card", "social_card", "phone"):
        _spacing_note(row, key)
    v: dict = {}
    name = _text(row.raw("name"))
    if not name:
        row.problem("name", "姓名不能为空")
    elif len(name) > 50:
        row.problem("name", "姓名不能超过50字")
    v["name"] = name

    rid = None
    try:
        rid = parse_resident_id(row.raw("id_number"), today)
    except InvalidValue as exc:
        row.problem("id_number", str(exc))

    birth = None
    if not _is_blank(row.raw("birth_date")):
        try:
            birth = parse_date(row.raw("birth_date"), "出生日期")
        except InvalidValue as exc:
            row.problem("birth_date", str(exc))
    gender_raw = _text(row.raw("gender"))
    gender = GENDERS.get(gender_raw, gender_raw) if gender_raw else ""
    if gender and gender not in ("男", "女"):
        row.problem("gender", f"性别“{gender_raw}”无法识别，应填写“男”或“女”")
        gender = ""
    if rid is not None:
        for message in check_id_consistency(rid, birth, gender):
            row.problem("birth_date" if message.startswith("出生日期") else "gender", message)
        v["id_number"] = rid.number
        v["birth_date"] = birth or rid.birth_date
        v["gender"] = gender or rid.gender

    reg = normalize_digits(_text(row.raw("register_no")))
    if not reg:
        row.problem("register_no", "学籍号不能为空")
    elif len(reg) > 40:
        row.problem("register_no", "学籍号不能超过40位")
    v["register_no"] = reg

    class_name = _text(row.raw("class_name"))
    cls = classes.get(class_key(class_name))
    if not class_name:
        row.problem("class_name", "班级不能为空")
    elif cls is None:
        row.problem("class_name", f"班级“{class_name}”在本校不存在，请先在“班级管理”中新建")
    else:
        v["class_id"], v["study_mode"] = cls.id, cls.study_mode
        v["enrolment_date"] = cls.intake_date
    mode_raw = re.sub(r"\s", "", _text(row.raw("study_mode")))
    if mode_raw:
        mode = MODES.get(mode_raw)
        if mode is None:
            row.problem("study_mode", f"学习形式“{mode_raw}”无法识别，应填写“全日制”或“非全日制”")
        elif cls is not None and mode != cls.study_mode:
            row.problem("study_mode", f"学习形式“{mode_raw}”与班级“{cls.name}”的学习形式不一致")

    try:
        v["household"] = _household(row.raw("household"))
    except InvalidValue as exc:
        row.problem("household", "户口性质不能为空" if _is_blank(row.raw("household")) else str(exc))

    ethnicity = _text(row.raw("ethnicity")) or "汉族"
    if len(ethnicity) > 20:
        row.problem("ethnicity", "民族不能超过20字")
    v["ethnicity"] = ethnicity if ethnicity.endswith("族") or ethnicity in ("穿青人",) else ethnicity + "族"

    if not _is_blank(row.raw("enrolment_date")):
        try:
            v["enrolment_date"] = parse_date(row.raw("enrolment_date"), "入学日期", month_only_ok=True)
            if v["enrolment_date"] > today:
                row.problem("enrolment_date", "入学日期晚于今天")
        except InvalidValue as exc:
            row.problem("enrolment_date", str(exc))

    v["aid_card"], v["aid_card_kind"] = None, ""
    if not _is_blank(row.raw("aid_card")):
        try:
            v["aid_card"], v["aid_card_kind"] = validate_bank_card(row.raw("aid_card"), "资助卡号"), "aid_card"
        except InvalidValue as exc:
            row.problem("aid_card", str(exc))
    if not _is_blank(row.raw("social_card")):
        try:
            ssc = validate_social_security_card(row.raw("social_card"))
            if v["aid_card"] is None:
                v["aid_card"], v["aid_card_kind"] = ssc, "social_security"
        except InvalidValue as exc:
            row.problem("social_card", str(exc))
    v["phone"] = None
    if not _is_blank(row.raw("phone")):
        try:
            v["phone"] = validate_phone(row.raw("phone"))
        except InvalidValue as exc:
            row.problem("phone", str(exc))
    address = _text(row.raw("address"))
    if len(address) > 200:
        row.problem("address", "家庭住址不能超过200字")
    v["address"] = address
    return v


def _check_register(school_id: int, pending: list[tuple[_Row, dict]]) -> None:
    """Duplicates against the register: the school's 学籍号, and the ID in ANY school or mode."""
    from aid.students.service import duplicate_message

    for start in range(0, len(pending), CHUNK):
        chunk = pending[start:start + CHUNK]
        hashes = [v["id_number_hash"] for _r, v in chunk]
        found: dict[str, list[tuple[int, str, str]]] = {}
        for h, sid, mode, reg in db.session.execute(
                select(Student.id_number_hash, Student.school_id, Student.study_mode, Student.register_no)
                .where(Student.id_number_hash.in_(hashes))).all():
            found.setdefault(h, []).append((sid, mode, reg))
        regs = set(db.session.execute(select(Student.register_no).where(
            Student.school_id == school_id, Student.register_no.in_([v["register_no"] for _r, v in chunk]))).scalars())
        for row, v in chunk:
            others = found.get(v["id_number_hash"])
            if others:
                row.problem("id_number", duplicate_message(school_id, v["study_mode"], others))
            if v["register_no"] in regs:
                row.problem("register_no", f"学籍号 {v['register_no']} 在本校已存在")


def _to_record(v: dict, school_id: int, c) -> dict:
    now = utcnow()
    card, phone = v["aid_card"], v["phone"]
    return {
        "school_id": school_id, "class_id": v["class_id"], "register_no": v["register_no"], "name": v["name"],
        "name_sort": "".join(lazy_pinyin(v["name"])), "gender": v["gender"], "ethnicity": v["ethnicity"],
        "birth_date": v["birth_date"], "id_number_enc": c.encrypt(v["id_number"]),
        "id_number_hash": v["id_number_hash"], "id_number_masked": mask_id(v["id_number"]),
        "id_number_problem": id_number_problem(v["id_number"], v["birth_date"], v["gender"]),
        "household": v["household"], "study_mode": v["study_mode"], "enrolment_date": v["enrolment_date"],
        "status": "在籍", "registration_state": "draft", "registration_note": "",
        "aid_card_enc": c.encrypt(card) if card else None, "aid_card_hash": c.search_hash(card) if card else None,
        "aid_card_masked": mask_card(card) if card else "", "aid_card_kind": v["aid_card_kind"] if card else "",
        "phone_enc": c.encrypt(phone) if phone else None, "phone_masked": mask_phone(phone) if phone else "",
        "address": v["address"], "version": 1, "created_at": now, "updated_at": now,
    }


def write_rows(actor, school_id: int, analysis: Analysis, filename: str, progress=None) -> int:
    """Insert every analysed row in the caller's transaction (commit or roll back as one)."""
    if not analysis.ok:
        raise ImportFileError("文件中仍有错误，未导入任何数据")
    rows = analysis.rows
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(Student), rows[start:start + 2000])
        if progress:
            progress(min(start + 2000, len(rows)))
    # a bulk insert bypasses the session's flush hook: refresh the shared-key groups it touched
    refresh_shared_keys("id", (r["id_number_hash"] for r in rows))
    refresh_shared_keys("card", (r["aid_card_hash"] for r in rows))
    record("students.import", user=actor, object_type="schools", object_id=school_id, school_id=school_id,
           after={"file": filename[:100], "rows": len(rows), **analysis.counts},
           summary=f"导入学生名册 {len(rows)} 人（全日制 {analysis.counts.get('full_time', 0)}，"
                   f"非全日制 {analysis.counts.get('part_time', 0)}）")
    return len(rows)
