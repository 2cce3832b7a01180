"""Report tables for a semester over a set of schools (one school, a bureau, the province).

Every figure is one GROUP BY over the scoped rows; totals are sums of the rows shown,
so an exported table adds up to what the records hold.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from aid.applications.models import Application
from aid.extensions import db
from aid.hardship.models import HardshipApplication, HardshipCategory
from aid.org.models import School
from aid.programmes.models import Programme
from aid.programmes.semesters import Semester
from aid.scoping import school_ids_select
from aid.students.models import Student
from aid.supervision import providers
from aid.timeutil import local_today

AIDED_STATES = ("bureau_approved", "disbursed")
DETERMINED_STATES = ("determined", "on_notice", "noticed", "filed")


@dataclass
class Table:
    code: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    money: set[int] = field(default_factory=set)  # column indexes holding fen
    total: list | None = None
    note: str = ""


@dataclass
class Report:
    semester: Semester
    scope_label: str
    tables: list[Table]

    def table(self, code: str) -> Table:
        return next(t for t in self.tables if t.code == code)


def recent_semesters(count: int = 6) -> list[Semester]:
    current = Semester.containing(local_today())
    return [Semester.from_ordinal(current.ordinal - i) for i in range(count)]


def schools_stmt(user, school_id: int | None = None):
    stmt = school_ids_select(user)
    if school_id:
        stmt = stmt.where(School.id == school_id)
    return stmt


def _sum_total(rows: list[list], first_numeric: int, label: str = "合计") -> list:
    width = len(rows[0]) if rows else first_numeric
    total = [label] + [""] * (first_numeric - 1)
    for i in range(first_numeric, width):
        total.append(sum(int(r[i] or 0) for r in rows))
    return total


def registered_table(ids, semester: Semester) -> Table:
    t = Table("registered", "在籍学生（全日制 / 非全日制）", ["学校代码", "学校", "全日制", "非全日制", "合计"],
              note=f"学籍状态为“在籍”且入学日期不晚于{semester.end_date}的学生")
    counts = db.session.execute(
        select(Student.school_id, func.sum(case((Student.study_mode == "full_time", 1), else_=0)),
               func.sum(case((Student.study_mode == "part_time", 1), else_=0)), func.count())
        .where(Student.school_id.in_(ids), Student.status == "在籍", Student.enrolment_date <= semester.end_date)
        .group_by(Student.school_id)).all()
    schools = dict((sid, (code, name)) for sid, code, name in db.session.execute(
        select(School.id, School.code, School.name).where(School.id.in_([c[0] for c in counts]))))
    t.rows = sorted([*schools[sid], int(ft or 0), int(pt or 0), int(n)] for sid, ft, pt, n in counts)
    t.total = _sum_total(t.rows, 2)
    return t


def status_changes_table(ids, semester: Semester) -> Table:
    t = Table("changes", "学籍异动（按类型与办理时效）", ["异动类型", "件数", "按时办理", "逾期办理", "逾期未办理"])
    rows = providers.status_change_counts(ids, semester.start_date, semester.end_date, local_today())
    if rows is None:
        t.note = providers.UNAVAILABLE
        return t
    t.rows = [list(r) for r in rows]
    t.total = _sum_total(t.rows, 1)
    return t


def applications_table(ids, semester: Semester) -> Table:
    t = Table("applications", "资助申请与受助学生（按项目与档次）",
              ["资助项目", "档次", "申请数", "受助人数", "资助金额（元）"], money={4},
              note="申请数不含草稿；受助指人社部门已审批或已发放")
    aided = Application.state.in_(AIDED_STATES)
    rows = db.session.execute(
        select(Programme.name, Application.level, func.count(Application.id),
               func.sum(case((aided, 1), else_=0)),  # one application per student, programme and semester
               func.sum(case((aided, Application.amount_fen), else_=0)))
        .join(Programme, Programme.id == Application.programme_id)
        .where(Application.school_id.in_(ids), Application.semester == str(semester), Application.state != "draft")
        .group_by(Programme.name, Application.level).order_by(Programme.name, Application.level)).all()
    t.rows = [[name, level or "—", int(n), int(r or 0), int(amount or 0)] for name, level, n, r, amount in rows]
    t.total = _sum_total(t.rows, 2)
    return t


def funds_table(ids, semester: Semester) -> Table:
    t = Table("funds", "资金下达、发放与结余", ["学校代码", "学校", "下达金额（元）", "已发放（元）", "结余（元）"],
              money={2, 3, 4})
    data = providers.funds_by_school(ids, str(semester))
    if data is None:
        t.note = providers.UNAVAILABLE
        return t
    schools = db.session.execute(select(School.id, School.code, School.name).where(School.id.in_(ids))
                                 .order_by(School.code)).all()
    for sid, code, name in schools:
        allocated, paid = data.get(sid, (0, 0))
        if allocated or paid:
            t.rows.append([code, name, allocated, paid, allocated - paid])
    t.total = _sum_total(t.rows, 2)
    return t


def priority_table(ids, semester: Semester) -> Table:
    t = Table("priority", "重点保障对象覆盖情况（特困家庭学生）", ["困难类别", "认定人数", "其中受助人数", "覆盖率"],
              note=f"{semester.school_year}已认定的家庭经济困难学生，按其困难类别统计；受助指本学期有人社部门已审批或已发放的资助")
    year = f"{semester.school_year_start}-{semester.school_year_start + 1}"
    aided_students = (select(Application.student_id).where(Application.school_id.in_(ids),
                                                           Application.semester == str(semester),
                                                           Application.state.in_(AIDED_STATES)))
    rows = db.session.execute(
        select(HardshipApplication.student_id, HardshipApplication.categories,
               HardshipApplication.student_id.in_(aided_students))
        .where(HardshipApplication.school_id.in_(ids), HardshipApplication.school_year == year,
               HardshipApplication.state.in_(DETERMINED_STATES))).all()
    names = {}
    for code, name, priority in db.session.execute(select(HardshipCategory.code, HardshipCategory.name,
                                                          HardshipCategory.priority).order_by(HardshipCategory.sort_order)):
        names.setdefault(code, (name, priority))
    counts: dict[str, list[set]] = {}
    for student_id, categories, aided in rows:
        try:
            codes = json.loads(categories or "[]")
        except ValueError:
            codes = []
        for code in codes if isinstance(codes, list) else []:
            if code in names and not names[code][1]:
                continue
            pair = counts.setdefault(code, [set(), set()])
            pair[0].add(student_id)
            if aided:
                pair[1].add(student_id)
    order = list(names)
    for code in sorted(counts, key=lambda c: (order.index(c) if c in order else len(order), c)):
        determined, aided = len(counts[code][0]), len(counts[code][1])
        t.rows.append([names.get(code, (code,))[0], determined, aided, f"{aided * 100 // determined}%" if determined else "—"])
    return t


def timeliness_table(ids, semester: Semester) -> Table:
    t = Table("timeliness", "资金发放及时性（按发放批次）", ["按时发放", "逾期发放", "逾期未发放"])
    data = providers.payment_timeliness(ids, str(semester))
    if data is None:
        t.note = providers.UNAVAILABLE
        return t
    t.rows = [list(data)]
    return t


BUILDERS = {"registered": registered_table, "changes": status_changes_table, "applications": applications_table,
            "funds": funds_table, "priority": priority_table, "timeliness": timeliness_table}


def build_report(user, semester: Semester, school_id: int | None = None, only: str | None = None) -> Report:
    ids = schools_stmt(user, school_id)
    if school_id:
        label = db.session.scalar(select(School.name).where(School.id == school_id))
    elif user.school_id and user.role.startswith("school"):
        label = user.school.name
    else:
        label = f"{user.authority.name}（全辖区）" if user.authority else ""
    codes = [only] if only else list(BUILDERS)
    return Report(semester, label, [BUILDERS[c](ids, semester) for c in codes])
