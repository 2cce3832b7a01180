"""Notice rules as plain functions: what may be noticed, the posting period on
the working-day calendar, posting, objections and the end of a notice.

The one list of fields a notice may show is NOTICE_FIELDS: items snapshot those
values (and only those) and every template and PDF renders the snapshot
(教财〔2018〕16号: 公示时严禁涉及学生个人敏感信息及隐私).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from aid import area_module
from aid.applications.models import Application
from aid.applications.workflow import APPLICATION_WORKFLOW
from aid.audit.service import record
from aid.core.workdays import CalendarUnavailable, WorkdayCalendar
from aid.extensions import db
from aid.hardship.models import HardshipApplication
from aid.hardship.workflow import HARDSHIP_WORKFLOW
from aid.notices.models import Notice, NoticeItem, Objection
from aid.notices.workflow import NOTICE_WORKFLOW
from aid.org.models import School
from aid.programmes.eligibility import grade_label
from aid.programmes.models import Programme
from aid.programmes.semesters import Semester, year_of_study
from aid.settings import get_setting
from aid.timeutil import format_date_cn, local_today, utcnow
from aid.workflow import TransitionError, apply_transition

# The only fields a notice shows, in display order. NoticeItem has one column per key.
NOTICE_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "姓名"),
    ("school", "学校"),
    ("major_class", "专业/班级"),
    ("year", "年级"),
    ("programme", "资助项目"),
    ("level", "等次"),
)
NOTICE_FIELD_KEYS = tuple(key for key, _label in NOTICE_FIELDS)

NOTICE_KINDS = {
    "hardship": "家庭经济困难学生认定结果",
    "grant": "助学金受助学生名单",
    "scholarship": "国家奖学金推荐名单",
}
# the policy basis cited on the printed notice
NOTICE_BASIS = {
    "hardship": "《教育部等六部门关于做好家庭经济困难学生认定工作的指导意见》（教财〔2018〕16号）",
    "grant": "《学生资助资金管理办法》（财教〔2021〕310号）",
    "scholarship": "《学生资助资金管理办法》（财教〔2021〕310号）",
}
GRANT_PROGRAMME_KINDS = ("national_grant", "local")
SCHOLARSHIP_PROGRAMME_KINDS = ("national_scholarship",)
HARDSHIP_PROGRAMME_LABEL = "家庭经济困难学生认定"
NOT_DIFFICULT = "不困难"
ACTIVE_STATES = ("draft", "submitted", "approved", "posted")
OBJECTION_CHANNELS = ("来访", "电话", "信函", "电子邮件", "网络留言", "其他")
MAX_ITEMS = 2000
MAX_TEXT = 2000


class NoticeError(Exception):
    """Refused notice operation; str() is a Chinese message for the user."""


# --- calendar and period -----------------------------------------------------------

def notice_calendar():
    """The working-day calendar: the database-backed one once the changes area
    provides it, the official package calendar otherwise."""
    module = area_module("changes", "calendar")
    if module is not None and hasattr(module, "get_calendar"):
        return module.get_calendar()
    return WorkdayCalendar()


def min_workdays() -> int:
    return int(get_setting("notice_min_workdays"))


def earliest_end(first_day: date, n: int | None = None, cal=None) -> date:
    """Last day of a notice of the minimum length posted on `first_day` (counted)."""
    cal = cal or notice_calendar()
    try:
        return cal.period_end_inclusive(first_day, n or min_workdays())
    except CalendarUnavailable as exc:
        raise NoticeError(str(exc)) from exc


def period_workdays(first_day: date, end_day: date, cal=None) -> int:
    """Working days in [first_day, end_day], both counted."""
    cal = cal or notice_calendar()
    return cal.workdays_between(first_day - timedelta(days=1), end_day)


def check_period(first_day: date, end_day: date, n: int | None = None, cal=None) -> int:
    """Refuse an end that is not a working day or a period below the minimum;
    returns the number of working days."""
    if first_day is None or end_day is None:
        raise NoticeError("请填写公示开始日期和结束日期")
    n = n or min_workdays()
    cal = cal or notice_calendar()
    if end_day < first_day:
        raise NoticeError("公示结束日期不能早于开始日期")
    try:
        if not cal.is_workday(end_day):
            raise NoticeError(f"公示结束日期{format_date_cn(end_day)}不是工作日，请选择一个工作日")
        count = period_workdays(first_day, end_day, cal)
        if count < n:
            minimum = cal.period_end_inclusive(first_day, n)
            raise NoticeError(
                f"公示期只有{count}个工作日，少于规定的{n}个工作日："
                f"自{format_date_cn(first_day)}起公示，最早可于{format_date_cn(minimum)}结束")
    except CalendarUnavailable as exc:
        raise NoticeError(str(exc)) from exc
    return count


def default_first_day(today: date | None = None, cal=None) -> date:
    """Today if it is a working day, else the next working day."""
    cal = cal or notice_calendar()
    today = today or local_today()
    try:
        return today if cal.is_workday(today) else cal.add_workdays(today, 1)
    except CalendarUnavailable:
        return today


# --- sources: what awaits notice ------------------------------------------------------

@dataclass(frozen=True)
class SourceKind:
    source_type: str
    model: type
    workflow: object
    awaiting: str


HARDSHIP_SOURCE = SourceKind("hardship", HardshipApplication, HARDSHIP_WORKFLOW, "determined")
APPLICATION_SOURCE = SourceKind("application", Application, APPLICATION_WORKFLOW, "school_approved")
SOURCES = {"hardship": HARDSHIP_SOURCE, "application": APPLICATION_SOURCE}


def source_kind(kind: str) -> SourceKind:
    if kind not in NOTICE_KINDS:
        raise NoticeError("请选择公示类别")
    return HARDSHIP_SOURCE if kind == "hardship" else APPLICATION_SOURCE


def _awaiting_stmt(kind: str, school_id: int, semester: str | None = None):
    src = source_kind(kind)
    model = src.model
    stmt = select(model).where(model.school_id == school_id, model.state == src.awaiting)
    if kind == "hardship":
        stmt = stmt.where(model.level != NOT_DIFFICULT, model.level != "")
    else:
        programme_kinds = GRANT_PROGRAMME_KINDS if kind == "grant" else SCHOLARSHIP_PROGRAMME_KINDS
        stmt = stmt.join(Programme, Programme.id == model.programme_id).where(Programme.kind.in_(programme_kinds))
    if semester:
        stmt = stmt.where(model.semester == semester)
    active = (select(NoticeItem.source_id).join(Notice, Notice.id == NoticeItem.notice_id)
              .where(NoticeItem.source_type == src.source_type, NoticeItem.state == "listed",
                     Notice.state.in_(ACTIVE_STATES), Notice.school_id == school_id))  # a school's items sit on its own notices
    return stmt.where(model.id.not_in(active))


def candidates(user, kind: str, semester: str | None = None) -> list:
    """Items of the user's school awaiting this kind of notice and not on another one."""
    if not user.school_id:
        return []
    from aid.students.models import Student

    src = source_kind(kind)
    stmt = (_awaiting_stmt(kind, user.school_id, semester)
            .join(Student, Student.id == src.model.student_id)
            .order_by(Student.class_id, Student.name_sort, src.model.id))
    return list(db.session.execute(stmt).scalars())


def candidate_count(user, kind: str) -> int:
    """How many items `candidates` would list, counted in the database (the home page's badge)."""
    if not user.school_id:
        return 0
    src = source_kind(kind)
    stmt = _awaiting_stmt(kind, user.school_id).with_only_columns(func.count(src.model.id)).order_by(None)
    return db.session.scalar(stmt) or 0


def snapshot(source, kind: str) -> dict[str, str]:
    """The allowed fields of one source record — nothing else leaves this function."""
    student = source.student
    cls = student.school_class
    try:
        semester = Semester.parse(source.semester)
    except ValueError:
        semester = None
    year = ""
    if cls is not None and semester is not None:
        n = year_of_study(cls.intake_date, semester)
        year = grade_label(n) if n else ""
    if kind == "hardship":
        programme, level = HARDSHIP_PROGRAMME_LABEL, source.level
    else:
        programme, level = source.programme.name, source.level
    values = {
        "name": student.name,
        "school": student.school.name,
        "major_class": f"{cls.major.name}／{cls.name}" if cls is not None else "",
        "year": year,
        "programme": programme,
        "level": level or "",
    }
    assert tuple(values) == NOTICE_FIELD_KEYS
    return values


def apply_snapshot(item: NoticeItem, values: dict[str, str]) -> None:
    for key in NOTICE_FIELD_KEYS:
        setattr(item, key, (values.get(key) or "")[:200])


def item_values(item: NoticeItem) -> list[str]:
    return [getattr(item, key) for key in NOTICE_FIELD_KEYS]


def load_source(item: NoticeItem):
    return db.session.get(SOURCES[item.source_type].model, item.source_id)


# --- creating and approving ----------------------------------------------------------

def default_title(school: School, kind: str, semester: str) -> str:
    try:
        label = Semester.parse(semester).label
    except ValueError:
        label = ""
    return f"{school.name}{label}{NOTICE_KINDS[kind]}公示"


def _parse_semester(semester: str) -> str:
    try:
        return str(Semester.parse(semester))
    except ValueError as exc:
        raise NoticeError("请选择学期") from exc


def create_notice(user, *, kind: str, semester: str, source_ids, first_day: date, end_day: date,
                  title: str = "", contact: str = "", today: date | None = None) -> Notice:
    """A draft notice of the user's school listing the chosen items."""
    if user.role != "school_officer" or not user.school_id:
        raise NoticeError("只有学校经办人员可以新建公示")
    src = source_kind(kind)
    semester = _parse_semester(semester)
    today = today or local_today()
    ids = []
    for raw in source_ids or ():
        try:
            value = int(raw)
        except (TypeError, ValueError) as exc:
            raise NoticeError("所选名单包含无效的记录编号") from exc
        if value not in ids:
            ids.append(value)
    if not ids:
        raise NoticeError("请至少选择一名列入公示的学生")
    if len(ids) > MAX_ITEMS:
        raise NoticeError(f"一份公示最多列入{MAX_ITEMS}名学生")
    if first_day is not None and first_day < today:
        raise NoticeError("公示开始日期不能早于今天")
    workdays = check_period(first_day, end_day)
    title = (title or "").strip()
    contact = (contact or "").strip()
    if len(title) > 200 or len(contact) > 200:
        raise NoticeError("标题和联系方式均不能超过200字")

    rows = {r.id: r for r in db.session.execute(select(src.model).where(src.model.id.in_(ids))).scalars()}
    allowed = {r.id for r in db.session.execute(_awaiting_stmt(kind, user.school_id, semester)).scalars()}
    for position, source_id in enumerate(ids, start=1):
        row = rows.get(source_id)
        if row is None:
            raise NoticeError(f"所选第{position}条记录不存在")
        if row.school_id != user.school_id:
            raise NoticeError(f"所选第{position}条记录不属于本校，不能列入本校公示")
        if source_id not in allowed:
            raise NoticeError(f"{row.student.name}不在本类公示的待公示名单中（状态不符、学期不符或已列入其他公示）")

    school = db.session.get(School, user.school_id)
    notice = Notice(school_id=school.id, kind=kind, semester=semester,
                    title=title or default_title(school, kind, semester),
                    contact=contact or _default_contact(school), state="draft",
                    first_day=first_day, end_day=end_day, workdays=workdays, created_by=user.id)
    db.session.add(notice)
    db.session.flush()
    for position, source_id in enumerate(ids, start=1):
        item = NoticeItem(notice_id=notice.id, school_id=school.id, source_type=src.source_type,
                          source_id=source_id, position=position)
        apply_snapshot(item, snapshot(rows[source_id], kind))
        db.session.add(item)
    db.session.flush()
    record("notice.create", notice, user=user,
           after={"kind": kind, "semester": semester, "items": len(ids), "first_day": first_day,
                  "end_day": end_day, "workdays": workdays},
           summary=f"新建公示：{notice.title}（{len(ids)}人）")
    return notice


def _default_contact(school: School) -> str:
    phone = f"，电话 {school.contact_phone}" if school.contact_phone else ""
    return f"{school.name}学生资助管理部门{phone}"


def update_period(user, notice: Notice, first_day: date, end_day: date, today: date | None = None) -> None:
    """Change the period of a draft."""
    if notice.state != "draft":
        raise NoticeError("只有草稿状态的公示可以修改公示期")
    today = today or local_today()
    if first_day is not None and first_day < today:
        raise NoticeError("公示开始日期不能早于今天")
    workdays = check_period(first_day, end_day)
    before = {"first_day": notice.first_day, "end_day": notice.end_day}
    notice.first_day, notice.end_day, notice.workdays = first_day, end_day, workdays
    record("notice.update", notice, user=user, before=before,
           after={"first_day": first_day, "end_day": end_day}, summary="修改公示期")


def _transition(user, notice: Notice, action: str, reason: str = "", expected_version: int | None = None):
    try:
        return apply_transition(NOTICE_WORKFLOW, notice, action, user, reason=reason,
                                expected_version=expected_version)
    except TransitionError as exc:
        raise NoticeError(str(exc)) from exc


def submit_notice(user, notice: Notice, expected_version: int | None = None) -> None:
    if not any(i.state == "listed" for i in notice.items):
        raise NoticeError("公示名单为空，不能提交")
    _transition(user, notice, "submit", expected_version=expected_version)


def approve_notice(user, notice: Notice, expected_version: int | None = None) -> None:
    if notice.created_by == user.id:
        raise NoticeError("按照“谁采集、谁负责；谁报送、谁负责；谁审核、谁负责”的原则，公示的编制人不能审批该公示")
    _transition(user, notice, "approve", expected_version=expected_version)
    notice.approved_by = user.id


def return_notice(user, notice: Notice, reason: str, expected_version: int | None = None) -> None:
    _transition(user, notice, "return", reason=reason, expected_version=expected_version)


def withdraw_notice(user, notice: Notice, reason: str, expected_version: int | None = None) -> None:
    _transition(user, notice, "withdraw", reason=reason, expected_version=expected_version)


# --- posting -------------------------------------------------------------------------

def post_notice(user, notice: Notice, today: date | None = None, expected_version: int | None = None,
                render: bool = True) -> list[str]:
    """Post an approved notice: items go on notice, the PDF is rendered once and
    stored. Posting later than planned starts the period today and, if needed,
    extends it to the minimum. Returns notes for the user."""
    if notice.state != "approved":
        raise NoticeError("该公示尚未经学校负责人审批同意，不能发布")
    if expected_version is not None and notice.version != expected_version:
        raise NoticeError("该公示已被他人处理，请刷新后重试")
    today = today or local_today()
    notes = []
    if notice.first_day < today:
        notice.first_day = today
        notes.append(f"公示开始日期已调整为发布当日{format_date_cn(today)}")
    cal = notice_calendar()
    try:
        count = period_workdays(notice.first_day, notice.end_day, cal)
        n = min_workdays()
        if count < n:
            notice.end_day = cal.period_end_inclusive(notice.first_day, n)
            count = n
            notes.append(f"为保证不少于{n}个工作日，公示结束日期顺延至{format_date_cn(notice.end_day)}")
    except CalendarUnavailable as exc:
        raise NoticeError(str(exc)) from exc
    notice.workdays = count
    listed = [i for i in notice.items if i.state == "listed"]
    if not listed:
        raise NoticeError("公示名单为空，不能发布")
    for item in listed:
        source = load_source(item)
        try:
            apply_transition(SOURCES[item.source_type].workflow, source, "post_notice", user)
        except TransitionError as exc:
            raise NoticeError(f"{item.name}：{exc}") from exc
        apply_snapshot(item, snapshot(source, notice.kind))
    _transition(user, notice, "post")
    notice.posted_at = utcnow()
    db.session.flush()
    if render:
        store_notice_pdf(notice, user)
    return notes


def store_notice_pdf(notice: Notice, user=None):
    from aid.printing.service import store_document

    data = render_notice_pdf(notice)
    doc = store_document(data, kind="notice", title=notice.title, school_id=notice.school_id,
                         object_type="notices", object_id=notice.id, created_by=getattr(user, "id", None))
    notice.document_id = doc.id
    record("notice.document", notice, user=user, after={"document_id": doc.id, "sha256": doc.sha256},
           summary=f"公示文件已生成并存档（SHA-256 {doc.sha256[:16]}…）")
    return doc


def notice_html(notice: Notice, draft: bool = False) -> str:
    from flask import current_app, has_request_context

    from aid.printing.service import render_html

    if not has_request_context():  # the demo and the CLI render without a request
        with current_app.test_request_context():
            return notice_html(notice, draft)
    return render_html("notices/notice_pdf.html", notice=notice, fields=NOTICE_FIELDS,
                       items=[i for i in notice.items if i.state == "listed"],
                       kind_label=NOTICE_KINDS.get(notice.kind, ""), basis=NOTICE_BASIS.get(notice.kind, ""),
                       draft=draft)


def render_notice_pdf(notice: Notice, draft: bool = False) -> bytes:
    from aid.printing.service import html_to_pdf

    return html_to_pdf(notice_html(notice, draft=draft))


# --- visibility and the end of a notice ---------------------------------------------

def is_public(notice: Notice, today: date | None = None) -> bool:
    today = today or local_today()
    return notice.state == "posted" and notice.first_day <= today <= notice.end_day


def public_stmt(today: date | None = None):
    today = today or local_today()
    return select(Notice).where(Notice.state == "posted", Notice.first_day <= today, Notice.end_day >= today)


def open_objections(notice: Notice) -> int:
    return db.session.scalar(select(func.count()).select_from(Objection)
                             .where(Objection.notice_id == notice.id, Objection.state == "open")) or 0


@dataclass(frozen=True)
class SystemActor:
    """Who ends a notice when its period is over: the system, acting for the school."""

    school_id: int
    id: None = None
    username: str = "system"
    display_name: str = "系统（公示期满自动处理）"
    role: str = "school_officer"
    student_id: None = None
    authority_id: None = None


def end_if_due(notice: Notice, today: date | None = None) -> bool:
    """End a posted notice whose period is over and whose objections are all
    resolved; its items move on. Idempotent."""
    today = today or local_today()
    if notice.state != "posted" or today <= notice.end_day or open_objections(notice):
        return False
    actor = SystemActor(school_id=notice.school_id)
    for item in notice.items:
        if item.state != "listed":
            continue
        source = load_source(item)
        if source is not None and source.state == "on_notice":
            apply_transition(SOURCES[item.source_type].workflow, source, "end_notice", actor,
                             reason=f"公示期满（{format_date_cn(notice.end_day)}），无未处理异议")
    apply_transition(NOTICE_WORKFLOW, notice, "end", actor, reason="公示期满，异议均已处理")
    notice.ended_at = utcnow()
    return True


def close_expired(today: date | None = None, school_ids: list[int] | None = None) -> int:
    """End every notice that is due (the `notices close-expired` command)."""
    today = today or local_today()
    stmt = select(Notice).where(Notice.state == "posted", Notice.end_day < today).order_by(Notice.id)
    if school_ids is not None:
        stmt = stmt.where(Notice.school_id.in_(school_ids))
    ended = 0
    for notice in db.session.execute(stmt).scalars().all():
        if end_if_due(notice, today):
            ended += 1
    return ended


# --- objections ------------------------------------------------------------------------

def record_objection(user, notice: Notice, *, item_id: int | None, received_on: date, received_by: str,
                     channel: str, content: str, today: date | None = None) -> Objection:
    today = today or local_today()
    if notice.state != "posted":
        raise NoticeError("该公示不在公示期内，不能登记异议")
    if today > notice.end_day:
        raise NoticeError(f"公示期已于{format_date_cn(notice.end_day)}结束，不能再登记异议")
    if today < notice.first_day:
        raise NoticeError(f"公示将于{format_date_cn(notice.first_day)}开始，开始前不能登记异议")
    if received_on is None or not notice.first_day <= received_on <= today:
        raise NoticeError("异议受理日期必须在公示期内，且不能晚于今天")
    content = (content or "").strip()
    received_by = (received_by or "").strip()
    if not content:
        raise NoticeError("请填写异议内容")
    if len(content) > MAX_TEXT:
        raise NoticeError(f"异议内容不能超过{MAX_TEXT}字")
    if not received_by or len(received_by) > 50:
        raise NoticeError("请填写受理人（不超过50字）")
    if channel not in OBJECTION_CHANNELS:
        raise NoticeError("请选择异议的受理方式")
    item = None
    if item_id:
        item = db.session.get(NoticeItem, item_id)
        if item is None or item.notice_id != notice.id:
            raise NoticeError("所选学生不在该公示名单中")
        if item.state != "listed":
            raise NoticeError(f"{item.name}已撤出公示")
    objection = Objection(notice_id=notice.id, school_id=notice.school_id, item_id=item.id if item else None,
                          received_on=received_on, received_by=received_by, channel=channel, content=content,
                          recorded_by=user.id)
    db.session.add(objection)
    db.session.flush()
    record("notice.objection", objection, user=user,
           after={"notice_id": notice.id, "item": item.name if item else "", "received_on": received_on,
                  "received_by": received_by, "channel": channel, "content": content},
           summary=f"登记公示异议（{channel}）" + (f"：{item.name}" if item else ""))
    return objection


def resolve_objection(user, objection: Objection, *, outcome: str, withdraw_item: bool = False,
                      today: date | None = None) -> None:
    if objection.state != "open":
        raise NoticeError("该异议已处理完毕")
    outcome = (outcome or "").strip()
    if not outcome:
        raise NoticeError("请填写异议处理结果")
    if len(outcome) > MAX_TEXT:
        raise NoticeError(f"处理结果不能超过{MAX_TEXT}字")
    notice = objection.notice
    item = objection.item
    if withdraw_item:
        if item is None:
            raise NoticeError("该异议未针对具体学生，不能撤出学生")
        if item.state != "listed":
            raise NoticeError(f"{item.name}已撤出公示")
        source = load_source(item)
        try:
            apply_transition(SOURCES[item.source_type].workflow, source, "withdraw_from_notice", user,
                             reason=f"公示异议成立：{outcome}"[:1000])
        except TransitionError as exc:
            raise NoticeError(f"{item.name}：{exc}") from exc
        item.state = "withdrawn"
        item.withdrawn_reason = outcome
    objection.state = "resolved"
    objection.outcome = outcome
    objection.item_withdrawn = bool(withdraw_item)
    objection.resolved_by = user.id
    objection.resolved_at = utcnow()
    record("notice.objection_resolve", objection, user=user, before={"state": "open"},
           after={"state": "resolved", "outcome": outcome, "item_withdrawn": bool(withdraw_item)},
           summary="处理公示异议" + (f"，{item.name}撤出公示" if withdraw_item and item else ""))
    end_if_due(notice, today)
