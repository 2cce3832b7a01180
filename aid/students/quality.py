"""Data quality (不重不漏) of the register inside a user's jurisdiction.

Duplicates are found by the keyed hash across ALL schools, but only records in
the jurisdiction are ever loaded: a school learns that an ID is registered
elsewhere, never by whom; a bureau sees every record inside its jurisdiction.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select

from aid.core.identity import InvalidValue, check_id_consistency, parse_resident_id
from aid.extensions import db
from aid.scoping import scope, school_ids
from aid.students import personal
from aid.students.models import ArchiveItem, Student

LIMIT = 200
ID_CHECK_LIMIT = 20000  # decrypting every ID is fine for a school, not for a province at once


@dataclass
class Section:
    key: str
    title: str
    total: int = 0
    rows: list = field(default_factory=list)  # (student, note)
    skipped: str = ""


def _rows(stmt, limit=LIMIT):
    return db.session.execute(stmt.order_by(Student.school_id, Student.register_no).limit(limit)).scalars().all()


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def report(user, school_id: int | None = None, semester: str | None = None) -> list[Section]:
    base = scope(select(Student), Student, user)
    if school_id:
        base = base.where(Student.school_id == school_id)
    return [_duplicates(user, base), _no_class(base), _no_card(base), _missing(base), _invalid_ids(base),
            _archive(base), _no_aid(base, semester)]


def _duplicates(user, base) -> Section:
    sec = Section("duplicates", "重复注册（同一身份证号在两所学校或两种学习形式）")
    dup_hashes = select(Student.id_number_hash).group_by(Student.id_number_hash).having(func.count() > 1)
    mine = db.session.execute(base.where(Student.id_number_hash.in_(dup_hashes))
                              .order_by(Student.id_number_hash, Student.school_id).limit(LIMIT * 2)).scalars().all()
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


def _no_class(base) -> Section:
    stmt = base.where(Student.class_id.is_(None), Student.status == "在籍")
    return Section("no_class", "在籍但未分班", _count(stmt), [(s, "未分配班级") for s in _rows(stmt)])


def _no_card(base) -> Section:
    stmt = base.where(Student.study_mode == "full_time", Student.status == "在籍", Student.aid_card_hash.is_(None))
    return Section("no_card", "全日制在籍学生缺少资助卡号（资助资金无法发放到卡）", _count(stmt),
                   [(s, "未登记中职学生资助卡或社会保障卡") for s in _rows(stmt)])


def _missing(base) -> Section:
    stmt = base.where(or_(Student.phone_masked == "", Student.ethnicity == "", Student.address == "",
                          Student.name == "", Student.register_no == ""))
    rows = []
    for s in _rows(stmt):
        gaps = [label for label, empty in (("联系电话", not s.phone_masked), ("民族", not s.ethnicity),
                                            ("家庭住址", not s.address)) if empty]
        rows.append((s, "缺少：" + "、".join(gaps)))
    return Section("missing", "必要信息缺失", _count(stmt), rows)


def _invalid_ids(base) -> Section:
    sec = Section("invalid", "身份证号码无效或与出生日期、性别不一致")
    total = _count(base)
    if total > ID_CHECK_LIMIT:
        sec.skipped = f"范围内学生超过{ID_CHECK_LIMIT}人，请按学校查看此项"
        return sec
    for s in db.session.execute(base.order_by(Student.school_id, Student.register_no)
                                .execution_options(yield_per=1000)).scalars():
        try:
            rid = parse_resident_id(personal.reveal(s, "id_number"))
        except InvalidValue as exc:
            note = str(exc)
        else:
            problems = check_id_consistency(rid, s.birth_date, s.gender)
            if not problems:
                continue
            note = "；".join(problems)
        sec.total += 1
        if len(sec.rows) < LIMIT:
            sec.rows.append((s, note))
    return sec


def _archive(base) -> Section:
    bad = select(ArchiveItem.student_id).where(ArchiveItem.state.in_(("missing", "mismatch")))
    stmt = base.where(Student.status == "在籍", Student.id.in_(bad))
    rows = []
    for s in _rows(stmt):
        items = db.session.execute(select(ArchiveItem).where(
            ArchiveItem.student_id == s.id, ArchiveItem.state.in_(("missing", "mismatch")))).scalars().all()
        rows.append((s, "；".join(f"{a.label}{a.state_label}" for a in items)))
    return Section("archive", "纸质档案缺失或与电子学籍不一致", _count(stmt), rows)


def _no_aid(base, semester: str | None) -> Section:
    from aid.applications.models import Application
    from aid.students.service import current_semester

    semester = semester or str(current_semester())
    # NOT EXISTS, not NOT IN: PostgreSQL runs NOT IN (sub-select) as a scan of the sub-select per
    # student once it outgrows work_mem (the province's data-quality page did not answer in 60 s)
    has_app = select(Application.id).where(Application.student_id == Student.id, Application.semester == semester)
    stmt = base.where(and_(Student.study_mode == "full_time", Student.status == "在籍",
                           Student.registration_state == "verified", ~has_app.exists()))
    return Section("no_aid", f"全日制在籍学生本学期（{semester}）没有任何资助申请或决定", _count(stmt),
                   [(s, "本学期无资助记录（免学费、助学金均未申请或审批）") for s in _rows(stmt)])
