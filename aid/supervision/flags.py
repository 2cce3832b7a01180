"""Red flags (风险提示): each a scoped SQL query with a count and a drill-down list.

Every flag defines `keys_fn(user)`: a select of one column `k`, the stable key of
each flagged row inside the user's jurisdiction (None while its data source is
not enabled). The count and the "reviewed" count come from that one query
joined with `flag_reviews`; `rows_fn(user, page, key=None)` renders a page of
rows (or the single row with that key, used to check a review's target).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Callable

from sqlalchemy import String, and_, case, cast, func, literal, or_, select, union

from aid.applications.models import Application
from aid.applications.workflow import APPLICATION_STATES
from aid.extensions import db
from aid.org.models import School
from aid.scoping import school_ids, school_ids_select, scope
from aid.settings import get_setting
from aid.students.models import STUDY_MODES, Student, StudentSharedKey
from aid.students.shared_keys import ACTIVE_STATUSES
from aid.supervision import providers
from aid.supervision.models import FlagReview, RollCall, RollCallEntry
from aid.timeutil import local_today

PAGE_SIZE = 50
NOT_ENROLLED = ("休学", "退学", "转出")
AIDED_STATES = ("bureau_approved", "disbursed")
SCHOOL_FIELDS = {"credit_code": "统一社会信用代码", "address": "办学地址", "legal_representative": "法定代表人"}


@dataclass
class FlagRow:
    key: str
    cells: list[str]
    link: tuple[str, dict] | None = None  # (endpoint, url kwargs)
    school_id: int | None = None  # the school (inside the jurisdiction) a finding would concern
    review: FlagReview | None = None


@dataclass
class FlagPage:
    columns: list[str]
    rows: list[FlagRow] = field(default_factory=list)
    has_next: bool = False
    note: str = ""


@dataclass
class FlagCount:
    total: int
    reviewed: int

    @property
    def open(self) -> int:
        return self.total - self.reviewed


@dataclass(frozen=True)
class RedFlag:
    code: str
    label: str
    description: str
    keys_fn: Callable
    rows_fn: Callable
    needs_wiring: str = ""  # the other area whose data this flag reads
    counter: Callable | None = None  # (user) -> FlagCount: a cheaper count of the same rows as keys_fn
    key_schools: Callable | None = None  # (key) -> school ids, for a row that spans schools (default: its own)

    def count_fn(self, user) -> FlagCount | None:
        if self.counter is not None:
            return self.counter(user)
        keys = self.keys_fn(user)
        if keys is None:
            return None
        sub = keys.subquery()
        total, reviewed = db.session.execute(
            select(func.count(), func.count(FlagReview.id)).select_from(sub).outerjoin(
                FlagReview, and_(FlagReview.flag_code == self.code, FlagReview.row_key == sub.c.k))
        ).one()
        return FlagCount(int(total), int(reviewed))

    def page(self, user, page: int = 1, key: str | None = None) -> FlagPage:
        result = self.rows_fn(user, page, key)
        if result.rows:
            reviews = {r.row_key: r for r in db.session.execute(select(FlagReview).where(
                FlagReview.flag_code == self.code, FlagReview.row_key.in_([r.key for r in result.rows]))).scalars()}
            for row in result.rows:
                row.review = reviews.get(row.key)
        return result


def _prefixed(prefix: str, column):
    return (literal(prefix, String) + cast(column, String)).label("k")


def _paged(stmt, page: int):
    return stmt.limit(PAGE_SIZE + 1).offset((max(page, 1) - 1) * PAGE_SIZE)


def _id_from_key(key: str | None, prefix: str) -> int | None:
    if key is None:
        return None
    if not key.startswith(prefix) or not key[len(prefix):].isdigit():
        return -1
    return int(key[len(prefix):])


def _school_names(ids) -> dict[int, str]:
    ids = list(set(ids))
    if not ids:
        return {}
    return dict(db.session.execute(select(School.id, School.name).where(School.id.in_(ids))).all())


def _unavailable(columns: list[str]) -> FlagPage:
    return FlagPage(columns, note=providers.UNAVAILABLE)


# --- the same person in two places: grouped keyed hashes -------------------------------------------

def _grouped_keys(kind, column, having, user):
    """Groups of active students sharing `column` that are flagged by `having` and have at least one
    active student inside the jurisdiction. The candidates are the few values stored in
    student_shared_keys (kept on every student write), looked up in the hash's covering index.
    `having(only_active)` tests the active students only: status is tested inside the aggregates,
    not in WHERE, so no engine is tempted to answer the query from the status index."""
    active = Student.status.in_(ACTIVE_STATUSES)

    def only_active(expr):
        return case((active, expr))  # NULL for the others: ignored by count/min/max

    candidates = select(StudentSharedKey.key_hash).where(StudentSharedKey.kind == kind)
    mine = func.max(case((and_(active, Student.school_id.in_(school_ids_select(user))), 1), else_=0))
    return (select(column.label("k")).where(column.in_(candidates))
            .group_by(column).having(and_(having(only_active), mine == 1)))


def _dup_id_keys(user):
    # min != max instead of count(DISTINCT) > 1: the same answer without a temporary b-tree per group
    return _grouped_keys("id", Student.id_number_hash, lambda a: or_(
        func.min(a(Student.school_id)) != func.max(a(Student.school_id)),
        func.min(a(Student.study_mode)) != func.max(a(Student.study_mode))), user)


def _card_keys(user):
    return _grouped_keys("card", Student.aid_card_hash, lambda a: func.count(a(Student.id)) > 1, user)


def _grouped_rows(keys_fn, column, columns, describe):
    def rows(user, page, key=None):
        sub = keys_fn(user).subquery()
        stmt = select(sub.c.k).order_by(sub.c.k)
        keys = list(db.session.execute(stmt.where(sub.c.k == key) if key is not None else _paged(stmt, page)).scalars())
        result = FlagPage(columns, has_next=len(keys) > PAGE_SIZE)
        keys = keys[:PAGE_SIZE]
        if not keys:
            return result
        mine = set(school_ids(user))
        students = [s for s in db.session.execute(select(Student).where(column.in_(keys))
                                                  .order_by(Student.school_id, Student.id)).scalars()
                    if s.status in ACTIVE_STATUSES]
        names = _school_names(s.school_id for s in students)
        by_key: dict[str, list[Student]] = {}
        for s in students:
            by_key.setdefault(getattr(s, column.key), []).append(s)
        for k in keys:
            group = by_key.get(k, [])
            inside = [s for s in group if s.school_id in mine]
            outside = len(group) - len(inside)
            listed = "；".join(f"{s.name}（{names.get(s.school_id, '')}，{STUDY_MODES.get(s.study_mode, '')}，"
                              f"学籍号{s.register_no}，{s.id_number_masked}）" for s in inside)
            result.rows.append(FlagRow(k, [listed, describe(group), f"{outside} 条" if outside else "—"],
                                       school_id=inside[0].school_id if inside else None))
        return result
    return rows


def _group_schools(column):
    """The schools of the active students in one group: a review of the group's key counts in
    every jurisdiction holding one of them."""
    def schools(key: str) -> list[int]:
        return list(db.session.execute(select(Student.school_id).where(
            column == key, Student.status.in_(ACTIVE_STATUSES)).distinct()).scalars())
    return schools


def _describe_dup_id(group) -> str:
    parts = []
    if len({s.school_id for s in group}) > 1:
        parts.append(f"在{len({s.school_id for s in group})}所学校同时有学籍")
    if len({s.study_mode for s in group}) > 1:
        parts.append("全日制与非全日制同时注册")
    return "，".join(parts)


def _describe_card(group) -> str:
    return f"{len(group)}名学生登记同一资助卡号（{group[0].aid_card_masked if group else ''}）"


# --- aid to students not enrolled ---------------------------------------------------------------------

def _not_enrolled_stmt(user):
    # Driven from the few students not enrolled (status index), then their applications by
    # student_id; `state || ''` keeps SQLite from driving from the large state index instead.
    stmt = (select(Application).select_from(Student).join(Application, Application.student_id == Student.id)
            .where(Student.status.in_(NOT_ENROLLED), (Application.state + "").in_(AIDED_STATES)))
    return scope(scope(stmt, Student, user), Application, user)


def _aid_not_enrolled_keys(user):
    return _not_enrolled_stmt(user).with_only_columns(_prefixed("app-", Application.id))


def _aid_not_enrolled_count(user) -> FlagCount:
    """The same rows as _aid_not_enrolled_keys, counted per student not enrolled with a correlated
    count over the (student_id, state, school_id) index: one index probe per student on both
    engines (the join made PostgreSQL hash-join a parallel scan of every application)."""
    aided = func.count(case((Application.state.in_(AIDED_STATES), 1)))
    per_student = (scope(select(aided).where(Application.student_id == Student.id), Application, user)
                   .correlate(Student).scalar_subquery())
    total = db.session.scalar(scope(select(func.coalesce(func.sum(per_student), 0))
                                    .where(Student.status.in_(NOT_ENROLLED)), Student, user))
    reviewed_ids = [i for i in (_id_from_key(k, "app-") for k in db.session.execute(
        select(FlagReview.row_key).where(FlagReview.flag_code == "aid_not_enrolled")).scalars()) if i and i > 0]
    reviewed = 0
    for start in range(0, len(reviewed_ids), 5000):  # the reviewed rows still flagged, looked up by id
        chunk = reviewed_ids[start:start + 5000]
        reviewed += db.session.scalar(select(func.count()).select_from(
            _not_enrolled_stmt(user).where(Application.id.in_(chunk)).with_only_columns(Application.id).subquery()))
    return FlagCount(int(total or 0), reviewed)


def _aid_not_enrolled_rows(user, page, key=None):
    columns = ["学校", "学生", "学籍状态", "资助项目", "学期", "金额（元）", "申请状态"]
    stmt = _not_enrolled_stmt(user).order_by(Application.id)
    wanted = _id_from_key(key, "app-")
    apps = db.session.execute(stmt.where(Application.id == wanted) if key is not None else _paged(stmt, page)).scalars().all()
    from aid.core.money import format_fen
    result = FlagPage(columns, has_next=len(apps) > PAGE_SIZE)
    for a in apps[:PAGE_SIZE]:
        result.rows.append(FlagRow(f"app-{a.id}", [a.school.name, f"{a.student.name}（{a.student.register_no}）",
                                                   a.student.status, a.programme.name, a.semester,
                                                   format_fen(a.amount_fen), APPLICATION_STATES.get(a.state, a.state)],
                                   school_id=a.school_id))
    return result


def _paid_not_enrolled_keys(user):
    stmt = providers.paid_lines_not_enrolled_select(user, NOT_ENROLLED)
    if stmt is None:
        return None
    line = stmt.column_descriptions[0]["entity"]
    return stmt.with_only_columns(_prefixed("pay-", line.id))


def _paid_not_enrolled_rows(user, page, key=None):
    columns = ["学校", "学生", "学籍状态", "发放金额（元）", "发放批次"]
    stmt = providers.paid_lines_not_enrolled_select(user, NOT_ENROLLED)
    if stmt is None:
        return _unavailable(columns)
    line = stmt.column_descriptions[0]["entity"]
    stmt = stmt.order_by(line.id)
    wanted = _id_from_key(key, "pay-")
    lines = db.session.execute(stmt.where(line.id == wanted) if key is not None else _paged(stmt, page)).scalars().all()
    students = {s.id: s for s in db.session.execute(
        select(Student).where(Student.id.in_([ln.student_id for ln in lines]))).scalars()}
    names = _school_names(ln.school_id for ln in lines)
    from aid.core.money import format_fen
    result = FlagPage(columns, has_next=len(lines) > PAGE_SIZE)
    for ln in lines[:PAGE_SIZE]:
        s = students.get(ln.student_id)
        result.rows.append(FlagRow(f"pay-{ln.id}", [names.get(ln.school_id, ""), s.name if s else "", s.status if s else "",
                                                    format_fen(ln.amount_fen), str(ln.batch_id)], school_id=ln.school_id))
    return result


# --- overdue status changes (changes area) -----------------------------------------------------------

def _overdue_keys(user):
    stmt = providers.overdue_changes_select(user, local_today())
    if stmt is None:
        return None
    change = stmt.column_descriptions[0]["entity"]
    return stmt.with_only_columns(_prefixed("chg-", change.id))


def _overdue_rows(user, page, key=None):
    columns = ["学校", "学生", "异动类型", "发生日期", "办理时限", "完成日期"]
    stmt = providers.overdue_changes_select(user, local_today())
    if stmt is None:
        return _unavailable(columns)
    change = stmt.column_descriptions[0]["entity"]
    stmt = stmt.order_by(change.deadline, change.id)
    wanted = _id_from_key(key, "chg-")
    items = db.session.execute(stmt.where(change.id == wanted) if key is not None else _paged(stmt, page)).scalars().all()
    students = {s.id: s for s in db.session.execute(
        select(Student).where(Student.id.in_([c.student_id for c in items]))).scalars()}
    names = _school_names(c.school_id for c in items)
    result = FlagPage(columns, has_next=len(items) > PAGE_SIZE)
    for c in items[:PAGE_SIZE]:
        s = students.get(c.student_id)
        from aid.changes.models import CHANGE_KINDS
        result.rows.append(FlagRow(f"chg-{c.id}", [names.get(c.school_id, ""), s.name if s else "",
                                                   CHANGE_KINDS.get(c.kind, c.kind), str(c.happened_on),
                                                   str(c.deadline),
                                                   str(c.school_processed_on) if c.school_processed_on else "尚未办理"],
                                   school_id=c.school_id))
    return result


# --- long suspensions (长期空挂) -----------------------------------------------------------------------

def months_before(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    import calendar
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _suspension_stmt(user, entity):
    cutoff = months_before(local_today(), int(get_setting("suspension_max_months")))
    cutoff_dt = datetime.combine(cutoff, time.min)
    started = providers.suspension_start_subquery()
    stmt = scope(select(*entity).where(Student.status == "休学", Student.study_mode == "full_time"), Student, user)
    if started is None:
        return stmt.where(Student.updated_at < cutoff_dt), None
    stmt = stmt.outerjoin(started, started.c.student_id == Student.id).where(or_(
        and_(started.c.started.is_not(None), started.c.started < cutoff),
        and_(started.c.started.is_(None), Student.updated_at < cutoff_dt)))
    return stmt, started


def _suspension_keys(user):
    return _suspension_stmt(user, (_prefixed("stu-", Student.id),))[0]


def _suspension_rows(user, page, key=None):
    columns = ["学校", "学生", "学籍号", "休学起始（或最后变更）", "已休学（月）"]
    stmt, started = _suspension_stmt(user, (Student,))
    since = started.c.started if started is not None else Student.updated_at
    stmt = stmt.add_columns(since).order_by(since, Student.id)
    wanted = _id_from_key(key, "stu-")
    rows = db.session.execute(stmt.where(Student.id == wanted) if key is not None else _paged(stmt, page)).all()
    names = _school_names(s.school_id for s, _ in rows)
    today = local_today()
    result = FlagPage(columns, has_next=len(rows) > PAGE_SIZE)
    for s, start in rows[:PAGE_SIZE]:
        start_day = start.date() if isinstance(start, datetime) else start
        months = (today.year - start_day.year) * 12 + today.month - start_day.month if start_day else 0
        result.rows.append(FlagRow(f"stu-{s.id}", [names.get(s.school_id, ""), s.name, s.register_no,
                                                   str(start_day or ""), str(months)], school_id=s.school_id))
    return result


# --- one school, two plates (一校两牌) -----------------------------------------------------------------

def _school_dup_keys(user):
    parts = []
    for name in SCHOOL_FIELDS:
        column = getattr(School, name)
        groups = select(column).where(column != "").group_by(column).having(func.count() > 1)
        parts.append(select((literal(f"{name}:", String) + column).label("k"))
                     .where(column.in_(groups), School.id.in_(school_ids_select(user))))
    return select(union(*parts).subquery().c.k)


def _school_dup_rows(user, page, key=None):
    columns = ["共用的信息", "内容", "辖区内学校", "辖区外学校"]
    sub = _school_dup_keys(user).subquery()
    stmt = select(sub.c.k).order_by(sub.c.k)
    keys = list(db.session.execute(stmt.where(sub.c.k == key) if key is not None else _paged(stmt, page)).scalars())
    result = FlagPage(columns, has_next=len(keys) > PAGE_SIZE)
    mine = set(school_ids(user))
    for k in keys[:PAGE_SIZE]:
        name, _, value = k.partition(":")
        schools = db.session.execute(select(School).where(getattr(School, name) == value).order_by(School.code)).scalars().all()
        own = [s for s in schools if s.id in mine]
        inside = "、".join(f"{s.code} {s.name}" for s in own)
        outside = len(schools) - len(own)
        result.rows.append(FlagRow(k, [SCHOOL_FIELDS[name], value, inside, f"{outside} 所" if outside else "—"],
                                   school_id=own[0].id if own else None))
    return result


def _school_dup_schools(key: str) -> list[int]:
    name, _, value = key.partition(":")
    if name not in SCHOOL_FIELDS:
        return []
    return list(db.session.execute(select(School.id).where(getattr(School, name) == value)).scalars())


# --- roll-call absences --------------------------------------------------------------------------------

def _absence_stmt(user, *entities):
    return scope(select(*entities).join(RollCall, RollCall.id == RollCallEntry.roll_call_id)
                 .where(RollCallEntry.result == "absent"), RollCallEntry, user)


def _absence_keys(user):
    return _absence_stmt(user, _prefixed("entry-", RollCallEntry.id))


def _absence_rows(user, page, key=None):
    columns = ["学校", "学生", "学籍号", "点名方式", "抽取日期", "备注"]
    stmt = _absence_stmt(user, RollCallEntry).order_by(RollCallEntry.id.desc())
    wanted = _id_from_key(key, "entry-")
    entries = db.session.execute(stmt.where(RollCallEntry.id == wanted) if key is not None else _paged(stmt, page)).scalars().all()
    result = FlagPage(columns, has_next=len(entries) > PAGE_SIZE)
    for e in entries[:PAGE_SIZE]:
        rc = e.roll_call
        result.rows.append(FlagRow(f"entry-{e.id}", [rc.school.name, e.student.name, e.student.register_no, rc.kind_label,
                                                     rc.drawn_at.strftime("%Y-%m-%d"), e.note],
                                   link=("supervision.rollcall_detail", {"rollcall_id": rc.id}), school_id=rc.school_id))
    return result


RED_FLAGS: list[RedFlag] = [
    RedFlag("duplicate_id", "同一身份证号重复注册",
            "同一身份证号在两所及以上学校有学籍，或同时注册全日制与非全日制（在籍、休学学生）",
            _dup_id_keys, _grouped_rows(_dup_id_keys, Student.id_number_hash,
                                        ["辖区内的学籍", "问题", "辖区外另有"], _describe_dup_id),
            key_schools=_group_schools(Student.id_number_hash)),
    RedFlag("aid_not_enrolled", "非在籍学生获批资助",
            "资助申请已获人社部门审批或已发放，而学生学籍状态为休学、退学或转出",
            _aid_not_enrolled_keys, _aid_not_enrolled_rows, counter=_aid_not_enrolled_count),
    RedFlag("paid_not_enrolled", "向非在籍学生发放资金",
            "资金发放明细已发放，而学生学籍状态为休学、退学或转出",
            _paid_not_enrolled_keys, _paid_not_enrolled_rows, needs_wiring="funds"),
    RedFlag("overdue_changes", "学籍异动处理超时",
            "学籍异动未在发生之日起规定工作日内办理完成（含逾期仍未办理）",
            _overdue_keys, _overdue_rows, needs_wiring="changes"),
    RedFlag("long_suspension", "长期空挂学籍",
            "全日制学生休学时间超过规定期限（设置项：休学最长期限）",
            _suspension_keys, _suspension_rows),
    RedFlag("shared_card", "多名学生共用资助卡号",
            "同一资助卡（社会保障卡）号码登记在两名及以上在籍、休学学生名下",
            _card_keys, _grouped_rows(_card_keys, Student.aid_card_hash,
                                      ["辖区内的学生", "问题", "辖区外另有"], _describe_card),
            key_schools=_group_schools(Student.aid_card_hash)),
    RedFlag("school_dup", "一校两牌",
            "两所及以上学校共用统一社会信用代码、办学地址或法定代表人",
            _school_dup_keys, _school_dup_rows, key_schools=_school_dup_schools),
    RedFlag("rollcall_absent", "点名抽验不在校",
            "远程点名或现场抽验结果为“不在校”的学生",
            _absence_keys, _absence_rows),
]
FLAGS_BY_CODE = {f.code: f for f in RED_FLAGS}


def flag_counts(user) -> list[tuple[RedFlag, FlagCount | None]]:
    return [(flag, flag.count_fn(user)) for flag in RED_FLAGS]


def key_digest(key: str) -> str:
    """A short, URL-safe id for a row key (element ids in the page)."""
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12]  # an element id, not a secret
