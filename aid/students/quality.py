"""Data quality (不重不漏) of the register inside a user's jurisdiction.

Duplicates are found by the keyed hash across ALL schools, but only records in
the jurisdiction are ever loaded: a school learns that an ID is registered
elsewhere, never by whom; a bureau sees every record inside its jurisdiction.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from aid.extensions import db
from aid.scoping import scope, school_ids
from aid.students.models import ArchiveItem, Student

PAGE_LIMIT = 50  # records listed per section on the page (each is loaded with its school and class)
EXPORT_LIMIT = 200  # ... and in the Excel report


@dataclass
class Section:
    key: str
    title: str
    total: int = 0
    rows: list = field(default_factory=list)  # (student, note)
    skipped: str = ""


# what the page shows of each listed record, loaded with it (not one query per row)
_SHOWN = (joinedload(Student.school), joinedload(Student.school_class))


def _rows(stmt, limit: int):
    return db.session.execute(stmt.options(*_SHOWN).order_by(Student.school_id, Student.register_no)
                              .limit(limit)).scalars().all()


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.with_only_columns(Student.id).subquery()))


# Above this many schools (the province: 150) the sections that must read every record of the
# jurisdiction (duplicates, missing fields, no aid) wait for a school to be chosen, as the classes
# page does; the others are indexed counts at any size.
WIDE_SCOPE_SCHOOLS = 20


def report(user, school_id: int | None = None, semester: str | None = None,
           limit: int | None = None) -> list[Section]:
    limit = limit or PAGE_LIMIT
    base = scope(select(Student), Student, user)
    if school_id:
        base = base.where(Student.school_id == school_id)
    wide = not school_id and len(school_ids(user)) > WIDE_SCOPE_SCHOOLS
    return [_wide(Section("duplicates", DUPLICATES_TITLE), "跨校重复注册另见监督检查的红旗清单") if wide
            else _duplicates(user, base, limit),
            _no_class(base, limit), _no_card(base, limit),
            _wide(Section("missing", MISSING_TITLE)) if wide else _missing(base, limit),
            _invalid_ids(base, limit), _archive(base, limit),
            _wide(Section("no_aid", _no_aid_title(semester))) if wide else _no_aid(base, semester, limit)]


def _wide(sec: Section, more: str = "") -> Section:
    sec.skipped = f"范围内学校超过{WIDE_SCOPE_SCHOOLS}所，请先选择学校查看此项" + (f"；{more}" if more else "")
    return sec


DUPLICATES_TITLE = "重复注册（同一身份证号在两所学校或两种学习形式）"
MISSING_TITLE = "必要信息缺失"


def _no_aid_title(semester: str | None) -> str:
    from aid.students.service import current_semester
    return f"全日制在籍学生本学期（{semester or current_semester()}）没有任何资助申请或决定"


def _duplicates(user, base, limit: int) -> Section:
    sec = Section("duplicates", DUPLICATES_TITLE)
    # the jurisdiction's hashes from (school_id, id_number_hash), each probed once in the hash index
    # for another record (any school): a school's 1,300 index probes, not a grouping of the province
    other = aliased(Student)
    twin = select(other.id).where(other.id_number_hash == Student.id_number_hash, other.id != Student.id).exists()
    ids = base.with_only_columns(Student.id).where(twin)
    mine = db.session.execute(select(Student).where(Student.id.in_(ids)).options(*_SHOWN)
                              .order_by(Student.id_number_hash, Student.school_id).limit(limit * 2)).scalars().all()
    if not mine:
        return sec
    visible = set(school_ids(user))
    hashes = {s.id_number_hash for s in mine}
    where: dict[str, list[tuple[int, int, str]]] = {}
    for h, sid, stid, mode in db.session.execute(
            select(Student.id_number_hash, Student.school_id, Student.id, Student.study_mode)
            .where(Student.id_number_hash.in_(hashes))).all():
        where.setdefault(h, []).append((sid, stid, mode))
    school_role = user.role in ("school_officer", "school_leader")
    for s in mine:
        others = [o for o in where.get(s.id_number_hash, []) if o[1] != s.id]
        notes = []
        if any(o[0] == s.school_id and o[2] != s.study_mode for o in others):
            notes.append("本校另一学习形式也有注册")
        if any(o[0] == s.school_id and o[2] == s.study_mode for o in others):
            notes.append("本校同一学习形式重复注册")
        foreign = [o for o in others if o[0] != s.school_id]
        if foreign:
            if school_role:
                notes.append("该身份证号已在其他学校注册")
            else:
                inside = [o for o in foreign if o[0] in visible]
                outside = len(foreign) - len(inside)
                if inside:
                    notes.append("另在辖区内其他学校注册：" + "、".join(
                        _school_name(o[0]) for o in inside))
                if outside:
                    notes.append(f"另有{outside}条记录在管辖范围外的学校")
        sec.rows.append((s, "；".join(notes)))
    sec.total = len(sec.rows)
    return sec


def _school_name(school_id: int) -> str:
    from aid.org.models import School
    school = db.session.get(School, school_id)
    return school.name if school else ""


def _no_class(base, limit: int) -> Section:
    stmt = base.where(Student.class_id.is_(None), Student.status == "在籍")
    return Section("no_class", "在籍但未分班", _count(stmt), [(s, "未分配班级") for s in _rows(stmt, limit)])


def _no_card(base, limit: int) -> Section:
    stmt = base.where(Student.study_mode == "full_time", Student.status == "在籍", Student.aid_card_hash.is_(None))
    return Section("no_card", "全日制在籍学生缺少资助卡号（资助资金无法发放到卡）", _count(stmt),
                   [(s, "未登记中职学生资助卡或社会保障卡") for s in _rows(stmt, limit)])


def _missing(base, limit: int) -> Section:
    stmt = base.where(or_(Student.phone_masked == "", Student.ethnicity == "", Student.address == "",
                          Student.name == "", Student.register_no == ""))
    rows = []
    for s in _rows(stmt, limit):
        gaps = [label for label, empty in (("联系电话", not s.phone_masked), ("民族", not s.ethnicity),
                                            ("家庭住址", not s.address)) if empty]
        rows.append((s, "缺少：" + "、".join(gaps)))
    return Section("missing", MISSING_TITLE, _count(stmt), rows)


def _invalid_ids(base, limit: int) -> Section:
    # checked at every write and stored (personal.check_id_number, migration 0012): an indexed count
    # driven by the problem index (few entries), never by a walk of the jurisdiction in 学籍号 order
    stmt = base.where(Student.id.in_(select(Student.id).where(Student.id_number_problem.is_not(None))))
    return Section("invalid", "身份证号码无效或与出生日期、性别不一致", _count(stmt),
                   [(s, s.id_number_problem) for s in _rows(stmt, limit)])


def _archive(base, limit: int) -> Section:
    bad = select(ArchiveItem.student_id).where(ArchiveItem.state.in_(("missing", "mismatch")))
    stmt = base.where(Student.status == "在籍", Student.id.in_(bad))
    students = _rows(stmt, limit)
    items: dict[int, list[ArchiveItem]] = {}
    for a in db.session.execute(select(ArchiveItem).where(  # one query for the listed records
            ArchiveItem.student_id.in_([s.id for s in students]),
            ArchiveItem.state.in_(("missing", "mismatch"))).order_by(ArchiveItem.id)).scalars():
        items.setdefault(a.student_id, []).append(a)
    rows = [(s, "；".join(f"{a.label}{a.state_label}" for a in items.get(s.id, []))) for s in students]
    return Section("archive", "纸质档案缺失或与电子学籍不一致", _count(stmt), rows)


def _no_aid(base, semester: str | None, limit: int) -> Section:
    from aid.applications.models import Application
    from aid.students.service import current_semester

    semester = semester or str(current_semester())
    # NOT EXISTS, not NOT IN: PostgreSQL runs NOT IN (sub-select) as a scan of the sub-select per
    # student once it outgrows work_mem (the province's data-quality page did not answer in 60 s)
    has_app = select(Application.id).where(Application.student_id == Student.id, Application.semester == semester)
    stmt = base.where(and_(Student.study_mode == "full_time", Student.status == "在籍",
                           Student.registration_state == "verified", ~has_app.exists()))
    return Section("no_aid", _no_aid_title(semester), _count(stmt),
                   [(s, "本学期无资助记录（免学费、助学金均未申请或审批）") for s in _rows(stmt, limit)])
