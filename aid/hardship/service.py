"""Hardship determination rules (家庭经济困难学生认定, 教财〔2018〕16号): categories,
applications with family income and evidence, class review, school determination,
filing, and the 应助尽助 coverage report."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from aid.audit.service import record
from aid.core.errors import InvalidValue
from aid.core.uploads import SUFFIXES, check_evidence, clean_name, evidence_root, store_evidence_blob
from aid.extensions import db
from aid.hardship.models import DEFAULT_LEVELS, HardshipApplication, HardshipCategory, HardshipEvidence
from aid.hardship.workflow import HARDSHIP_WORKFLOW
from aid.programmes.eligibility import NOT_DIFFICULT
from aid.programmes.semesters import Semester
from aid.timeutil import utcnow
from aid.workflow import TransitionError, apply_transition

# (code, name, priority, proactive): DESIGN §3.4, the seed's priority list
DEFAULT_CATEGORIES = (
    ("poverty_alleviated", "原建档立卡贫困家庭/脱贫家庭学生", True, False),
    ("minimum_living", "最低生活保障家庭学生", True, False),
    ("extreme_poverty", "特困供养学生", True, False),
    ("orphan", "孤儿", True, False),
    ("martyr_child", "烈士子女", True, False),
    ("disabled_student", "家庭经济困难残疾学生", True, False),
    ("disabled_parent", "残疾人子女", True, False),
    ("marginal_poverty", "防止返贫监测对象：边缘易致贫户", True, True),
    ("sudden_hardship", "防止返贫监测对象：因病、因灾、因意外突发严重困难户", True, True),
    ("other", "其他家庭经济困难情形", False, False),
)
CATEGORY_FROM_YEAR = 2023
DETERMINED_STATES = ("determined", "on_notice", "noticed", "filed")
MAX_FAMILY_MEMBERS = 8
MAX_EVIDENCE_FILES = 10
ALLOWED_TYPES = SUFFIXES  # mimetype → file suffix of accepted evidence


class HardshipError(Exception):
    """Refused input; str() is a Chinese message."""


def seed_categories() -> int:
    created = 0
    for order, (code, name, priority, proactive) in enumerate(DEFAULT_CATEGORIES):
        exists = db.session.execute(select(HardshipCategory.id).where(
            HardshipCategory.code == code, HardshipCategory.valid_from_year == CATEGORY_FROM_YEAR)).first()
        if exists:
            continue
        db.session.add(HardshipCategory(code=code, name=name, priority=priority, proactive=proactive,
                                        valid_from_year=CATEGORY_FROM_YEAR, sort_order=order))
        created += 1
    if created:
        db.session.flush()
        record("hardship_categories_seed", object_type="hardship_categories", summary=f"初始化困难类别 {created} 个")
    return created


def categories_for_year(school_year_start: int) -> list[HardshipCategory]:
    """The category list in force for a school year (the newest version of each code)."""
    rows = db.session.execute(select(HardshipCategory).where(
        HardshipCategory.valid_from_year <= school_year_start,
        (HardshipCategory.valid_to_year.is_(None)) | (HardshipCategory.valid_to_year >= school_year_start),
    ).order_by(HardshipCategory.sort_order, HardshipCategory.valid_from_year.desc())).scalars()
    seen, out = set(), []
    for c in rows:
        if c.code not in seen:
            seen.add(c.code)
            out.append(c)
    return out


def category_names(codes: list[str]) -> list[str]:
    if not codes:
        return []
    names = dict(db.session.execute(select(HardshipCategory.code, HardshipCategory.name)
                                    .where(HardshipCategory.code.in_(codes))).all())
    return [names.get(c, c) for c in codes]


def priority_codes() -> set[str]:
    return set(db.session.execute(select(HardshipCategory.code).where(HardshipCategory.priority.is_(True))).scalars())


def levels(semester: Semester | None = None) -> tuple[str, ...]:
    """The province's level set: the national grant's level names plus 不困难."""
    from aid.programmes import service as programmes
    programme = programmes.programme_by_code("national_grant")
    version = programmes.version_for(programme, semester or programmes.current_semester()) if programme else None
    if version is None:
        return DEFAULT_LEVELS
    return tuple(lv.name for lv in programmes.version_rules(version).levels) + (NOT_DIFFICULT,)


def school_year_key(semester: Semester) -> str:
    return f"{semester.school_year_start}-{semester.school_year_start + 1}"


# --- the application -------------------------------------------------------------------

@dataclass
class FamilyMember:
    relation: str
    name: str
    age: int | None
    occupation: str
    annual_income_fen: int

    def as_dict(self) -> dict:
        return {"relation": self.relation, "name": self.name, "age": self.age, "occupation": self.occupation,
                "annual_income_fen": self.annual_income_fen}


def family(app: HardshipApplication) -> list[dict]:
    try:
        return json.loads(app.family_json or "[]")
    except ValueError:
        return []


def codes(app: HardshipApplication) -> list[str]:
    return _codes_json(app.categories)


def _codes_json(text: str | None) -> list[str]:
    try:
        return json.loads(text or "[]")
    except ValueError:
        return []


def income_summary(app: HardshipApplication) -> dict:
    members = family(app)
    total = sum(int(m.get("annual_income_fen") or 0) for m in members)
    count = len(members) + 1  # the student is a member of the household too
    return {"total_fen": total, "members": count, "per_capita_fen": total // count}


def is_priority(app: HardshipApplication, priority: set[str] | None = None) -> bool:
    priority = priority if priority is not None else priority_codes()
    return any(c in priority for c in codes(app))


def _validate(semester: Semester, categories: list[str], members: list[FamilyMember], circumstances: str) -> None:
    allowed = {c.code for c in categories_for_year(semester.school_year_start)}
    unknown = [c for c in categories if c not in allowed]
    if unknown:
        raise HardshipError("困难类别无效：" + "、".join(unknown))
    if not categories:
        raise HardshipError("请至少选择一个困难类别")
    if len(members) > MAX_FAMILY_MEMBERS:
        raise HardshipError(f"家庭成员最多填写{MAX_FAMILY_MEMBERS}人")
    for m in members:
        if not m.relation or not m.name:
            raise HardshipError("家庭成员须填写关系和姓名")
        if m.annual_income_fen < 0:
            raise HardshipError("年收入不能为负数")
    if not circumstances.strip():
        raise HardshipError("请填写家庭经济困难情况说明")
    if len(circumstances) > 2000:
        raise HardshipError("情况说明不能超过2000字")


def create_application(user, student, semester: Semester, *, categories: list[str], members: list[FamilyMember],
                       circumstances: str, declaration: bool) -> HardshipApplication:
    if student.study_mode != "full_time":
        raise HardshipError("非全日制学生不参加家庭经济困难认定（不享受资助）")
    exists = db.session.execute(select(HardshipApplication.id).where(
        HardshipApplication.student_id == student.id, HardshipApplication.semester == str(semester))).first()
    if exists:
        raise HardshipError(f"该学生{semester.label}已有认定申请，不能重复申请")
    _validate(semester, categories, members, circumstances)
    app = HardshipApplication(school_id=student.school_id, student_id=student.id,
                              school_year=school_year_key(semester), semester=str(semester),
                              categories=json.dumps(categories), circumstances=circumstances.strip(),
                              family_json=json.dumps([m.as_dict() for m in members], ensure_ascii=False),
                              declaration_signed_at=utcnow() if declaration else None,
                              created_by=getattr(user, "id", None), state="draft")
    db.session.add(app)
    db.session.flush()
    record("create", app, user=user, after=_audit_view(app), summary=f"新建家庭经济困难认定申请（{student.name}）")
    return app


def update_application(user, app: HardshipApplication, *, categories: list[str], members: list[FamilyMember],
                       circumstances: str, declaration: bool, expected_version: int | None = None) -> None:
    if app.state not in ("draft", "returned"):
        raise HardshipError("申请已提交，不能修改")
    if expected_version is not None and app.version != expected_version:
        raise HardshipError("该记录已被他人处理，请刷新后重试")
    _validate(Semester.parse(app.semester), categories, members, circumstances)
    before = _audit_view(app)
    app.categories = json.dumps(categories)
    app.family_json = json.dumps([m.as_dict() for m in members], ensure_ascii=False)
    app.circumstances = circumstances.strip()
    if declaration and app.declaration_signed_at is None:
        app.declaration_signed_at = utcnow()
    elif not declaration:
        app.declaration_signed_at = None
    record("update", app, user=user, before=before, after=_audit_view(app), summary="修改家庭经济困难认定申请")


def adjust_next_semester(user, app: HardshipApplication) -> HardshipApplication:
    """The spring adjustment of an autumn determination: a new application for the next
    semester of the same school year, prefilled from this one (then reviewed again)."""
    semester = Semester.parse(app.semester)
    nxt = semester.next()
    if nxt.school_year_start != semester.school_year_start:
        raise HardshipError("认定每学年进行一次；下一学年请重新申请")
    if app.state not in ("noticed", "filed"):
        raise HardshipError("只有公示期满或已存档的认定才能在下学期调整")
    return create_application(user, app.student, nxt, categories=codes(app),
                              members=[FamilyMember(m.get("relation", ""), m.get("name", ""), m.get("age"),
                                                    m.get("occupation", ""), int(m.get("annual_income_fen") or 0))
                                       for m in family(app)],
                              circumstances=app.circumstances, declaration=False)


def _audit_view(app: HardshipApplication) -> dict:
    return {"categories": codes(app), "family_members": len(family(app)),
            "income_total_fen": income_summary(app)["total_fen"],
            "declaration_signed_at": app.declaration_signed_at, "level": app.level}


def act(user, app: HardshipApplication, action: str, *, expected_version: int | None = None, reason: str = "",
        opinion: str = "", level: str = "", level_reason: str = ""):
    """One workflow step; the data the step needs is checked before the transition."""
    if expected_version is not None and app.version != expected_version:
        raise TransitionError("该记录已被他人处理，请刷新后重试")
    if action == "submit" and app.declaration_signed_at is None:
        raise HardshipError("提交前须阅读并签署诚信承诺")
    changes: dict = {}
    if action == "class_review":
        opinion = (opinion or "").strip()
        if not opinion:
            raise HardshipError("请填写班级评议意见")
        if len(opinion) > 1000:
            raise HardshipError("评议意见不能超过1000字")
        changes = {"class_opinion": opinion}
    if action == "determine":
        allowed = levels(Semester.parse(app.semester))
        if level not in allowed:
            raise HardshipError(f"认定等级须为：{'、'.join(allowed)}")
        level_reason = (level_reason or "").strip()
        if level == NOT_DIFFICULT and is_priority(app) and not level_reason:
            raise HardshipError("该生属于重点保障群体（应助尽助），认定为“不困难”必须填写书面理由")
        if len(level_reason) > 1000:
            raise HardshipError("理由不能超过1000字")
        changes = {"level": level, "level_reason": level_reason}
    # one flush for the step and its data, so the version the actor saw is checked once
    with db.session.no_autoflush:
        step = apply_transition(HARDSHIP_WORKFLOW, app, action, user, reason=reason, expected_version=expected_version)
        for name, value in changes.items():
            setattr(app, name, value)
        if changes:
            record("update", app, user=user, after=changes, summary=f"{HARDSHIP_WORKFLOW.get(action).label}意见")
    return step


# --- evidence files -----------------------------------------------------------------------

def list_stmt(user, *, semester: str = "", state: str = "", class_id: int = 0):
    """The determinations list's select (newest semester, then school, class and name) in the
    user's jurisdiction under the filters. A state over many schools reads the (state, semester
    DESC, school_id) index in that order; a school's own list reads its rows from (semester DESC,
    school_id), so there the state is a planner hint (SQLite's likely()): with the state index
    SQLite would walk the province's rows in that state to find one school's."""
    from aid.database import mostly_true
    from aid.scoping import scope
    from aid.students.models import Student

    stmt = scope(select(HardshipApplication).join(Student, Student.id == HardshipApplication.student_id),
                 HardshipApplication, user)
    if semester:
        stmt = stmt.where(HardshipApplication.semester == semester)
    if state:
        condition = HardshipApplication.state == state
        stmt = stmt.where(mostly_true(condition) if user.role in ("school_officer", "school_leader") else condition)
    if class_id:
        stmt = stmt.where(Student.class_id == class_id)
    return stmt.order_by(HardshipApplication.semester.desc(), HardshipApplication.school_id, Student.class_id,
                         Student.name_sort)


def evidence_dir() -> Path:
    return evidence_root()


def add_evidence(user, app: HardshipApplication, filename: str, data: bytes) -> HardshipEvidence:
    if app.state not in ("draft", "returned", "submitted"):
        raise HardshipError("申请已进入评议或认定，不能再上传材料")
    if not data:
        raise HardshipError("请选择要上传的文件")
    try:
        kind, suffix = check_evidence(filename, data)
    except InvalidValue as exc:
        raise HardshipError(str(exc)) from None
    count = db.session.scalar(select(db.func.count()).select_from(HardshipEvidence)
                              .where(HardshipEvidence.hardship_id == app.id))
    if count >= MAX_EVIDENCE_FILES:
        raise HardshipError(f"每份申请最多上传{MAX_EVIDENCE_FILES}个证明材料")
    relative, digest = store_evidence_blob(data, suffix)
    name = clean_name(filename, default=f"evidence{suffix}")
    ev = HardshipEvidence(hardship_id=app.id, school_id=app.school_id, student_id=app.student_id,
                          original_name=name, mimetype=kind, size=len(data), sha256=digest,
                          path=str(relative), uploaded_by=getattr(user, "id", None))
    db.session.add(ev)
    db.session.flush()
    record("hardship_evidence_upload", ev, user=user, after={"name": name, "type": kind, "size": len(data),
                                                            "sha256": digest}, summary=f"上传证明材料 {name}")
    return ev


def evidence_path(ev: HardshipEvidence) -> Path:
    return evidence_dir() / ev.path


# --- coverage (应助尽助) ------------------------------------------------------------------

class CoverageStudent(NamedTuple):
    """What a coverage line shows of the student (plain columns, not the record)."""
    id: int
    school_id: int
    class_id: int | None
    name: str
    name_sort: str
    school_name: str
    class_name: str


class CoverageDetermination(NamedTuple):
    """What a coverage line shows of the determination (plain columns, not the record)."""
    id: int
    student_id: int
    state: str
    level: str | None
    level_reason: str | None


@dataclass
class CoverageRow:
    student: CoverageStudent
    application: CoverageDetermination
    categories: list[str]
    problem: str


def coverage_report(user, semester: Semester) -> list[CoverageRow]:
    """Every priority-category student of the school year with no determination, or
    determined but with no aid (an approved application) this semester."""
    return coverage_page(user, semester)[1]


def coverage_page(user, semester: Semester, limit: int | None = None,
                  school_id: int | None = None) -> tuple[int, list[CoverageRow]]:
    """coverage_report's (total, first `limit` rows), found in SQL, of one school of the
    jurisdiction when `school_id` is given; the names shown are read for the rows returned only."""
    from aid.org.models import School
    from aid.scoping import scope
    from aid.students.models import SchoolClass, Student

    priority = sorted(priority_codes())
    if not priority:
        return 0, []
    H = HardshipApplication
    where = _coverage_where(semester, priority)
    if school_id:
        where.append(H.school_id == school_id)
    # the student's columns come with the row: the statement reads the student for the filter and the order
    columns = [H.id, H.student_id, H.categories, H.state, H.level, Student.school_id, Student.class_id,
               Student.name, Student.name_sort]
    # Every finding is examined either way (the count covers all): the rows shown carry the count
    # (a window), one pass instead of a second statement (PostgreSQL, a bureau of 15 schools: 48 →
    # 28 ms). Over a whole province PostgreSQL would walk all students in page order for it (its
    # LIMIT plan, 0.6-0.8 s), which is why the page checks at most 20 schools or one at a time.
    columns.append(func.count().over().label("total"))
    stmt = scope(select(*columns).join(Student, Student.id == H.student_id).where(*where), H, user) \
        .order_by(Student.school_id, func.coalesce(Student.class_id, 0), Student.name_sort, H.student_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    shown = db.session.execute(stmt).all()
    if not shown:
        return 0, []
    total = shown[0].total
    aided = _aided_students([r.student_id for r in shown], semester)
    school_names = dict(db.session.execute(
        select(School.id, School.name).where(School.id.in_({r.school_id for r in shown}))).all())
    class_names = dict(db.session.execute(
        select(SchoolClass.id, SchoolClass.name)
        .where(SchoolClass.id.in_({r.class_id for r in shown if r.class_id is not None}))).all())
    # not in the covering index the statement reads: looked up for the rows shown
    reasons = dict(db.session.execute(select(H.id, H.level_reason).where(H.id.in_([r.id for r in shown]))).all())
    category_name = dict(db.session.execute(select(HardshipCategory.code, HardshipCategory.name)).all())
    wanted = set(priority)
    rows = []
    for row in shown:
        mine = [c for c in _codes_json(row.categories) if c in wanted]
        student = CoverageStudent(row.student_id, row.school_id, row.class_id, row.name, row.name_sort,
                                  school_names.get(row.school_id, ""), class_names.get(row.class_id, ""))
        determination = CoverageDetermination(row.id, row.student_id, row.state, row.level, reasons.get(row.id))
        rows.append(CoverageRow(student, determination, [category_name.get(c, c) for c in mine],
                                _coverage_problem(determination, row.student_id in aided, semester)))
    return total, rows


def _coverage_where(semester: Semester, priority: list[str]) -> list:
    """The conditions of a coverage finding: the student's latest determination of the school
    year up to `semester` names a priority category, and it is unfinished, 不困难, or the
    student has no approved aid in `semester`."""
    from aid.applications.models import Application
    from aid.programmes.service import AIDED_STATES
    from aid.students.models import Student

    H = HardshipApplication
    newer = aliased(HardshipApplication)
    autumn = Semester(semester.school_year_start, "autumn")
    later = [str(s) for s in (autumn, autumn.next()) if s <= semester]  # the school year's semesters so far
    aided = select(Application.id).where(Application.student_id == H.student_id,
                                         Application.semester == str(semester),
                                         Application.state.in_(AIDED_STATES))
    latest = [] if len(later) == 1 else [
        # the latest of them: no determination of a later semester (of those) for the student
        ~select(newer.id).where(newer.student_id == H.student_id, newer.semester.in_(later),
                                newer.semester > H.semester).exists()]
    return [
        H.school_year == school_year_key(semester),
        H.semester.in_(later),
        *latest,
        Student.study_mode == "full_time",
        # the categories are a JSON list of codes: '"code"' appears in it exactly when it is listed
        or_(*[H.categories.contains(json.dumps(code), autoescape=True) for code in priority]),
        or_(H.state.not_in(DETERMINED_STATES), H.level == NOT_DIFFICULT, ~aided.exists()),
    ]


def _aided_students(student_ids: list[int], semester: Semester) -> set[int]:
    from aid.applications.models import Application
    from aid.programmes.service import AIDED_STATES

    return set(db.session.execute(select(Application.student_id).where(
        Application.student_id.in_(student_ids), Application.semester == str(semester),
        Application.state.in_(AIDED_STATES))).scalars())


def _coverage_problem(row, aided: bool, semester: Semester) -> str:
    if row.state not in DETERMINED_STATES:
        return f"尚未完成认定（{HARDSHIP_WORKFLOW.state_label(row.state)}）"
    if row.level == NOT_DIFFICULT:
        return "认定为不困难" + (f"：{row.level_reason}" if row.level_reason else "（未填写理由）")
    if not aided:
        return f"已认定为{row.level}，但{semester.label}没有获批的资助"
    return ""
