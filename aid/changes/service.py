"""Status-change rules: recording, validation, workflow steps and their effects, deadlines.

Timeliness (人社厅函〔2023〕77号 一(二)): the school must finish processing a change
in the system within N working days (setting `status_change_deadline_workdays`,
default 10) of the day it happened; the day itself is not counted. The school has
finished when its leader approves (`school_processed_on`); a return by the bureau
reopens it. A change is on time / late by that date, and open-past-deadline while
the school has not finished after the deadline.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import g, has_request_context
from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from aid.audit.service import record
from aid.auth.models import User
from aid.changes.calendar import get_calendar
from aid.changes.evidence import store_evidence, validate_evidence
from aid.changes.models import CHANGE_KINDS, StatusChange
from aid.changes.workflow import (CHANGE_WORKFLOW, FINAL_STATES, OPEN_STATES, RECEIVER_ACTIONS,
                                  RECEIVER_STATES)
from aid.core.errors import InvalidValue
from aid.core.workdays import MAX_N, CalendarUnavailable, WorkdayCalendar
from aid.extensions import db
from aid.org.models import School
from aid.scoping import school_ids_select, scope
from aid.settings import get_setting
from aid.students.models import SchoolClass, Student
from aid.timeutil import local_today, utcnow
from aid.workflow import TransitionError, apply_transition

# register status each kind leaves the student in (transfer: 转出 at the old school, then moved)
STATUS_AFTER = {"suspend": "休学", "military": "休学", "resume": "在籍", "withdraw": "退学"}
HOLD_KINDS = ("suspend", "military", "withdraw", "transfer")
CLASS_KINDS = ("repeat", "switch_class")
ENDED = ("退学", "转出", "毕业", "结业")
MAX_REASON = 1000


# --- visibility ---------------------------------------------------------------------------

def visible_changes_select(user):
    """Changes the user may see: those of schools in the jurisdiction, plus transfers into
    a school in the jurisdiction once they reach the receiving school (so the receiving
    school and its bureau see them). Students see their own."""
    stmt = select(StatusChange)
    if user.role == "student":
        return stmt.where(StatusChange.student_id == (user.student_id or -1)) if user.student_id else stmt.where(false())
    schools = school_ids_select(user)
    incoming = and_(StatusChange.kind == "transfer", StatusChange.target_school_id.in_(schools),
                    StatusChange.state.in_(RECEIVER_STATES))
    return stmt.where(or_(StatusChange.school_id.in_(schools), incoming))


def get_visible_change_or_404(change_id, user) -> StatusChange:
    from flask import abort

    try:
        change_id = int(change_id)
    except (TypeError, ValueError):
        abort(404)
    change = db.session.execute(
        visible_changes_select(user).where(StatusChange.id == change_id)).scalar_one_or_none()
    if change is None:
        abort(404)
    return change


def find_student(user, register_no: str) -> Student:
    register_no = (register_no or "").strip()
    if not register_no:
        raise InvalidValue("请填写学生的学籍号")
    student = db.session.execute(
        scope(select(Student).where(Student.register_no == register_no), Student, user)).scalars().first()
    if student is None:
        raise InvalidValue(f"您的管辖范围内没有学籍号为“{register_no}”的学生")
    return student


# --- recording ----------------------------------------------------------------------------

@dataclass
class NewChange:
    kind: str
    happened_on: date | None
    reason: str
    target_school_id: int | None = None
    target_class_id: int | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list)


def _validate(user, student: Student, data: NewChange, today: date, *, exclude_id: int | None = None) -> None:
    if data.kind not in CHANGE_KINDS:
        raise InvalidValue("请选择异动类型")
    if student.school_id not in set(db.session.execute(school_ids_select(user)).scalars()):
        raise InvalidValue("该学生不在您的管辖范围内")
    if data.happened_on is None:
        raise InvalidValue("请填写异动发生日期")
    if data.happened_on > today:
        raise InvalidValue(f"异动发生日期（{data.happened_on.isoformat()}）不能晚于今天")
    if data.happened_on < student.enrolment_date:
        raise InvalidValue(f"异动发生日期（{data.happened_on.isoformat()}）不能早于该生入学日期"
                           f"（{student.enrolment_date.isoformat()}）")
    reason = (data.reason or "").strip()
    if not reason:
        raise InvalidValue("请填写异动原因")
    if len(reason) > MAX_REASON:
        raise InvalidValue(f"异动原因不能超过{MAX_REASON}字")
    if student.status in ENDED:
        raise InvalidValue(f"该学生学籍状态为“{student.status}”，不能再办理学籍异动")
    if data.kind == "resume" and student.status != "休学":
        raise InvalidValue("该学生当前不是休学状态，不能办理复学")
    if data.kind in ("suspend", "military") and student.status != "在籍":
        raise InvalidValue(f"该学生当前学籍状态为“{student.status}”，只有在籍学生才能办理{CHANGE_KINDS[data.kind]}")
    if data.kind in ("transfer", "repeat", "switch_class") and student.status != "在籍":
        raise InvalidValue(f"该学生当前学籍状态为“{student.status}”，请先办理复学")
    open_stmt = select(StatusChange.id).where(StatusChange.student_id == student.id,
                                              StatusChange.state.in_(OPEN_STATES))
    if exclude_id is not None:
        open_stmt = open_stmt.where(StatusChange.id != exclude_id)
    if db.session.execute(open_stmt.limit(1)).first():
        raise InvalidValue("该学生已有尚未办结的学籍异动，请先办结或撤销后再登记")
    if data.kind == "transfer":
        if not data.target_school_id:
            raise InvalidValue("转学请选择转入学校")
        if data.target_school_id == student.school_id:
            raise InvalidValue("转入学校不能与原学校相同")
        target = db.session.get(School, data.target_school_id)
        if target is None or not target.active:
            raise InvalidValue("转入学校不存在或已停用")
    elif data.target_school_id:
        raise InvalidValue("只有转学需要选择转入学校")
    if data.kind in CLASS_KINDS:
        cls = db.session.get(SchoolClass, data.target_class_id) if data.target_class_id else None
        if cls is None or cls.school_id != student.school_id:
            raise InvalidValue(f"{CHANGE_KINDS[data.kind]}请选择本校的新班级")
        if cls.id == student.class_id:
            raise InvalidValue("新班级不能与现在的班级相同")
        if cls.study_mode != student.study_mode:
            raise InvalidValue("新班级的学习形式（全日制/非全日制）与该生不同")
        current = student.school_class
        if data.kind == "repeat" and current is not None and cls.intake_date <= current.intake_date:
            raise InvalidValue("留级应转入入学年份更晚的班级")
    elif data.kind != "transfer" and data.target_class_id:
        raise InvalidValue(f"{CHANGE_KINDS[data.kind]}不需要选择新班级")
    for name, content in data.files:
        validate_evidence(name, content)


def record_change(user, student: Student, data: NewChange, *, today: date | None = None) -> StatusChange:
    """The school officer records a change (with its evidence files); raises InvalidValue."""
    today = today or local_today()
    if user.role != "school_officer":
        raise InvalidValue("只有学校经办人员可以登记学籍异动")
    _validate(user, student, data, today)
    change = StatusChange(school_id=student.school_id, student_id=student.id, kind=data.kind,
                          happened_on=data.happened_on, reason=data.reason.strip(),
                          target_school_id=data.target_school_id if data.kind == "transfer" else None,
                          target_class_id=data.target_class_id if data.kind in CLASS_KINDS else None,
                          from_class_id=student.class_id, status_before=student.status, state="new",
                          recorded_by=user.id, recorded_at=utcnow())
    change.deadline = stored_deadline(change.happened_on)
    db.session.add(change)
    db.session.flush()
    record("create", change, user=user, after=change.audit_view(),
           summary=f"登记学籍异动：{student.name} {change.kind_label}")
    apply_transition(CHANGE_WORKFLOW, change, "record", user)
    for name, content in data.files:
        store_evidence(change, name, content, user)
    return change


def add_evidence(user, change: StatusChange, files: Iterable[tuple[str, bytes]]) -> int:
    if user.role != "school_officer" or user.school_id != change.school_id:
        raise InvalidValue("只有登记学校的经办人员可以补充证明材料")
    if change.state not in ("recorded", "returned"):
        raise InvalidValue("该异动已进入审批，不能再补充证明材料")
    files = list(files)
    if not files:
        raise InvalidValue("请选择要上传的文件")
    for name, content in files:
        validate_evidence(name, content)
    for name, content in files:
        store_evidence(change, name, content, user)
    return len(files)


# --- workflow -----------------------------------------------------------------------------

@dataclass
class StepRow:
    at: object
    label: str
    who: str
    role_label: str
    from_label: str
    to_label: str
    reason: str
    school: str


def step_rows(change: StatusChange) -> list[StepRow]:
    """The workflow steps of a change, ready for screen and paper."""
    from aid.auth.models import ROLES
    from aid.workflow import steps_for

    rows = []
    for s in steps_for(CHANGE_WORKFLOW, change.id):
        actor = db.session.get(User, s.user_id) if s.user_id else None
        school = actor.school.name if actor is not None and actor.school is not None else (
            actor.authority.name if actor is not None and actor.authority is not None else "")
        rows.append(StepRow(s.at, CHANGE_WORKFLOW.get(s.action).label, actor.display_name if actor else "—",
                            ROLES.get(s.role, s.role), CHANGE_WORKFLOW.state_label(s.from_state),
                            CHANGE_WORKFLOW.state_label(s.to_state), s.reason, school))
    return rows


def action_for(change: StatusChange, action: str) -> str:
    """The bureau's "confirm" becomes the handshake step for a transfer."""
    if action == "confirm" and change.is_transfer:
        return "confirm_transfer"
    if action == "confirm_transfer" and not change.is_transfer:
        return "confirm"
    return action


def _own_school_ids(user) -> set[int]:
    """The user's school ids, once per request (queues ask for every row)."""
    key = f"_aid_change_schools_{user.id}"
    if has_request_context() and key in g:
        return g.get(key)
    ids = set(db.session.execute(school_ids_select(user)).scalars())
    if has_request_context():
        setattr(g, key, ids)
    return ids


def available_actions(change: StatusChange, user) -> list:
    """Transitions the user may offer on this change (jurisdiction side included)."""
    own = _own_school_ids(user)
    result = []
    for t in CHANGE_WORKFLOW.available(change, user):
        if t.action == "record" or action_for(change, t.action) != t.action:
            continue
        side = change.target_school_id if t.action in RECEIVER_ACTIONS else change.school_id
        if t.action in RECEIVER_ACTIONS and not change.is_transfer:
            continue
        if side in own:
            result.append(t)
    return result


def transition(user, change: StatusChange, action: str, *, reason: str = "", expected_version: int | None = None,
               target_class_id: int | None = None, today: date | None = None,
               resubmit: NewChange | None = None) -> None:
    """Apply one workflow step and, on the final one, its effects. Raises TransitionError/InvalidValue."""
    today = today or local_today()
    action = action_for(change, action)
    t = CHANGE_WORKFLOW.get(action)
    if action == "record":
        raise TransitionError("未知操作：record")
    if action in RECEIVER_ACTIONS and not change.is_transfer:
        raise TransitionError(f"只有转学才需要“{t.label}”")
    school_id = change.target_school_id if action in RECEIVER_ACTIONS else change.school_id
    # optimistic locking on the version the actor saw, checked before anything is touched
    if expected_version is not None and change.version != expected_version:
        raise TransitionError("该记录已被他人处理，请刷新后重试")
    if action == "resubmit" and resubmit is not None and change.state == "returned":
        _revise(user, change, resubmit, today)
    if action == "accept":
        cls = db.session.get(SchoolClass, target_class_id) if target_class_id else None
        if cls is None or cls.school_id != change.target_school_id:
            raise InvalidValue("接收转学请选择本校的转入班级")
        if cls.study_mode != change.student.study_mode:
            raise InvalidValue("转入班级的学习形式（全日制/非全日制）与该生不同")
    apply_transition(CHANGE_WORKFLOW, change, action, user, reason=reason, school_id=school_id)
    if action == "accept":
        change.target_class_id = target_class_id
    if action == "approve_school":
        change.school_processed_on = today
    elif action == "return_by_bureau":
        change.school_processed_on = None
    if change.state == "approved":
        change.completed_at = utcnow()
        apply_effects(change, user)
    db.session.flush()


def _revise(user, change: StatusChange, data: NewChange, today: date) -> None:
    """The officer corrects a returned change before sending it again."""
    data.kind = change.kind
    data.target_school_id = data.target_school_id if change.is_transfer else None
    if change.student.status != change.status_before:
        raise InvalidValue("该学生的学籍状态已变化，请撤销本异动后重新登记")
    _validate(user, change.student, data, today, exclude_id=change.id)
    before = change.audit_view()
    change.happened_on, change.reason = data.happened_on, data.reason.strip()
    change.deadline = stored_deadline(change.happened_on)
    if change.is_transfer:
        change.target_school_id = data.target_school_id
    if change.kind in CLASS_KINDS:
        change.target_class_id = data.target_class_id
    for name, content in data.files:
        store_evidence(change, name, content, user)
    record("update", change, user=user, before=before, after=change.audit_view(), summary="修改退回的学籍异动")


def bulk_transition(user, ids: list[int], action: str, *, today: date | None = None) -> tuple[int, list[str]]:
    """Approve (leader) or confirm (bureau) several changes; each in its own savepoint.
    Returns (done, [message per refused item])."""
    if action not in ("approve_school", "confirm"):
        raise InvalidValue("批量操作只支持审批同意和确认")
    if not ids:
        raise InvalidValue("请先勾选要处理的异动")
    done, refused = 0, []
    for change_id in ids[:200]:
        change = db.session.execute(
            visible_changes_select(user).where(StatusChange.id == change_id)).scalar_one_or_none()
        if change is None:
            refused.append(f"#{change_id}：记录不存在或不在您的管辖范围内")
            continue
        savepoint = db.session.begin_nested()
        try:
            transition(user, change, action, today=today)
        except (TransitionError, InvalidValue) as exc:
            savepoint.rollback()
            refused.append(f"{change.student.name}（{change.kind_label}）：{exc}")
        else:
            savepoint.commit()
            done += 1
    return done, refused


def apply_effects(change: StatusChange, user) -> None:
    """The approved change updates the student's register record (audited)."""
    student = change.student
    before = student.audit_view()
    before["school_id"] = student.school_id
    if change.kind in STATUS_AFTER:
        student.status = STATUS_AFTER[change.kind]
    elif change.kind in CLASS_KINDS:
        student.class_id = change.target_class_id
    elif change.kind == "transfer":
        clash = db.session.execute(select(Student.id).where(
            Student.school_id == change.target_school_id, Student.register_no == student.register_no,
            Student.id != student.id)).first()
        if clash:
            raise InvalidValue(f"转入学校已有学籍号为“{student.register_no}”的学生，请核实后再接收")
        student.status = "转出"
        record("status_change.transfer_out", student, user=user, school_id=change.school_id,
               before={"status": before["status"]}, after={"status": "转出"},
               summary=f"{student.name} 从{change.school.name}转出")
        student.school_id = change.target_school_id
        student.class_id = change.target_class_id
        student.status = "在籍"
        for account in db.session.execute(select(User).where(User.student_id == student.id)).scalars():
            account.school_id = change.target_school_id
    db.session.flush()
    after = student.audit_view()
    after["school_id"] = student.school_id
    changed = {k for k in after if before.get(k) != after.get(k)}
    record("update", student, user=user, school_id=change.school_id,
           before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
           summary=f"学籍异动生效：{student.name} {change.kind_label}")


# --- deadlines and timeliness -------------------------------------------------------------

def deadline_workdays() -> int:
    key = "_aid_change_deadline_n"
    if has_request_context() and key in g:
        return g.get(key)
    n = int(get_setting("status_change_deadline_workdays"))
    if has_request_context():
        setattr(g, key, n)
    return n


def stored_deadline(happened_on: date) -> date | None:
    """The deadline kept on the record for SQL queries (supervision's red flags)."""
    try:
        return get_calendar().deadline_after(happened_on, deadline_workdays())
    except CalendarUnavailable:
        return None


@dataclass
class Timeliness:
    deadline: date | None
    category: str  # on_time | late | open | open_overdue | closed | unknown
    label: str
    error: str = ""

    @property
    def overdue(self) -> bool:
        return self.category in ("late", "open_overdue")


def timeliness(change: StatusChange, *, today: date | None = None, cal: WorkdayCalendar | None = None,
               n: int | None = None) -> Timeliness:
    today = today or local_today()
    cal = cal or get_calendar()
    n = n or deadline_workdays()
    try:
        deadline = cal.deadline_after(change.happened_on, n)
    except CalendarUnavailable as exc:
        return Timeliness(None, "unknown", "无法计算办理期限", str(exc))
    processed = change.school_processed_on
    if processed is not None:
        if processed <= deadline:
            return Timeliness(deadline, "on_time", "按时办理")
        try:
            late_by = cal.workdays_between(deadline, processed)
        except CalendarUnavailable as exc:
            return Timeliness(deadline, "late", "逾期办理", str(exc))
        return Timeliness(deadline, "late", f"逾期办理（超期{late_by}个工作日）")
    if change.state in FINAL_STATES:
        return Timeliness(deadline, "closed", "已撤销" if change.state == "cancelled" else "已办结")
    try:
        status = cal.status(deadline, today)
    except CalendarUnavailable as exc:
        return Timeliness(deadline, "open_overdue" if today > deadline else "open", "无法计算剩余天数", str(exc))
    return Timeliness(deadline, "open_overdue" if status.overdue else "open", status.label)


@dataclass
class SchoolTimeliness:
    school_id: int
    school_name: str
    on_time: int = 0
    late: int = 0
    open: int = 0
    open_overdue: int = 0
    unknown: int = 0

    @property
    def overdue(self) -> int:
        return self.late + self.open_overdue


def deadlines_after(cal: WorkdayCalendar, days: Iterable[date], n: int) -> dict[date, date | None]:
    """cal.deadline_after(day, n) for many event days (None where the calendar lacks a year), in
    one walk over the calendar instead of n working days per day: the working days found after
    one day serve the next ones (a bureau's few hundred days: ≈ 200 days looked up, not 1,600)."""
    if n < 1:
        raise ValueError(f"工作日天数必须在 1 到 {MAX_N} 之间，收到的是 {n}")
    out: dict[date, date | None] = {}
    found: list[date] = []  # working days after the current day, ascending
    cursor: date | None = None  # the last day looked up
    for day in sorted(set(days)):
        if cursor is None or cursor < day:
            found, cursor = [], day
        else:
            found = found[bisect_right(found, day):]
        try:
            while len(found) < n:
                cursor += timedelta(days=1)
                if cal.is_workday(cursor):
                    found.append(cursor)
        except CalendarUnavailable:
            cursor -= timedelta(days=1)  # look the missing day up again for the next event day
            out[day] = None
            continue
        out[day] = found[n - 1]
    return out


def school_timeliness(user, *, today: date | None = None) -> list[SchoolTimeliness]:
    """Per school in the jurisdiction: on time, late, open, open past the deadline —
    schools with open overdue changes first, then late ones. Reads only the four columns
    it needs and computes each distinct date's deadline once."""
    today = today or local_today()
    cal, n = get_calendar(), deadline_workdays()
    schools = db.session.execute(scope(select(School.id, School.name), School, user).order_by(School.code)).all()
    rows = {sid: SchoolTimeliness(sid, name) for sid, name in schools}
    changes = db.session.execute(
        select(StatusChange.school_id, StatusChange.happened_on, StatusChange.state, StatusChange.school_processed_on)
        .where(StatusChange.school_id.in_(school_ids_select(user)),
               StatusChange.state.notin_(("new", "cancelled")))).all()
    deadlines = deadlines_after(cal, {c.happened_on for c in changes}, n)
    for school_id, happened_on, state, processed in changes:
        row = rows.get(school_id)
        if row is None:
            continue
        deadline = deadlines[happened_on]
        if deadline is None:
            row.unknown += 1
        elif processed is not None:
            if processed <= deadline:
                row.on_time += 1
            else:
                row.late += 1
        elif state in FINAL_STATES:
            continue
        elif today > deadline:
            row.open_overdue += 1
        else:
            row.open += 1
    return sorted(rows.values(), key=lambda r: (-r.open_overdue, -r.late, r.school_name))


def overdue_changes(user, *, today: date | None = None) -> list[tuple[StatusChange, Timeliness]]:
    """Changes of the user's schools processed late or open past the deadline, oldest first
    (for drill-downs such as the supervision area's red flags)."""
    today = today or local_today()
    cal, n = get_calendar(), deadline_workdays()
    rows = db.session.execute(
        select(StatusChange).where(StatusChange.school_id.in_(school_ids_select(user)),
                                   StatusChange.state.notin_(("new", "cancelled")))
        .options(selectinload(StatusChange.student), selectinload(StatusChange.school))
        .order_by(StatusChange.happened_on, StatusChange.id)).scalars()
    result = []
    for change in rows:
        t = timeliness(change, today=today, cal=cal, n=n)
        if t.overdue:
            result.append((change, t))
    return result


# --- queues -------------------------------------------------------------------------------

def todo_condition(user):
    """Changes waiting for this user's role."""
    schools = school_ids_select(user)
    receiving = and_(StatusChange.state == "awaiting_receiver", StatusChange.target_school_id.in_(schools))
    if user.role == "school_officer":
        return or_(and_(StatusChange.state == "returned", StatusChange.school_id.in_(schools)), receiving)
    if user.role == "school_leader":
        return or_(and_(StatusChange.state == "recorded", StatusChange.school_id.in_(schools)), receiving)
    if user.role == "bureau_officer":
        return and_(StatusChange.state == "school_approved", StatusChange.school_id.in_(schools))
    return false()


def queue_select(user, *, kind: str = "", state: str = "", school_id: int | None = None, q: str = "",
                 todo: bool = False):
    stmt = visible_changes_select(user).join(Student, Student.id == StatusChange.student_id).options(
        contains_eager(StatusChange.student), selectinload(StatusChange.school),
        selectinload(StatusChange.target_school))
    stmt = stmt.where(StatusChange.state != "new")
    if todo:
        stmt = stmt.where(todo_condition(user))
    if kind:
        stmt = stmt.where(StatusChange.kind == kind)
    if state:
        stmt = stmt.where(StatusChange.state == state)
    if school_id:
        stmt = stmt.where(or_(StatusChange.school_id == school_id, StatusChange.target_school_id == school_id))
    if q:
        stmt = stmt.where(or_(Student.name.contains(q), Student.register_no.contains(q)))
    return stmt.order_by(StatusChange.happened_on, StatusChange.id)


def todo_count(user) -> int:
    from sqlalchemy import func

    return db.session.scalar(
        select(func.count()).select_from(visible_changes_select(user).where(todo_condition(user)).subquery()))


def payments_after_change(change: StatusChange) -> list:
    """What was already paid to the student for periods after the change, for recovery.

    The payments table belongs to the funds area. Protocol: `aid.funds.models.PaymentLine`
    with `student_id`, `amount_fen` and `period_start` (and optionally `period_end`, and
    `paid_at` — only lines with a payment date count when it exists). Until that module
    exists, nothing has been paid and the list is empty.
    """
    if change.kind not in HOLD_KINDS or change.state != "approved":
        return []
    from aid import area_module

    funds_models = area_module("funds", "models")  # (only this checkout's funds area)
    if funds_models is None:
        return []
    line = getattr(funds_models, "PaymentLine", None)
    if line is None or not hasattr(line, "student_id") or not hasattr(line, "period_start"):
        return []
    period = getattr(line, "period_end", None)
    cond = period > change.happened_on if period is not None else line.period_start >= change.happened_on
    stmt = select(line).where(line.student_id == change.student_id, cond)
    if hasattr(line, "paid_at"):
        stmt = stmt.where(line.paid_at.isnot(None))
    return list(db.session.execute(stmt.order_by(line.period_start)).scalars())
