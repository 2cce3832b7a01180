"""Report tables for a semester over a set of schools (one school, a bureau, the province).

Every table is built from `Figure` rows per school (one GROUP BY per table over the scoped
rows) and is a sum over schools of them; totals are sums of the rows shown, so an exported
table adds up to what the records hold. A school's report is computed live; a bureau's or
the province's whole-jurisdiction report sums the stored figures of its schools
(`report_snapshots`, refreshed by `flask --app app reports refresh` or the 刷新 button),
because aggregating every record of a province on each view is too slow.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, delete, func, insert, select

from aid.applications.models import Application
from aid.database import reading
from aid.extensions import db
from aid.hardship.models import HardshipApplication, HardshipCategory
from aid.org.models import School
from aid.programmes.models import Programme
from aid.programmes.semesters import Semester
from aid.reports.models import ReportFigure, ReportSnapshot
from aid.scoping import school_ids, school_ids_select
from aid.students.models import Student
from aid.supervision import providers
from aid.timeutil import local_today, utcnow

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
    as_of: datetime | None = None  # when the oldest stored figures shown were computed; None: live
    stored: bool = False  # a whole jurisdiction's report from the stored figures (snapshots)

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


@dataclass(frozen=True)
class Figure:
    """One school's contribution to one report table: `item`/`detail` name the row (programme
    and level, change kind, category code; empty for tables with one row per school) and
    n1…n4 are its additive counts and amounts."""
    school_id: int | None  # None: summed over schools (tables whose rows are not per school)
    table: str
    item: str = ""
    detail: str = ""
    n1: int = 0
    n2: int = 0
    n3: int = 0
    n4: int = 0


PER_SCHOOL_TABLES = ("registered", "funds")  # their rows are schools


def _sum_total(rows: list[list], first_numeric: int, label: str = "合计") -> list:
    width = len(rows[0]) if rows else first_numeric
    total = [label] + [""] * (first_numeric - 1)
    for i in range(first_numeric, width):
        total.append(sum(int(r[i] or 0) for r in rows))
    return total


def _add(figures: Iterable[Figure], per_school: bool) -> dict[tuple, list[int]]:
    """Sum figures by (school when per_school, item, detail)."""
    out: dict[tuple, list[int]] = {}
    for f in figures:
        key = ((f.school_id,) if per_school else ()) + (f.item, f.detail)
        acc = out.setdefault(key, [0, 0, 0, 0])
        for i, v in enumerate((f.n1, f.n2, f.n3, f.n4)):
            acc[i] += int(v or 0)
    return out


def _schools(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    return {sid: (code, name) for sid, code, name in db.session.execute(
        select(School.id, School.code, School.name).where(School.id.in_(ids)))}


# --- figures per school (live, from the records) ----------------------------------------------

def registered_figures(ids, semester: Semester) -> list[Figure]:
    counts = db.session.execute(
        select(Student.school_id, func.sum(case((Student.study_mode == "full_time", 1), else_=0)),
               func.sum(case((Student.study_mode == "part_time", 1), else_=0)), func.count())
        .where(Student.school_id.in_(ids), Student.status == "在籍", Student.enrolment_date <= semester.end_date)
        .group_by(Student.school_id)).all()
    return [Figure(sid, "registered", n1=int(ft or 0), n2=int(pt or 0), n3=int(n)) for sid, ft, pt, n in counts]


def changes_figures(ids, semester: Semester) -> list[Figure] | None:
    rows = providers.status_change_counts_by_school(ids, semester.start_date, semester.end_date, local_today())
    if rows is None:
        return None
    return [Figure(sid, "changes", kind, "", n, a, b, c) for sid, kind, n, a, b, c in rows]


def applications_figures(ids, semester: Semester) -> list[Figure]:
    aided = Application.state.in_(AIDED_STATES)
    rows = db.session.execute(
        select(Application.school_id, Programme.name, Application.level, func.count(Application.id),
               func.sum(case((aided, 1), else_=0)),  # one application per student, programme and semester
               func.sum(case((aided, Application.amount_fen), else_=0)))
        .join(Programme, Programme.id == Application.programme_id)
        .where(Application.school_id.in_(ids), Application.semester == str(semester), Application.state != "draft")
        .group_by(Application.school_id, Programme.name, Application.level)).all()
    return [Figure(sid, "applications", name, level or "", int(n), int(r or 0), int(amount or 0))
            for sid, name, level, n, r, amount in rows]


def funds_figures(ids, semester: Semester) -> list[Figure] | None:
    data = providers.funds_by_school(ids, str(semester))
    if data is None:
        return None
    return [Figure(sid, "funds", n1=allocated, n2=paid) for sid, (allocated, paid) in data.items()]


def _category_names() -> dict[str, tuple[str, bool]]:
    names: dict[str, tuple[str, bool]] = {}
    for code, name, priority in db.session.execute(select(HardshipCategory.code, HardshipCategory.name,
                                                          HardshipCategory.priority).order_by(HardshipCategory.sort_order)):
        names.setdefault(code, (name, priority))
    return names


def priority_figures(ids, semester: Semester) -> list[Figure]:
    """Per school and category: determined students and those of them aided this semester."""
    year = f"{semester.school_year_start}-{semester.school_year_start + 1}"
    aided_students = (select(Application.student_id).where(Application.school_id.in_(ids),
                                                           Application.semester == str(semester),
                                                           Application.state.in_(AIDED_STATES)))
    rows = db.session.execute(
        select(HardshipApplication.school_id, HardshipApplication.student_id, HardshipApplication.categories,
               HardshipApplication.student_id.in_(aided_students))
        .where(HardshipApplication.school_id.in_(ids), HardshipApplication.school_year == year,
               HardshipApplication.state.in_(DETERMINED_STATES))).all()
    names = _category_names()
    counts: dict[tuple[int, str], list[set]] = {}
    for school_id, student_id, categories, aided in rows:
        try:
            codes = json.loads(categories or "[]")
        except ValueError:
            codes = []
        for code in codes if isinstance(codes, list) else []:
            if code in names and not names[code][1]:
                continue
            pair = counts.setdefault((school_id, str(code)), [set(), set()])
            pair[0].add(student_id)
            if aided:
                pair[1].add(student_id)
    return [Figure(sid, "priority", code, "", len(d), len(a)) for (sid, code), (d, a) in counts.items()]


def timeliness_figures(ids, semester: Semester) -> list[Figure] | None:
    data = providers.payment_timeliness_by_school(ids, str(semester))
    if data is None:
        return None
    return [Figure(sid, "timeliness", n1=a, n2=b, n3=c) for sid, (a, b, c) in data.items()]


FIGURES = {"registered": registered_figures, "changes": changes_figures, "applications": applications_figures,
           "funds": funds_figures, "priority": priority_figures, "timeliness": timeliness_figures}


def available(code: str) -> bool:
    """Whether the table's source area is present (else the table says UNAVAILABLE)."""
    if code == "changes":
        return providers.status_change_model() is not None
    if code == "funds":
        return providers.allocation_model() is not None and providers.payment_models() is not None
    if code == "timeliness":
        return providers.payment_models() is not None
    return True


# --- tables from figures (the same for live and stored figures) --------------------------------

def render_registered(figures: list[Figure], semester: Semester) -> Table:
    t = Table("registered", "在籍学生（全日制 / 非全日制）", ["学校代码", "学校", "全日制", "非全日制", "合计"],
              note=f"学籍状态为“在籍”且入学日期不晚于{semester.end_date}的学生")
    sums = _add(figures, per_school=True)
    schools = _schools(sid for sid, _i, _d in sums)
    t.rows = sorted([*schools[sid], ft, pt, n] for (sid, _i, _d), (ft, pt, n, _) in sums.items() if n)
    t.total = _sum_total(t.rows, 2)
    return t


def render_changes(figures: list[Figure] | None, semester: Semester) -> Table:
    t = Table("changes", "学籍异动（按类型与办理时效）", ["异动类型", "件数", "按时办理", "逾期办理", "逾期未办理"])
    if figures is None:
        t.note = providers.UNAVAILABLE
        return t
    from aid.changes.models import CHANGE_KINDS

    sums = _add(figures, per_school=False)
    t.rows = [[CHANGE_KINDS.get(kind, kind), *values] for (kind, _d), values in sorted(sums.items())]
    t.total = _sum_total(t.rows, 1)
    return t


def render_applications(figures: list[Figure], semester: Semester) -> Table:
    t = Table("applications", "资助申请与受助学生（按项目与档次）",
              ["资助项目", "档次", "申请数", "受助人数", "资助金额（元）"], money={4},
              note="申请数不含草稿；受助指人社部门已审批或已发放")
    sums = _add(figures, per_school=False)
    t.rows = [[name, level or "—", n, r, amount] for (name, level), (n, r, amount, _) in sorted(sums.items())]
    t.total = _sum_total(t.rows, 2)
    return t


def render_funds(figures: list[Figure] | None, semester: Semester) -> Table:
    t = Table("funds", "资金下达、发放与结余", ["学校代码", "学校", "下达金额（元）", "已发放（元）", "结余（元）"],
              money={2, 3, 4})
    if figures is None:
        t.note = providers.UNAVAILABLE
        return t
    sums = _add(figures, per_school=True)
    schools = _schools(sid for sid, _i, _d in sums)
    t.rows = sorted([*schools[sid], allocated, paid, allocated - paid]
                    for (sid, _i, _d), (allocated, paid, _, _) in sums.items() if allocated or paid)
    t.total = _sum_total(t.rows, 2)
    return t


def render_priority(figures: list[Figure], semester: Semester) -> Table:
    t = Table("priority", "重点保障对象覆盖情况（特困家庭学生）", ["困难类别", "认定人数", "其中受助人数", "覆盖率"],
              note=f"{semester.school_year}已认定的家庭经济困难学生，按其困难类别统计；受助指本学期有人社部门已审批或已发放的资助")
    sums = _add(figures, per_school=False)
    names = _category_names()
    order = list(names)
    for (code, _d) in sorted(sums, key=lambda k: (order.index(k[0]) if k[0] in order else len(order), k[0])):
        determined, aided = sums[(code, _d)][:2]
        if determined:
            t.rows.append([names.get(code, (code,))[0], determined, aided, f"{aided * 100 // determined}%"])
    return t


def render_timeliness(figures: list[Figure] | None, semester: Semester) -> Table:
    t = Table("timeliness", "资金发放及时性（按发放批次）", ["按时发放", "逾期发放", "逾期未发放"])
    if figures is None:
        t.note = providers.UNAVAILABLE
        return t
    total = [0, 0, 0]
    for f in figures:
        total = [total[0] + f.n1, total[1] + f.n2, total[2] + f.n3]
    t.rows = [total]
    return t


RENDER = {"registered": render_registered, "changes": render_changes, "applications": render_applications,
          "funds": render_funds, "priority": render_priority, "timeliness": render_timeliness}


def registered_table(ids, semester: Semester) -> Table:
    return render_registered(registered_figures(ids, semester), semester)


def status_changes_table(ids, semester: Semester) -> Table:
    return render_changes(changes_figures(ids, semester), semester)


def applications_table(ids, semester: Semester) -> Table:
    return render_applications(applications_figures(ids, semester), semester)


def funds_table(ids, semester: Semester) -> Table:
    return render_funds(funds_figures(ids, semester), semester)


def priority_table(ids, semester: Semester) -> Table:
    return render_priority(priority_figures(ids, semester), semester)


def timeliness_table(ids, semester: Semester) -> Table:
    return render_timeliness(timeliness_figures(ids, semester), semester)


BUILDERS = {"registered": registered_table, "changes": status_changes_table, "applications": applications_table,
            "funds": funds_table, "priority": priority_table, "timeliness": timeliness_table}


def _label(user, school_id: int | None) -> str:
    if school_id:
        return db.session.scalar(select(School.name).where(School.id == school_id))
    if user.school_id and user.role.startswith("school"):
        return user.school.name
    return f"{user.authority.name}（全辖区）" if user.authority else ""


def build_report(user, semester: Semester, school_id: int | None = None, only: str | None = None) -> Report:
    """The report computed live from the records."""
    ids = schools_stmt(user, school_id)
    codes = [only] if only else list(BUILDERS)
    return Report(semester, _label(user, school_id), [BUILDERS[c](ids, semester) for c in codes])


# --- snapshots: stored figures per school and semester -----------------------------------------

def refresh_snapshots(ids: list[int], semester: Semester) -> datetime:
    """Recompute and store every table's figures of these schools for the semester, replacing
    what was stored, and commit (the caller must have nothing pending). The figures are computed
    in a read-only transaction and written in a short one, so writers elsewhere never wait for
    the computation. Returns the time stamped on them (when the computation began)."""
    ids = sorted(set(ids))
    db.session.commit()  # end the caller's transaction: the reading below begins its own
    with reading():
        now = utcnow()
        rows = []
        for code, compute in FIGURES.items():
            for f in compute(ids, semester) or []:
                rows.append({"semester": str(semester), "school_id": f.school_id, "table_code": code,
                             "item": f.item, "detail": f.detail, "n1": f.n1, "n2": f.n2, "n3": f.n3, "n4": f.n4})
        db.session.rollback()  # nothing was written
    if ids:
        _store(ids, semester, rows, now)
    db.session.commit()
    return now


def _store(ids: list[int], semester: Semester, rows: list[dict], now: datetime) -> None:
    # concurrent refreshes of the same schools take turns (PostgreSQL row locks; SQLite's
    # BEGIN IMMEDIATE already serialises writers), so none adds its rows to another's
    db.session.execute(select(School.id).where(School.id.in_(ids)).order_by(School.id).with_for_update()).all()
    db.session.execute(delete(ReportFigure).where(ReportFigure.semester == str(semester),
                                                  ReportFigure.school_id.in_(ids)))
    stamped = set(db.session.execute(select(ReportSnapshot.school_id).where(
        ReportSnapshot.semester == str(semester), ReportSnapshot.school_id.in_(ids))).scalars())
    if stamped:
        db.session.execute(ReportSnapshot.__table__.update().where(
            ReportSnapshot.semester == str(semester), ReportSnapshot.school_id.in_(stamped)).values(computed_at=now))
    fresh = [{"semester": str(semester), "school_id": sid, "computed_at": now} for sid in ids if sid not in stamped]
    if fresh:
        db.session.execute(insert(ReportSnapshot), fresh)
    if rows:
        db.session.execute(insert(ReportFigure), rows)


def refresh_all(semester: Semester) -> int:
    """`flask --app app reports refresh`: every school's figures for the semester (commits)."""
    ids = list(db.session.execute(select(School.id)).scalars())
    refresh_snapshots(ids, semester)
    return len(ids)


def snapshot_times(ids: list[int], semester: Semester) -> dict[int, datetime]:
    return dict(db.session.execute(select(ReportSnapshot.school_id, ReportSnapshot.computed_at).where(
        ReportSnapshot.semester == str(semester), ReportSnapshot.school_id.in_(ids))).all())


def stored_figures(ids: list[int], semester: Semester, codes: list[str]) -> dict[str, list[Figure]]:
    """The stored figures of these schools, already summed over schools in SQL except for the
    tables whose rows are schools."""
    # rows whose tables list schools keep their school; the others are summed over schools
    # (grouped on a sub-select's column: PostgreSQL does not match a repeated CASE with parameters)
    stored = select(ReportFigure.table_code, case((ReportFigure.table_code.in_(PER_SCHOOL_TABLES), ReportFigure.school_id),
                                                else_=None).label("school_key"),
                  ReportFigure.item, ReportFigure.detail, ReportFigure.n1, ReportFigure.n2, ReportFigure.n3,
                  ReportFigure.n4) \
        .where(ReportFigure.semester == str(semester), ReportFigure.school_id.in_(ids),
               ReportFigure.table_code.in_(codes)).subquery()
    keys = (stored.c.table_code, stored.c.school_key, stored.c.item, stored.c.detail)
    rows = db.session.execute(select(*keys, func.sum(stored.c.n1), func.sum(stored.c.n2), func.sum(stored.c.n3),
                                     func.sum(stored.c.n4)).group_by(*keys)).all()
    out: dict[str, list[Figure]] = {c: [] for c in codes}
    for code, sid, item, detail, *values in rows:
        out[code].append(Figure(sid, code, item, detail, *(int(v or 0) for v in values)))
    return out


def jurisdiction_report(user, semester: Semester, only: str | None = None) -> Report:
    """A bureau's or the province's whole-jurisdiction report from the stored figures. Schools
    without stored figures for the semester are computed live for this view (a GET never
    writes: `flask --app app reports refresh` or the 刷新 button stores them)."""
    ids = school_ids(user)
    times = snapshot_times(ids, semester)
    missing = [sid for sid in ids if sid not in times]
    codes = [only] if only else list(BUILDERS)
    figures = stored_figures([sid for sid in ids if sid in times], semester, codes) if times \
        else {c: [] for c in codes}
    if missing:
        for code in codes:
            live = FIGURES[code](missing, semester)
            figures[code] += live or []
    tables = [RENDER[c](figures[c] if available(c) else None, semester) for c in codes]
    as_of = min(times.values()) if times else None  # the oldest stored figures (live ones are newer)
    return Report(semester, _label(user, None), tables, as_of=as_of, stored=True)


def refresh_jurisdiction(user, semester: Semester) -> datetime:
    """The 刷新 button: recompute the figures of every school in the user's jurisdiction."""
    return refresh_snapshots(school_ids(user), semester)
