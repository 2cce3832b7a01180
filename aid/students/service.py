"""Register rules: majors, classes, students, study mode, reveal, registration,
the archive checklist. Plain functions over an actor (the user) — no request."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from pypinyin import lazy_pinyin
from sqlalchemy import and_, false, func, select
from sqlalchemy.orm import selectinload

from aid.audit.service import diff, record
from aid.core.identity import (InvalidValue, check_id_consistency, mask_id, normalize_digits, parse_resident_id,
                               validate_bank_card, validate_phone, validate_social_security_card)
from aid.core.protected import search_hash
from aid.extensions import db
from aid.programmes.semesters import Semester, year_of_study
from aid.scoping import in_jurisdiction, school_ids_select, scope
from aid.students import personal
from aid.students.models import (ARCHIVE_ITEMS, ARCHIVE_STATES, REGISTER_STATUSES, REGISTRATION_STATES, STUDY_MODES,
                                 ArchiveItem, Major, SchoolClass, Student)
from aid.students.registration import REGISTRATION_WORKFLOW
from aid.workflow import TransitionError, apply_transition


class RegisterError(Exception):
    """Refused change; str() is the Chinese message. `errors` maps field → messages."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.errors = errors or {}


# ---------------------------------------------------------------- semesters

def current_semester(today: date | None = None) -> Semester:
    return Semester.containing(today or date.today())


def class_year(cls: SchoolClass | None, semester: Semester | None = None) -> int | None:
    """年级 of a class in the semester (computed, never stored)."""
    if cls is None:
        return None
    return year_of_study(cls.intake_date, semester or current_semester())


def class_ids_in_year(user, year: int, semester: Semester | None = None) -> list[int]:
    """Ids of the classes in the jurisdiction whose computed year of study is `year`."""
    semester = semester or current_semester()
    rows = db.session.execute(scope(select(SchoolClass.id, SchoolClass.intake_date), SchoolClass, user)).all()
    return [cid for cid, intake in rows if year_of_study(intake, semester) == year]


# ---------------------------------------------------------------- majors and classes

def _school_guard(actor, school_id: int) -> None:
    if actor.role != "school_officer" or actor.school_id != school_id:
        raise RegisterError("只有本校经办人员可以维护本校的专业、班级和学生")


def save_major(actor, school_id: int, major: Major | None, data: dict) -> Major:
    _school_guard(actor, school_id)
    dup = select(Major.id).where(Major.school_id == school_id, Major.code == data["code"])
    if major is not None:
        dup = dup.where(Major.id != major.id)
    if db.session.scalar(dup):
        raise RegisterError(f"专业代码 {data['code']} 已存在", {"code": [f"专业代码 {data['code']} 已存在"]})
    return _create_or_update(actor, Major, major, school_id, data,
                             lambda m: f"专业 {m.code} {m.name}")


def delete_major(actor, major: Major) -> None:
    _school_guard(actor, major.school_id)
    if db.session.scalar(select(func.count()).select_from(SchoolClass).where(SchoolClass.major_id == major.id)):
        raise RegisterError("该专业下还有班级，不能删除")
    record("delete", major, user=actor, before=major.audit_view(), summary=f"删除专业 {major.code} {major.name}")
    db.session.delete(major)


def save_class(actor, school_id: int, cls: SchoolClass | None, data: dict) -> SchoolClass:
    _school_guard(actor, school_id)
    major = db.session.get(Major, data["major_id"])
    if major is None or major.school_id != school_id:
        raise RegisterError("专业不存在", {"major_id": ["请选择本校的专业"]})
    dup = select(SchoolClass.id).where(SchoolClass.school_id == school_id, SchoolClass.name == data["name"])
    if cls is not None:
        dup = dup.where(SchoolClass.id != cls.id)
    if db.session.scalar(dup):
        raise RegisterError("班级名称已存在", {"name": [f"本校已有名为“{data['name']}”的班级"]})
    if cls is not None and data["study_mode"] != cls.study_mode and db.session.scalar(
            select(func.count()).select_from(Student).where(Student.class_id == cls.id)):
        raise RegisterError("班级已有学生，不能修改学习形式",
                            {"study_mode": ["班级已有学生，不能修改学习形式；请逐个办理学习形式变更"]})
    return _create_or_update(actor, SchoolClass, cls, school_id, data, lambda c: f"班级 {c.name}")


def _create_or_update(actor, model, obj, school_id: int, data: dict, describe):
    """Create or update a school-owned record and audit only the fields that changed."""
    before = obj.audit_view() if obj else {}
    if obj is None:
        obj = model(school_id=school_id, **data)
        db.session.add(obj)
    else:
        for k, v in data.items():
            setattr(obj, k, v)
    db.session.flush()
    b, a = diff(before, obj.audit_view())
    record("create" if not before else "update", obj, user=actor, before=b, after=a,
           summary=f"{'新建' if not before else '修改'}{describe(obj)}")
    return obj


def delete_class(actor, cls: SchoolClass) -> None:
    _school_guard(actor, cls.school_id)
    if db.session.scalar(select(func.count()).select_from(Student).where(Student.class_id == cls.id)):
        raise RegisterError("该班级还有学生，不能删除")
    record("delete", cls, user=actor, before=cls.audit_view(), summary=f"删除班级 {cls.name}")
    db.session.delete(cls)


# ---------------------------------------------------------------- identity and duplicates

def check_identity(raw_id, birth_date: date | None, gender: str | None) -> tuple[object, dict[str, list[str]]]:
    """Parse an ID and check the record's birth date and gender against it.
    Returns (ResidentId or None, {field: [messages]})."""
    errors: dict[str, list[str]] = {}
    try:
        rid = parse_resident_id(raw_id)
    except InvalidValue as exc:
        return None, {"id_number": [str(exc)]}
    for message in check_id_consistency(rid, birth_date, gender):
        errors.setdefault("birth_date" if message.startswith("出生日期") else "gender", []).append(message)
    return rid, errors


def duplicate_message(school_id: int, study_mode: str, others: list[tuple[int, str, str]]) -> str | None:
    """The message for an ID already on the register. `others` holds (school_id, study_mode,
    register_no) of the other records; another school's data never appears in the message."""
    if not others:
        return None
    here_same = [r for s, m, r in others if s == school_id and m == study_mode]
    if here_same:
        return f"该身份证号已在本校注册（学籍号 {here_same[0]}）"
    if any(s == school_id for s, _m, _r in others):
        return "该身份证号已在本校另一学习形式注册"
    return "该身份证号已在其他学校注册"


def others_with_hash(id_hash: str, exclude_student_id: int | None = None) -> list[tuple[int, str, str]]:
    """Every record with this keyed hash in ANY school (for duplicate detection only)."""
    stmt = select(Student.school_id, Student.study_mode, Student.register_no).where(Student.id_number_hash == id_hash)
    if exclude_student_id:
        stmt = stmt.where(Student.id != exclude_student_id)
    return [tuple(r) for r in db.session.execute(stmt).all()]


# ---------------------------------------------------------------- students

IDENTITY_FIELDS = ("register_no", "name", "gender", "ethnicity", "birth_date", "id_number", "household",
                   "class_id", "enrolment_date")
CONTACT_FIELDS = ("aid_card", "aid_card_kind", "phone", "address")


def clean_card(raw: str | None, kind: str) -> str | None:
    if not raw or not str(raw).strip():
        return None
    return validate_social_security_card(raw) if kind == "social_security" else validate_bank_card(raw, "资助卡号")


def _validate_student(school_id: int, data: dict, student: Student | None) -> tuple[dict, dict[str, list[str]]]:
    """Check a student's form data; return the cleaned values and field errors."""
    errors: dict[str, list[str]] = {}
    clean = dict(data)
    identity_editable = student is None or student.registration_state in ("draft", "returned")
    if identity_editable:
        rid, id_errors = check_identity(data.get("id_number"), data.get("birth_date"), data.get("gender"))
        for k, v in id_errors.items():
            errors.setdefault(k, []).extend(v)
        if rid is not None:
            clean["id_number"] = rid.number
            clean["birth_date"] = data.get("birth_date") or rid.birth_date
            clean["gender"] = data.get("gender") or rid.gender
            msg = duplicate_message(school_id, _mode_of_class(data.get("class_id"), student),
                                    others_with_hash(search_hash(rid.number), student.id if student else None))
            if msg:
                errors.setdefault("id_number", []).append(msg)
        cls = db.session.get(SchoolClass, data.get("class_id")) if data.get("class_id") else None
        if cls is None or cls.school_id != school_id:
            errors.setdefault("class_id", []).append("请选择本校的班级")
        elif student is not None and cls.study_mode != student.study_mode:
            errors.setdefault("class_id", []).append("班级的学习形式与学生不同；变更学习形式请使用“变更学习形式”")
        dup = select(Student.id).where(Student.school_id == school_id, Student.register_no == data.get("register_no"))
        if student is not None:
            dup = dup.where(Student.id != student.id)
        if data.get("register_no") and db.session.scalar(dup):
            errors.setdefault("register_no", []).append("本校已有相同学籍号的学生")
    kind = data.get("aid_card_kind") or "aid_card"
    try:
        clean["aid_card"] = clean_card(data.get("aid_card"), kind)
    except InvalidValue as exc:
        errors.setdefault("aid_card", []).append(str(exc))
    try:
        clean["phone"] = validate_phone(data["phone"]) if (data.get("phone") or "").strip() else None
    except InvalidValue as exc:
        errors.setdefault("phone", []).append(str(exc))
    return clean, errors


def _mode_of_class(class_id, student: Student | None) -> str:
    if student is not None:
        return student.study_mode
    cls = db.session.get(SchoolClass, class_id) if class_id else None
    return cls.study_mode if cls else "full_time"


def create_student(actor, school_id: int, data: dict) -> Student:
    _school_guard(actor, school_id)
    clean, errors = _validate_student(school_id, data, None)
    if errors:
        raise RegisterError("请更正标红的字段", errors)
    cls = db.session.get(SchoolClass, clean["class_id"])
    student = Student(school_id=school_id, class_id=cls.id, register_no=clean["register_no"], name=clean["name"],
                      name_sort="".join(lazy_pinyin(clean["name"])), gender=clean["gender"],
                      ethnicity=clean.get("ethnicity") or "汉族", birth_date=clean["birth_date"],
                      household=clean["household"], study_mode=cls.study_mode,
                      enrolment_date=clean.get("enrolment_date") or cls.intake_date, status="在籍",
                      registration_state="draft", address=clean.get("address") or "")
    personal.set_id_number(student, clean["id_number"])
    personal.set_aid_card(student, clean["aid_card"], data.get("aid_card_kind") or "aid_card")
    personal.set_phone(student, clean["phone"])
    db.session.add(student)
    db.session.flush()
    record("create", student, user=actor, after=student.audit_view(), summary=f"新建学生 {student.name}")
    return student


def update_student(actor, student: Student, data: dict, expected_version: int | None = None) -> Student:
    """Edit a student. Identity fields only while the registration is a draft or returned;
    contact data (card, phone, address) always. The study mode never changes here."""
    _school_guard(actor, student.school_id)
    if expected_version is not None and expected_version != student.version:
        raise RegisterError("该学生信息已被他人修改，请刷新后重试")
    if student.registration_state == "submitted":
        raise RegisterError("学籍已报送、等待人社部门审核，暂不能修改")
    clean, errors = _validate_student(student.school_id, data, student)
    if errors:
        raise RegisterError("请更正标红的字段", errors)
    before = student.audit_view()
    if student.registration_state in ("draft", "returned"):
        for key in ("register_no", "name", "gender", "ethnicity", "birth_date", "household", "class_id",
                    "enrolment_date"):
            if clean.get(key) not in (None, ""):
                setattr(student, key, clean[key])
        student.name_sort = "".join(lazy_pinyin(student.name))
        if search_hash(clean["id_number"]) != student.id_number_hash:
            personal.set_id_number(student, clean["id_number"])
        else:  # birth date or gender may have changed: the stored check follows them
            personal.check_id_number(student, clean["id_number"])
    new_kind = data.get("aid_card_kind") or "aid_card"
    if clean["aid_card"] is None or search_hash(clean["aid_card"]) != student.aid_card_hash \
            or new_kind != student.aid_card_kind:
        personal.set_aid_card(student, clean["aid_card"], new_kind)
    if clean["phone"] is None or personal.reveal(student, "phone") != clean["phone"]:
        personal.set_phone(student, clean["phone"])
    student.address = clean.get("address") or ""
    db.session.flush()
    b, a = diff(before, student.audit_view())
    if b or a:
        record("update", student, user=actor, before=b, after=a, summary=f"修改学生 {student.name}")
    return student


def change_study_mode(actor, student: Student, class_id: int, reason: str) -> Student:
    """Move a student between full-time and part-time: an explicit, audited action.
    The record must be registered again (a verified record goes back to draft)."""
    _school_guard(actor, student.school_id)
    reason = (reason or "").strip()
    if not reason:
        raise RegisterError("请填写变更原因", {"reason": ["请填写变更原因"]})
    if student.registration_state == "submitted":
        raise RegisterError("学籍已报送、等待审核，不能变更学习形式")
    cls = db.session.get(SchoolClass, class_id) if class_id else None
    if cls is None or cls.school_id != student.school_id:
        raise RegisterError("请选择本校的班级", {"class_id": ["请选择本校的班级"]})
    if cls.study_mode == student.study_mode:
        raise RegisterError("所选班级的学习形式与学生当前相同", {"class_id": ["请选择另一学习形式的班级"]})
    others = [o for o in others_with_hash(student.id_number_hash, student.id) if o[0] == student.school_id
              and o[1] == cls.study_mode]
    if others:
        raise RegisterError(f"该身份证号已在本校{STUDY_MODES[cls.study_mode]}注册（学籍号 {others[0][2]}）")
    before = {"study_mode": student.study_mode, "class_id": student.class_id}
    if student.registration_state in ("verified", "returned"):
        apply_transition(REGISTRATION_WORKFLOW, student, "reopen", actor, reason=f"变更学习形式：{reason}")
    student.study_mode, student.class_id = cls.study_mode, cls.id
    db.session.flush()
    record("students.change_study_mode", student, user=actor, before=before,
           after={"study_mode": student.study_mode, "class_id": cls.id, "reason": reason},
           summary=f"学习形式变更为{STUDY_MODES[cls.study_mode]}：{student.name}")
    return student


REVEAL_LABELS = {"id_number": "身份证号码", "aid_card": "资助卡号", "phone": "联系电话"}


def reveal_field(actor, student: Student, field_name: str) -> str:
    """The full value of a protected field; every reveal is an audit event."""
    if field_name not in REVEAL_LABELS:
        raise RegisterError("未知字段")
    value = personal.reveal(student, field_name)
    record("reveal", student, user=actor, after={"field": field_name},
           summary=f"查看完整{REVEAL_LABELS[field_name]}：{student.name}")
    return value


# ---------------------------------------------------------------- list, search and filters

SORTS = {
    "register_no": Student.register_no, "name": Student.name_sort, "class": Student.class_id,
    "enrolment": Student.enrolment_date, "state": Student.registration_state,
}


@dataclass
class StudentFilter:
    mode: str = "full_time"
    q: str = ""
    class_id: int | None = None
    major_id: int | None = None
    year: int | None = None
    status: str = ""
    reg: str = ""
    school_id: int | None = None
    sort: str = "register_no"
    desc: bool = False
    page: int = 1
    page_size: int = 50
    # a full ID typed into the search box is replaced by its keyed hash (links, history and
    # logs never carry the number) and shown masked
    idh: str = ""
    id_masked: str = ""

    @classmethod
    def from_args(cls, args) -> StudentFilter:
        def _int(name):
            try:
                v = int(args.get(name) or 0)
            except ValueError:
                return None
            return v or None

        mode = args.get("mode") if args.get("mode") in STUDY_MODES else "full_time"
        sort = args.get("sort") if args.get("sort") in SORTS else "register_no"
        status = args.get("status") if args.get("status") in REGISTER_STATUSES else ""
        reg = args.get("reg") if args.get("reg") in REGISTRATION_STATES else ""
        page = max(1, min(_int("page") or 1, 100000))
        year = _int("year")
        q = (args.get("q") or "").strip()[:50]
        idh, id_masked = args.get("idh") or "", ""
        if not re.fullmatch(r"[0-9a-f]{64}", idh):
            idh = ""
        if _ID_SHAPE.fullmatch(normalize_digits(q)):
            idh, id_masked, q = search_hash(normalize_digits(q)), mask_id(normalize_digits(q)), ""
        return cls(mode=mode, q=q, class_id=_int("class_id"),
                   major_id=_int("major_id"), year=year if year and 0 < year < 10 else None, status=status,
                   reg=reg, school_id=_int("school_id"), sort=sort, desc=args.get("desc") == "1", page=page,
                   idh=idh, id_masked=id_masked or ("（按身份证号码查找）" if idh else ""))

    def args(self, **override) -> dict:
        """URL arguments that reproduce this filter (empty values left out)."""
        values = {"mode": self.mode, "q": self.q, "class_id": self.class_id, "major_id": self.major_id,
                  "year": self.year, "status": self.status, "reg": self.reg, "school_id": self.school_id,
                  "sort": self.sort if self.sort != "register_no" else None, "desc": "1" if self.desc else None,
                  "idh": self.idh or None}
        values.update(override)
        return {k: v for k, v in values.items() if v not in (None, "")}


_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def _prefix(column, text: str):
    """column starts with text, as an index range (LIKE cannot use the index in SQLite)."""
    return and_(column >= text, column < text + "\U0010ffff")


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _search_condition(q: str):
    """A name prefix when the query has Chinese characters, else a 学籍号 prefix (each one
    index range; an OR of both could not use the indexes)."""
    if _CJK.search(q):
        return _prefix(Student.name, q)
    return _prefix(Student.register_no, normalize_digits(q))


def _conditions(user, f: StudentFilter, with_mode: bool) -> list:
    conds = []
    if user.role in ("school_officer", "school_leader"):
        # redundant with scope(), but an equality lets the planner use (school_id, mode, register_no)
        conds.append(Student.school_id == (user.school_id or -1))
    if with_mode:
        conds.append(Student.study_mode == f.mode)
    if f.q:
        conds.append(_search_condition(f.q))
    if f.idh:
        # resolved first: the handful of ids keeps the planner off the 学籍号-order index
        ids = db.session.execute(select(Student.id).where(Student.id_number_hash == f.idh)).scalars().all()
        conds.append(Student.id.in_(ids) if ids else false())
    if f.school_id:
        conds.append(Student.school_id == f.school_id)
    if f.class_id:
        conds.append(Student.class_id == f.class_id)
    if f.major_id:
        conds.append(Student.class_id.in_(select(SchoolClass.id).where(SchoolClass.major_id == f.major_id)))
    if f.year:
        conds.append(Student.class_id.in_(class_ids_in_year(user, f.year)))
    if f.status:
        conds.append(Student.status == f.status)
    if f.reg:
        conds.append(Student.registration_state == f.reg)
    return conds


def filtered(user, f: StudentFilter, *, with_mode: bool = True):
    """The select of students the user may see, narrowed by the filter (unsorted)."""
    return scope(select(Student), Student, user).where(*_conditions(user, f, with_mode))


def _page_order(f: StudentFilter) -> tuple:
    column = SORTS[f.sort]
    if f.sort == "register_no" and not f.desc and f.q and _CJK.search(f.q):
        # a name search in the default order: name order straight from the (mode, name, school) index
        return (Student.name, Student.school_id, Student.id)
    return (column.desc() if f.desc else column.asc(), Student.id)


def sorted_page(user, f: StudentFilter) -> tuple[list[Student], bool]:
    stmt = filtered(user, f).order_by(*_page_order(f))
    stmt = stmt.offset((f.page - 1) * f.page_size).limit(f.page_size + 1)
    stmt = stmt.options(selectinload(Student.school_class).joinedload(SchoolClass.major),
                        selectinload(Student.school))
    rows = db.session.execute(stmt).scalars().all()
    return rows[:f.page_size], len(rows) > f.page_size


class RegistrationLine(NamedTuple):
    """What a 电子注册 line shows of a student (plain columns, not the record)."""
    id: int
    register_no: str
    name: str
    id_number_masked: str
    registration_state: str
    registration_note: str
    school_name: str
    class_name: str | None


def registration_page(user, f: StudentFilter) -> tuple[list[RegistrationLine], bool]:
    """sorted_page()'s students (same filter, order and page) as the columns the 电子注册 list
    shows: no records and no related loads. The statement is sorted_page()'s with fewer columns
    (a join would let SQLite start from the schools and sort every match); the school and class
    names of the page's rows are looked up after."""
    from aid.org.models import School
    stmt = filtered(user, f).with_only_columns(
        Student.id, Student.register_no, Student.name, Student.id_number_masked, Student.registration_state,
        Student.registration_note, Student.school_id, Student.class_id) \
        .order_by(*_page_order(f)).offset((f.page - 1) * f.page_size).limit(f.page_size + 1)
    rows = db.session.execute(stmt).all()
    schools = dict(db.session.execute(
        select(School.id, School.name).where(School.id.in_({r.school_id for r in rows}))).all()) if rows else {}
    class_ids = {r.class_id for r in rows if r.class_id is not None}
    classes = dict(db.session.execute(
        select(SchoolClass.id, SchoolClass.name).where(SchoolClass.id.in_(class_ids))).all()) if class_ids else {}
    lines = [RegistrationLine(*r[:6], schools[r.school_id], classes.get(r.class_id) if r.class_id is not None else None)
             for r in rows]
    return lines[:f.page_size], len(lines) > f.page_size


COUNT_CAP = 10000


def mode_counts(user, f: StudentFilter) -> dict[str, int]:
    """Full-time and part-time counts under the same filter (the tab labels). Each count
    stops at COUNT_CAP + 1 (shown as "10000+"): a province-wide tab would otherwise count
    200,000 rows on every keystroke; exact totals are on the home page and in reports."""
    counts = {}
    for mode in STUDY_MODES:
        inner = scope(select(Student.id), Student, user).where(
            Student.study_mode == mode, *_conditions(user, f, with_mode=False)).limit(COUNT_CAP + 1)
        counts[mode] = db.session.scalar(select(func.count()).select_from(inner.subquery()))
    return counts


def classes_for(user, school_id: int | None = None) -> list[SchoolClass]:
    stmt = scope(select(SchoolClass), SchoolClass, user).order_by(SchoolClass.school_id, SchoolClass.name)
    if school_id:
        stmt = stmt.where(SchoolClass.school_id == school_id)
    return db.session.execute(stmt).scalars().all()


def majors_for(user, school_id: int | None = None) -> list[Major]:
    stmt = scope(select(Major), Major, user).order_by(Major.school_id, Major.code)
    if school_id:
        stmt = stmt.where(Major.school_id == school_id)
    return db.session.execute(stmt).scalars().all()


# ---------------------------------------------------------------- registration

@dataclass
class BulkResult:
    done: int = 0
    refused: list[tuple[Student, str]] = field(default_factory=list)


def transition_many(actor, student_ids: list[int], action: str, reason: str = "") -> BulkResult:
    """Apply one registration step to many students; a refused record is reported, not applied.
    Students outside the jurisdiction are ignored (never loaded)."""
    result = BulkResult()
    ids = sorted({int(i) for i in student_ids})[:2000]
    if not ids:
        return result
    students = db.session.execute(scope(select(Student).where(Student.id.in_(ids)), Student, actor)
                                  .order_by(Student.id)).scalars().all()
    for student in students:
        try:
            apply_transition(REGISTRATION_WORKFLOW, student, action, actor, reason=reason)
            if action == "return":
                student.registration_note = reason.strip()[:500]
            elif action == "verify":
                student.registration_note = ""
            result.done += 1
        except TransitionError as exc:
            result.refused.append((student, str(exc)))
    db.session.flush()
    return result


def registration_by_school(user) -> list[dict]:
    """Per school in the jurisdiction: counts per registration state and study mode
    (from the trigger-kept tallies: the province's table sums a few thousand rows)."""
    from aid.org.models import School
    from aid.students import tallies

    # the school's id, code and name as a plain row: a province's 150 records are not needed
    schools = {s.id: s for s in db.session.execute(
        select(School.id, School.code, School.name).where(School.id.in_(school_ids_select(user)))
        .order_by(School.code))}
    table: dict[int, dict] = {sid: {"school": s, "full_time": {}, "part_time": {}} for sid, s in schools.items()}
    for school_id, mode, state, n in tallies.counts(user, "school_id", "study_mode", "registration_state"):
        if school_id in table and mode in table[school_id]:
            table[school_id][mode][state] = int(n)
    return list(table.values())


# ---------------------------------------------------------------- archive checklist

def archive_checklist(student: Student) -> list[tuple[str, str, ArchiveItem | None]]:
    items = {a.item: a for a in db.session.execute(
        select(ArchiveItem).where(ArchiveItem.student_id == student.id)).scalars()}
    return [(code, label, items.get(code)) for code, label in ARCHIVE_ITEMS.items()]


def record_archive(actor, student: Student, states: dict[str, tuple[str, str]]) -> int:
    """Record the archive checklist: {item: (state, note)}; '' state leaves an item unrecorded."""
    _school_guard(actor, student.school_id)
    existing = {a.item: a for a in db.session.execute(
        select(ArchiveItem).where(ArchiveItem.student_id == student.id)).scalars()}
    changed = {}
    for item, (state, note) in states.items():
        if item not in ARCHIVE_ITEMS or (state and state not in ARCHIVE_STATES):
            raise RegisterError("档案项目或状态无效")
        note = (note or "").strip()[:200]
        row = existing.get(item)
        if not state:
            if row is not None:
                db.session.delete(row)
                changed[item] = "未登记"
            continue
        if row is None:
            row = ArchiveItem(school_id=student.school_id, student_id=student.id, item=item)
            db.session.add(row)
        elif row.state == state and row.note == note:
            continue
        row.state, row.note, row.recorded_by = state, note, actor.id
        from aid.timeutil import utcnow
        row.recorded_at = utcnow()
        changed[item] = ARCHIVE_STATES[state] + (f"（{note}）" if note else "")
    if changed:
        db.session.flush()
        record("students.archive", student, user=actor, after={ARCHIVE_ITEMS[k]: v for k, v in changed.items()},
               summary=f"登记纸质档案：{student.name}")
    return len(changed)


def can_manage(user, school_id: int) -> bool:
    return user.role in ("school_officer", "school_leader") and user.school_id == school_id \
        and in_jurisdiction(school_id, user)
