"""Status changes (学籍异动): queues, recording, workflow steps, evidence, the printable
form, timeliness, and the working-day calendar."""
from __future__ import annotations

import calendar as pycalendar
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from aid.access import SCHOOL, STAFF, roles
from aid.auth.forms import EmptyForm
from aid.changes import service
from aid.changes.calendar import declare_year, delete_day, get_calendar, revoke_year, set_day
from aid.changes.evidence import MAX_FILES, evidence_path
from aid.changes.forms import (ActionForm, BulkForm, CalendarDayForm, CalendarYearForm, ChangeForm, EvidenceForm,
                               QueueFilterForm, ResubmitForm)
from aid.changes.holds import hold_for
from aid.changes.models import CHANGE_KINDS, CalendarDay, CalendarYear, ChangeEvidence, StatusChange
from aid.changes.workflow import CHANGE_STATES, CHANGE_WORKFLOW
from aid.core.errors import InvalidValue
from aid.core.workdays import CalendarUnavailable, package_years
from aid.extensions import db
from aid.home.views import register_panel
from aid.htmx import add_trigger, is_htmx, render_htmx
from aid.org.models import School
from aid.printing.service import pdf_response, render_pdf
from aid.scoping import scope
from aid.students.models import SchoolClass
from aid.templating import register_nav
from aid.timeutil import local_today
from aid.workflow import TransitionError

bp = Blueprint("changes", __name__, url_prefix="/changes")
ACTORS = ("school_officer", "school_leader", "bureau_officer")
QUEUE_PAGE_SIZE = 50  # rows per page: each row computes its deadline and actions, so pages, not 200 at once

register_nav("changes.queue", "学籍异动", STAFF)
register_nav("changes.calendar", "工作日历", STAFF)


# --- helpers -----------------------------------------------------------------------------

def _uploads(field) -> list[tuple[str, bytes]]:
    files = [f for f in (field.data or []) if getattr(f, "filename", "")]
    if len(files) > MAX_FILES:
        raise InvalidValue(f"一次最多上传{MAX_FILES}个文件")
    return [(f.filename, f.read()) for f in files]


def _own_classes(school_id: int):
    return db.session.execute(select(SchoolClass).where(SchoolClass.school_id == school_id)
                              .order_by(SchoolClass.intake_date.desc(), SchoolClass.name)).scalars().all()


def _other_schools(exclude_id: int | None):
    stmt = select(School).where(School.active.is_(True)).order_by(School.code)
    if exclude_id:
        stmt = stmt.where(School.id != exclude_id)
    return db.session.execute(stmt).scalars().all()


def _row_context(change: StatusChange, **extra) -> dict:
    return {"c": change, "t": service.timeliness(change), "actions": service.available_actions(change, current_user),
            "states": CHANGE_STATES, "bulk_action": _bulk_action(), **extra}


# --- queue -------------------------------------------------------------------------------

@bp.route("/")
@roles(STAFF)
def queue():
    """Each role's queue of status changes: filter by type, state, school; bulk approve."""
    form = QueueFilterForm(request.args)
    schools = db.session.execute(scope(select(School), School, current_user).order_by(School.code)).scalars().all()
    form.school_id.choices = [(0, "全部学校")] + [(s.id, s.name) for s in schools]
    valid = form.validate()
    filters = {
        "kind": form.kind.data if valid and form.kind.data in CHANGE_KINDS else "",
        "state": form.state.data if valid and form.state.data in CHANGE_STATES else "",
        "school_id": form.school_id.data if valid and form.school_id.data else None,
        "q": (form.q.data or "").strip() if valid else "",
        "todo": bool(form.todo.data) if valid else False,
    }
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.execute(service.queue_select(current_user, **filters).offset((page - 1) * QUEUE_PAGE_SIZE)
                              .limit(QUEUE_PAGE_SIZE + 1)).scalars().all()
    cal, n = get_calendar(), service.deadline_workdays()
    items = [(c, service.timeliness(c, cal=cal, n=n), service.available_actions(c, current_user))
             for c in rows[:QUEUE_PAGE_SIZE]]
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_htmx("changes/queue.html", form=form, items=items, page=page,
                       has_next=len(rows) > QUEUE_PAGE_SIZE, args=args,
                       todo=service.todo_count(current_user), states=CHANGE_STATES, bulk_form=BulkForm(),
                       bulk_action=_bulk_action(), message=None, refused=[])


def _bulk_action() -> str | None:
    return {"school_leader": "approve_school", "bureau_officer": "confirm"}.get(current_user.role)


@bp.route("/todo-count")
@roles(STAFF)
def todo_count():
    """The number of changes waiting for the user (refreshed after each step)."""
    return render_template("changes/_todo_count.html", todo=service.todo_count(current_user))


@bp.route("/bulk", methods=["POST"])
@roles("school_leader", "bureau_officer")
def bulk():
    """Approve (leader) or confirm (bureau) the selected changes."""
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400)
    ids = []
    for raw in request.form.getlist("ids"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    try:
        done, refused = service.bulk_transition(current_user, ids, form.action.data)
    except InvalidValue as exc:
        db.session.rollback()
        done, refused, message = 0, [], str(exc)
        status = 422
    else:
        db.session.commit()
        message = f"已处理 {done} 条" + (f"，{len(refused)} 条未处理" if refused else "")
        status = 200
    if is_htmx():
        resp = _queue_partial_response(message, refused, status)
        return add_trigger(resp, "changes-updated")
    flash(message, "success" if status == 200 and not refused else "warning")
    for line in refused:
        flash(line, "danger")
    return redirect(url_for("changes.queue"))


def _queue_partial_response(message, refused, status):
    from flask import make_response

    rows = db.session.execute(service.queue_select(current_user, todo=True).limit(QUEUE_PAGE_SIZE + 1)).scalars().all()
    cal, n = get_calendar(), service.deadline_workdays()
    items = [(c, service.timeliness(c, cal=cal, n=n), service.available_actions(c, current_user))
             for c in rows[:QUEUE_PAGE_SIZE]]
    html = render_template("changes/_queue.html", items=items, page=1, has_next=len(rows) > QUEUE_PAGE_SIZE,
                           args={"todo": "y"}, states=CHANGE_STATES,
                           bulk_form=BulkForm(), bulk_action=_bulk_action(), message=message, refused=refused)
    return make_response(html, status)


# --- recording ---------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@roles("school_officer")
def new():
    """The school officer records a status change with its evidence files."""
    form = ChangeForm()
    form.target_school_id.choices = [(0, "（不适用）")] + [(s.id, f"{s.code} {s.name}")
                                                        for s in _other_schools(current_user.school_id)]
    form.target_class_id.choices = [(0, "（不适用）")] + [(c.id, c.name) for c in _own_classes(current_user.school_id)]
    if request.method == "GET" and request.args.get("register_no"):
        form.register_no.data = request.args["register_no"][:40]
    error = None
    if form.validate_on_submit():
        try:
            student = service.find_student(current_user, form.register_no.data)
            data = service.NewChange(kind=form.kind.data, happened_on=form.happened_on.data,
                                     reason=form.reason.data, target_school_id=form.target_school_id.data or None,
                                     target_class_id=form.target_class_id.data or None,
                                     files=_uploads(form.files))
            change = service.record_change(current_user, student, data)
        except (InvalidValue, TransitionError) as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(f"已登记{change.kind_label}：{student.name}，待学校负责人审批", "success")
            return redirect(url_for("changes.detail", change_id=change.id))
    status = 422 if (error or form.errors) else 200
    return render_template("changes/new.html", form=form, error=error, today=local_today(),
                           n=service.deadline_workdays()), status


# --- one change --------------------------------------------------------------------------

@bp.route("/<int:change_id>")
@roles(STAFF)
def detail(change_id):
    """A change with its deadline, steps, evidence and the actions the user may take."""
    change = service.get_visible_change_or_404(change_id, current_user)
    return _detail_page(change)


def _detail_page(change, error: str | None = None, status: int = 200, resubmit_form=None):
    actions = service.available_actions(change, current_user)
    resubmit_form = resubmit_form or _resubmit_form(change)
    receiving_classes = [cls for cls in _own_classes(change.target_school_id)
                         if cls.study_mode == change.student.study_mode] if change.is_transfer else []
    steps = service.step_rows(change)
    return render_template(
        "changes/detail.html", c=change, t=service.timeliness(change), actions=actions, steps=steps,
        states=CHANGE_STATES, action_form=ActionForm(), evidence_form=EvidenceForm(), resubmit_form=resubmit_form,
        receiving_classes=receiving_classes, payments=service.payments_after_change(change),
        hold=hold_for(change.student_id, school_id=change.school_id) if change.state == "approved" else None,
        n=service.deadline_workdays(), error=error, max_files=MAX_FILES), status


def _resubmit_form(change, formdata=None):
    form = ResubmitForm(formdata=formdata) if formdata is not None else ResubmitForm(obj=change)
    form.target_school_id.choices = [(0, "（不适用）")] + [(s.id, f"{s.code} {s.name}")
                                                        for s in _other_schools(change.school_id)]
    form.target_class_id.choices = [(0, "（不适用）")] + [(c.id, c.name) for c in _own_classes(change.school_id)]
    if formdata is None:
        form.target_school_id.data = change.target_school_id or 0
        form.target_class_id.data = change.target_class_id or 0
        form.version.data = str(change.version)
    return form


@bp.route("/<int:change_id>/act", methods=["POST"])
@roles(ACTORS)
def act(change_id):
    """Apply one workflow step (approve, confirm, return with reason, accept/decline a
    transfer, resubmit, cancel). htmx gets the updated queue row."""
    change = service.get_visible_change_or_404(change_id, current_user)
    form = ActionForm()
    resubmit_form = None
    if not form.validate_on_submit():
        return _refuse(change, "；".join(e for errs in form.errors.values() for e in errs) or "提交的内容无效")
    try:
        version = int(form.version.data) if form.version.data else None
    except ValueError:
        version = None
    try:
        resubmit = None
        if form.action.data == "resubmit":
            from werkzeug.datastructures import CombinedMultiDict
            resubmit_form = _resubmit_form(change, CombinedMultiDict((request.files, request.form)))
            if not resubmit_form.validate():
                raise InvalidValue("；".join(e for errs in resubmit_form.errors.values() for e in errs))
            resubmit = service.NewChange(kind=change.kind, happened_on=resubmit_form.happened_on.data,
                                         reason=resubmit_form.reason.data,
                                         target_school_id=resubmit_form.target_school_id.data or None,
                                         target_class_id=resubmit_form.target_class_id.data or None,
                                         files=_uploads(resubmit_form.files))
        service.transition(current_user, change, form.action.data, reason=form.reason.data or "",
                           expected_version=version, target_class_id=form.target_class_id.data or None,
                           resubmit=resubmit)
    except (TransitionError, InvalidValue) as exc:
        db.session.rollback()
        return _refuse(change, str(exc), resubmit_form)
    db.session.commit()
    label = CHANGE_WORKFLOW.get(service.action_for(change, form.action.data)).label
    message = f"{label}：{change.student.name}（{change.kind_label}）→ {CHANGE_STATES[change.state]}"
    if is_htmx():
        resp = render_template("changes/_row.html", **_row_context(change, row_message=message))
        from flask import make_response
        return add_trigger(make_response(resp), "changes-updated")
    flash(message, "success")
    return redirect(url_for("changes.detail", change_id=change.id))


def _refuse(change, message: str, resubmit_form=None):
    db.session.rollback()
    change = db.session.get(StatusChange, change.id)
    if is_htmx():
        from flask import make_response
        return make_response(render_template("changes/_row.html", **_row_context(change, row_error=message)), 422)
    return _detail_page(change, error=message, status=422, resubmit_form=resubmit_form)


@bp.route("/<int:change_id>/return-form")
@roles(ACTORS)
def return_form(change_id):
    """The form for typing the reason of a return, decline or cancellation (inline in the queue)."""
    change = service.get_visible_change_or_404(change_id, current_user)
    actions = [t for t in service.available_actions(change, current_user) if t.needs_reason]
    if not actions:
        abort(404)
    return render_htmx("changes/return_form.html", c=change, actions=actions, form=ActionForm())


@bp.route("/<int:change_id>/evidence", methods=["POST"])
@roles("school_officer")
def evidence_upload(change_id):
    """Add evidence files to an open change."""
    change = service.get_visible_change_or_404(change_id, current_user)
    form = EvidenceForm()
    if not form.validate_on_submit():
        return _detail_page(change, error="表单已过期，请刷新后重试", status=400)
    try:
        count = service.add_evidence(current_user, change, _uploads(form.files))
    except InvalidValue as exc:
        db.session.rollback()
        return _detail_page(db.session.get(StatusChange, change.id), error=str(exc), status=422)
    db.session.commit()
    flash(f"已上传 {count} 个证明材料", "success")
    return redirect(url_for("changes.detail", change_id=change.id))


@bp.route("/<int:change_id>/evidence/<int:evidence_id>")
@roles(STAFF)
def evidence_download(change_id, evidence_id):
    """Serve an evidence file to users who may see its change."""
    change = service.get_visible_change_or_404(change_id, current_user)
    row = db.session.execute(select(ChangeEvidence).where(ChangeEvidence.id == evidence_id,
                                                          ChangeEvidence.change_id == change.id)).scalar_one_or_none()
    if row is None:
        abort(404)
    path = evidence_path(row)
    if not path.exists():
        abort(404)
    suffix = path.suffix
    return send_file(path, mimetype=row.mimetype, as_attachment=True, max_age=0,
                     download_name=f"evidence-{row.id}{suffix}")


@bp.route("/<int:change_id>/form.pdf")
@roles(STAFF)
def form_pdf(change_id):
    """The printable 学籍异动审批表 (A4)."""
    change = service.get_visible_change_or_404(change_id, current_user)
    steps = service.step_rows(change)
    data = render_pdf("changes/form_pdf.html", c=change, t=service.timeliness(change), steps=steps,
                      states=CHANGE_STATES, workflow=CHANGE_WORKFLOW, n=service.deadline_workdays(),
                      printed_on=local_today())
    return pdf_response(data, f"status-change-{change.id}.pdf")


# --- timeliness --------------------------------------------------------------------------

@bp.route("/timeliness")
@roles(STAFF)
def timeliness():
    """Per school: changes processed on time, late, and open past the deadline."""
    rows = service.school_timeliness(current_user)
    return render_htmx("changes/timeliness.html", rows=rows, n=service.deadline_workdays())


def _authority_panel(user):
    rows = service.school_timeliness(user)
    return {"rows": [r for r in rows if r.overdue or r.open or r.unknown][:10], "n": service.deadline_workdays(),
            "todo": service.todo_count(user)}


def _school_panel(user):
    rows = service.school_timeliness(user)
    return {"row": rows[0] if rows else None, "todo": service.todo_count(user), "n": service.deadline_workdays()}


def _student_panel(user):
    rows = db.session.execute(service.visible_changes_select(user).where(StatusChange.state != "new")
                              .order_by(StatusChange.happened_on.desc())).scalars().all()
    return {"rows": rows, "states": CHANGE_STATES}


register_panel(("bureau_officer", "province_admin"), "changes/_home_authority.html", _authority_panel)
register_panel(("student",), "changes/_home_student.html", _student_panel)
register_panel(SCHOOL, "changes/_home_school.html", _school_panel)


# --- working-day calendar ----------------------------------------------------------------

def _month_grid(year: int, month: int):
    """Weeks of (date, kind, label) for one month; kind: work | rest | holiday | makeup | override | unknown."""
    import chinese_calendar

    cal = get_calendar()
    overrides = {row.day: row for row in db.session.execute(
        select(CalendarDay).where(CalendarDay.day >= date(year, month, 1),
                                  CalendarDay.day <= date(year, month, pycalendar.monthrange(year, month)[1]))
    ).scalars()}
    weeks = []
    for week in pycalendar.Calendar().monthdatescalendar(year, month):
        cells = []
        for d in week:
            if d.month != month:
                cells.append(None)
                continue
            try:
                work = cal.is_workday(d)
            except CalendarUnavailable:
                cells.append((d, "unknown", "未录入"))
                continue
            if d in overrides:
                note = overrides[d].note or ("调休上班" if work else "休息")
                cells.append((d, "override-work" if work else "override-rest", note))
                continue
            name = ""
            if d.year in package_years():
                on_holiday, name = chinese_calendar.get_holiday_detail(d)
                name = HOLIDAY_NAMES.get(name or "", name or "")
            weekend = d.weekday() >= 5
            if work and weekend:
                cells.append((d, "makeup", f"调休上班{('（' + name + '）') if name else ''}"))
            elif not work and not weekend:
                cells.append((d, "holiday", name or "休息"))
            elif not work and name:
                cells.append((d, "holiday", name))
            else:
                cells.append((d, "work" if work else "rest", ""))
        weeks.append(cells)
    return weeks


def _day_name(d: date, notes: dict) -> str:
    import chinese_calendar

    if d in notes and notes[d]:
        return notes[d]
    if d.year in package_years():
        name = chinese_calendar.get_holiday_detail(d)[1] or ""
        return HOLIDAY_NAMES.get(name, name)
    return ""


def _year_arrangements(year: int):
    """The year's holiday periods (runs of rest days containing a weekday off) and make-up
    working days, or None when the calendar does not cover the year."""
    from datetime import timedelta

    cal = get_calendar()
    if not cal.covers(year):
        return None
    notes = dict(db.session.execute(select(CalendarDay.day, CalendarDay.note).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))).all())
    holidays, makeups, run = [], [], []

    def flush():
        weekdays_off = [d for d in run if d.weekday() < 5]
        if weekdays_off:
            holidays.append((run[0], run[-1], _day_name(weekdays_off[0], notes) or "休息", len(run)))

    d = date(year, 1, 1)
    while d.year == year:
        if cal.is_workday(d):
            flush()
            run = []
            if d.weekday() >= 5:
                makeups.append((d, _day_name(d, notes)))
        else:
            run.append(d)
        d += timedelta(days=1)
    flush()
    return {"holidays": holidays, "makeups": makeups}


HOLIDAY_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                 "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                 "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日"}


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        return default
    return value if low <= value <= high else default


@bp.route("/calendar")
@roles(STAFF)
def calendar():
    """A month of the working-day calendar (holidays, make-up days, administrator entries),
    a deadline calculator, and — for the province admin — the forms to enter days."""
    today = local_today()
    return _calendar_page(_int_arg("year", today.year, 2000, 2100), _int_arg("month", today.month, 1, 12))


def _calendar_page(year: int, month: int, *, error: str | None = None, status: int = 200,
                   day_form=None, year_form=None):
    calc, calc_error = None, None
    calc_from = request.args.get("from", "").strip()
    if calc_from:
        n = _int_arg("n", service.deadline_workdays(), 1, 365)
        try:
            start = date.fromisoformat(calc_from)
        except ValueError:
            calc_error = "起始日期格式应为 YYYY-MM-DD"
        else:
            try:
                calc = (start, n, get_calendar().deadline_after(start, n))
            except CalendarUnavailable as exc:
                calc_error = str(exc)
    entries = db.session.execute(select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1),
                                                           CalendarDay.day <= date(year, 12, 31))
                                 .order_by(CalendarDay.day)).scalars().all()
    declared = db.session.execute(select(CalendarYear).order_by(CalendarYear.year)).scalars().all()
    if year_form is None:
        year_form = CalendarYearForm(formdata=None, year=year)
    return render_htmx(
        "changes/calendar.html", year=year, month=month, weeks=_month_grid(year, month), entries=entries,
        arrangements=_year_arrangements(year),
        declared=declared, covered=get_calendar().covers(year), package=package_years(), calc=calc,
        calc_error=calc_error, calc_from=calc_from, n=service.deadline_workdays(),
        day_form=day_form or CalendarDayForm(formdata=None), year_form=year_form,
        action_form=EmptyForm(), error=error), status


def _form_errors(form) -> str:
    return "；".join(e for errs in form.errors.values() for e in errs) or "提交的内容无效"


@bp.route("/calendar/day", methods=["POST"])
@roles("province_admin")
def calendar_day():
    """Add or correct one day (audited)."""
    form = CalendarDayForm()
    today = local_today()
    if not form.validate_on_submit():
        return _calendar_page(today.year, today.month, error=_form_errors(form), status=422, day_form=form)
    d = form.day.data
    try:
        set_day(current_user, d, form.is_workday.data == "1", form.note.data or "")
    except InvalidValue as exc:
        db.session.rollback()
        return _calendar_page(today.year, today.month, error=str(exc), status=422, day_form=form)
    db.session.commit()
    flash(f"已将 {d.isoformat()} 设为{'工作日' if form.is_workday.data == '1' else '休息日'}", "success")
    return redirect(url_for("changes.calendar", year=d.year, month=d.month))


@bp.route("/calendar/day/<int:day_id>/delete", methods=["POST"])
@roles("province_admin")
def calendar_day_delete(day_id):
    """Remove an administrator's entry for a day (audited)."""
    row = db.session.get(CalendarDay, day_id)
    if row is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    d = row.day
    delete_day(current_user, row)
    db.session.commit()
    flash(f"已删除 {d.isoformat()} 的设置", "success")
    return redirect(url_for("changes.calendar", year=d.year, month=d.month))


@bp.route("/calendar/year", methods=["POST"])
@roles("province_admin")
def calendar_year():
    """Declare a year's holidays complete, or revoke that declaration (audited)."""
    form = CalendarYearForm()
    revoke = request.form.get("revoke") == "1"
    today = local_today()
    if not form.validate_on_submit():
        return _calendar_page(today.year, today.month, error=_form_errors(form), status=422, year_form=form)
    year = form.year.data
    try:
        if revoke:
            revoke_year(current_user, year)
        else:
            declare_year(current_user, year, form.note.data or "")
    except InvalidValue as exc:
        db.session.rollback()
        return _calendar_page(year, 1, error=str(exc), status=422, year_form=form)
    db.session.commit()
    flash(f"已{'撤销' if revoke else '声明'}{year}年节假日录入完整", "success")
    return redirect(url_for("changes.calendar", year=year, month=1))
