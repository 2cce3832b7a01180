"""Notices: staff pages (prepare, approve, post, objections) and the public pages
(notices posted now, per school and province; the policy page)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from aid.access import SCHOOL, STAFF, public, roles
from aid.auth.forms import EmptyForm
from aid.auth.models import ROLES
from aid.extensions import db
from aid.htmx import add_trigger, is_htmx, render_htmx
from aid.notices import policy, service
from aid.notices.forms import ActionForm, FilterForm, NoticeForm, ObjectionForm, PeriodForm, ResolveForm
from aid.notices.models import Notice, NoticeItem, Objection
from aid.notices.service import NOTICE_FIELDS, NOTICE_KINDS, NoticeError
from aid.notices.workflow import NOTICE_STATES, NOTICE_WORKFLOW
from aid.org.models import Authority, School
from aid.programmes.semesters import Semester
from aid.scoping import authority_ids_under, get_scoped_or_404, school_ids, scope, scoped_select
from aid.templating import register_nav
from aid.timeutil import CST, local_today
from aid.workflow import steps_for

bp = Blueprint("notices", __name__)
register_nav("notices.index", "公示", STAFF)
PAGE_SIZE = 50
ACTIONS = {"submit": service.submit_notice, "approve": service.approve_notice,
           "return": service.return_notice, "withdraw": service.withdraw_notice}


# --- staff pages -------------------------------------------------------------------

@bp.route("/notices")
@roles(STAFF)
def index():
    """Notices of the schools in the jurisdiction, filterable by state and kind."""
    filters = FilterForm(request.args)
    filters.state.choices = [("", "全部状态")] + list(NOTICE_STATES.items())
    filters.kind.choices = [("", "全部类别")] + list(NOTICE_KINDS.items())
    # the schools' names in one statement, not one per row
    stmt = scoped_select(Notice).options(selectinload(Notice.school)).order_by(Notice.id.desc())
    if filters.state.data in NOTICE_STATES:
        stmt = stmt.where(Notice.state == filters.state.data)
    if filters.kind.data in NOTICE_KINDS:
        stmt = stmt.where(Notice.kind == filters.kind.data)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows = db.session.execute(stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).scalars().all()
    counts = _item_counts([n.id for n in rows[:PAGE_SIZE]])
    return render_htmx("notices/index.html", notices=rows[:PAGE_SIZE], has_next=len(rows) > PAGE_SIZE, page=page,
                       filters=filters, counts=counts, states=NOTICE_STATES, kinds=NOTICE_KINDS,
                       today=local_today(), due_count=_due_count())


def _due_count() -> int:
    """Posted notices whose period is over (ended by the button below or the cron command)."""
    from sqlalchemy import func
    stmt = scope(select(func.count()).select_from(Notice).where(Notice.state == "posted",
                                                                Notice.end_day < local_today()), Notice)
    return db.session.scalar(stmt) or 0


@bp.route("/notices/close-due", methods=["POST"])
@roles(SCHOOL)
def close_due():
    """End every notice whose period is over and whose objections are resolved."""
    form = EmptyForm()
    if form.validate_on_submit():
        ended = service.close_expired(school_ids=school_ids(current_user))
        db.session.commit()
        flash(f"已结束{ended}个到期公示，名单中的学生进入下一环节" if ended else "没有可以结束的公示（可能仍有未处理的异议）",
              "success" if ended else "warning")
    return redirect(url_for("notices.index"))


def _item_counts(notice_ids):
    if not notice_ids:
        return {}
    rows = db.session.execute(select(NoticeItem.notice_id, func.count()).where(
        NoticeItem.notice_id.in_(notice_ids), NoticeItem.state == "listed").group_by(NoticeItem.notice_id)).all()
    return dict(rows)


def _semester_choices(today: date):
    current = Semester.containing(today)
    return [(str(s), s.label) for s in (current.prev(), current, current.next())]


@bp.route("/notices/new", methods=["GET", "POST"])
@roles("school_officer")
def new():
    """Prepare a notice: choose the kind and semester, tick the students, set the period."""
    today = local_today()
    form = NoticeForm()
    form.semester.choices = _semester_choices(today)
    if request.method == "GET":
        form.semester.data = str(Semester.containing(today))
        form.first_day.data = service.default_first_day(today)
        try:
            form.end_day.data = service.earliest_end(form.first_day.data)
        except NoticeError:
            form.end_day.data = None
    selected = request.form.getlist("item")
    error = None
    if form.validate_on_submit():
        try:
            notice = service.create_notice(current_user, kind=form.kind.data, semester=form.semester.data,
                                           source_ids=selected, first_day=form.first_day.data,
                                           end_day=form.end_day.data, title=form.title.data,
                                           contact=form.contact.data, today=today)
        except NoticeError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash("公示草稿已保存，请核对后提交学校负责人审批", "success")
            return redirect(url_for("notices.detail", notice_id=notice.id))
    kind = form.kind.data if form.kind.data in NOTICE_KINDS else "hardship"
    rows = service.candidates(current_user, kind, form.semester.data)
    status = 422 if (error or form.errors) else 200
    return render_template("notices/new.html", form=form, rows=rows, kind=kind, fields=NOTICE_FIELDS,
                           snapshot=service.snapshot, selected={str(s) for s in selected}, error=error,
                           min_workdays=service.min_workdays(), hint=_period_hint(form.first_day.data)), status


@bp.route("/notices/candidates")
@roles("school_officer")
def candidates():
    """The students awaiting this kind of notice (htmx partial of the new-notice page)."""
    kind = request.args.get("kind", "hardship")
    if kind not in NOTICE_KINDS:
        kind = "hardship"
    semester = request.args.get("semester", "")
    try:
        semester = str(Semester.parse(semester))
    except ValueError:
        semester = str(Semester.containing(local_today()))
    rows = service.candidates(current_user, kind, semester)
    return render_htmx("notices/candidates.html", rows=rows, kind=kind, fields=NOTICE_FIELDS,
                       snapshot=service.snapshot, selected=set())


def _period_hint(first_day: date | None) -> str:
    if first_day is None:
        return ""
    n = service.min_workdays()
    try:
        end = service.earliest_end(first_day, n)
    except NoticeError as exc:
        return str(exc)
    return f"公示期不少于{n}个工作日（含发布当日）：自{first_day.year}年{first_day.month}月{first_day.day}日起，最早可于{end.year}年{end.month}月{end.day}日结束。"


@bp.route("/notices/period-hint")
@roles(SCHOOL)
def period_hint():
    """The earliest end date for a first day of posting (htmx)."""
    try:
        first_day = date.fromisoformat(request.args.get("first_day", ""))
    except ValueError:
        return render_template("notices/_period_hint.html", hint="请填写有效的开始日期")
    return render_template("notices/_period_hint.html", hint=_period_hint(first_day))


def _detail_context(notice: Notice, **extra):
    objection_form = extra.pop("objection_form", None) or ObjectionForm(formdata=None)
    objection_form.item_id.choices = [(0, "整份公示")] + [(i.id, i.name) for i in notice.items if i.state == "listed"]
    if objection_form.received_on.data is None:
        objection_form.received_on.data = local_today()
    if not objection_form.received_by.data and current_user.is_authenticated:
        objection_form.received_by.data = current_user.display_name
    today = local_today()
    return dict(notice=notice, fields=NOTICE_FIELDS, states=NOTICE_STATES, kinds=NOTICE_KINDS,
                listed=[i for i in notice.items if i.state == "listed"],
                withdrawn=[i for i in notice.items if i.state == "withdrawn"],
                objection_form=objection_form, resolve_form=ResolveForm(formdata=None),
                action_form=ActionForm(formdata=None), period_form=PeriodForm(formdata=None, obj=notice),
                actions=[t for t in NOTICE_WORKFLOW.available(notice, current_user) if t.action != "end"],
                steps=steps_for(NOTICE_WORKFLOW, notice.id), open_count=service.open_objections(notice),
                can_object=notice.state == "posted" and notice.first_day <= today <= notice.end_day,
                is_public=service.is_public(notice, today), today=today,
                action_labels={t.action: t.label for t in NOTICE_WORKFLOW.transitions}, role_labels=ROLES, **extra)


@bp.route("/notices/<int:notice_id>")
@roles(STAFF)
def detail(notice_id):
    """One notice: its list, period, objections, steps and the next actions."""
    notice = get_scoped_or_404(Notice, notice_id)
    return render_htmx("notices/detail.html", **_detail_context(notice), due_count=int(
        notice.state == "posted" and notice.end_day is not None and notice.end_day < local_today()))


@bp.route("/notices/<int:notice_id>/period", methods=["POST"])
@roles("school_officer")
def period(notice_id):
    """Change the period of a draft."""
    notice = get_scoped_or_404(Notice, notice_id)
    form = PeriodForm()
    if not form.validate_on_submit():
        return _refuse(notice, "；".join(e for errs in form.errors.values() for e in errs))
    try:
        service.update_period(current_user, notice, form.first_day.data, form.end_day.data)
    except NoticeError as exc:
        db.session.rollback()
        return _refuse(notice, str(exc))
    db.session.commit()
    flash("公示期已修改", "success")
    return redirect(url_for("notices.detail", notice_id=notice.id))


def _refuse(notice: Notice, message: str):
    db.session.rollback()
    notice = db.session.get(Notice, notice.id)
    return render_template("notices/detail.html", error=message, **_detail_context(notice)), 422


@bp.route("/notices/<int:notice_id>/do/<action>", methods=["POST"])
@roles(SCHOOL)
def action(notice_id, action):
    """Submit, approve, return, post or withdraw a notice."""
    notice = get_scoped_or_404(Notice, notice_id)
    form = ActionForm()
    if action not in ACTIONS and action != "post":
        abort(404)
    if not form.validate_on_submit():
        return _refuse(notice, "；".join(e for errs in form.errors.values() for e in errs) or "提交无效，请刷新后重试")
    notes = []
    try:
        if action == "post":
            notes = service.post_notice(current_user, notice, expected_version=form.version.data)
        elif action in ("return", "withdraw"):
            ACTIONS[action](current_user, notice, form.reason.data or "", expected_version=form.version.data)
        else:
            ACTIONS[action](current_user, notice, expected_version=form.version.data)
    except NoticeError as exc:
        return _refuse(notice, str(exc))
    db.session.commit()
    label = NOTICE_WORKFLOW.get(action).label
    flash(f"已{label}" + ("；" + "；".join(notes) if notes else ""), "success")
    return redirect(url_for("notices.detail", notice_id=notice.id))


@bp.route("/notices/<int:notice_id>/pdf")
@roles(STAFF)
def pdf(notice_id):
    """The notice PDF: the stored document once posted, a marked draft before."""
    from aid.printing.service import pdf_response, send_document

    notice = get_scoped_or_404(Notice, notice_id)
    if notice.document is not None:
        return send_document(notice.document, f"notice-{notice.id}.pdf")
    return pdf_response(service.render_notice_pdf(notice, draft=True), f"notice-{notice.id}-draft.pdf")


def _objections_response(notice: Notice, status: int = 200, **extra):
    context = _detail_context(notice, **extra)
    if is_htmx():
        resp = make_response(render_template("notices/_objections.html", **context), status)
        return add_trigger(resp, "notice-changed") if status == 200 else resp
    if status == 200:
        return redirect(url_for("notices.detail", notice_id=notice.id))
    return make_response(render_template("notices/detail.html", **context), status)


@bp.route("/notices/<int:notice_id>/objections", methods=["POST"])
@roles(SCHOOL)
def objection_new(notice_id):
    """Record an objection received during the posting period."""
    notice = get_scoped_or_404(Notice, notice_id)
    form = ObjectionForm()
    form.item_id.choices = [(0, "整份公示")] + [(i.id, i.name) for i in notice.items]
    if not form.validate_on_submit():
        return _objections_response(notice, 422, objection_form=form, objection_error="请检查填写的内容")
    try:
        service.record_objection(current_user, notice, item_id=form.item_id.data or None,
                                 received_on=form.received_on.data, received_by=form.received_by.data,
                                 channel=form.channel.data, content=form.content.data)
    except NoticeError as exc:
        db.session.rollback()
        notice = db.session.get(Notice, notice_id)
        return _objections_response(notice, 422, objection_form=form, objection_error=str(exc))
    db.session.commit()
    if not is_htmx():
        flash("异议已登记", "success")
    return _objections_response(notice, objection_message="异议已登记")


@bp.route("/objections/<int:objection_id>/resolve", methods=["POST"])
@roles(SCHOOL)
def objection_resolve(objection_id):
    """Resolve an objection with a written outcome; optionally withdraw the student."""
    objection = get_scoped_or_404(Objection, objection_id)
    notice = objection.notice
    form = ResolveForm()
    if not form.validate_on_submit():
        return _objections_response(notice, 422, resolve_error=(objection.id, "请填写处理结果"))
    try:
        service.resolve_objection(current_user, objection, outcome=form.outcome.data,
                                  withdraw_item=form.withdraw_item.data)
    except NoticeError as exc:
        db.session.rollback()
        notice = db.session.get(Notice, notice.id)
        return _objections_response(notice, 422, resolve_error=(objection.id, str(exc)))
    db.session.commit()
    if not is_htmx():
        flash("异议已处理", "success")
    return _objections_response(notice, objection_message="异议已处理")


# --- public pages ------------------------------------------------------------------

def _cacheable(resp, today: date, end_day: date | None = None, ceiling: int = 300):
    """Shared caches may keep a public page briefly, never past the moment it changes
    (midnight in China, or the end of a notice's period)."""
    now = datetime.now(CST)
    midnight = datetime.combine((end_day or today) + timedelta(days=1), datetime.min.time(), tzinfo=CST)
    next_midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=CST)
    seconds = int(min((midnight - now).total_seconds(), (next_midnight - now).total_seconds(), ceiling))
    resp.headers["Cache-Control"] = f"public, max-age={max(seconds, 0)}"
    return resp


def _province_of(authority: Authority) -> Authority:
    while authority.parent is not None:
        authority = authority.parent
    return authority


def _public_notices(today: date, school_ids_in=None):
    stmt = (service.public_stmt(today).join(School, School.id == Notice.school_id).order_by(School.code, Notice.id)
            .options(selectinload(Notice.school).selectinload(School.authority)))  # not one query per notice
    if school_ids_in is not None:
        stmt = stmt.where(Notice.school_id.in_(school_ids_in))
    notices = db.session.execute(stmt).scalars().all()
    return notices, _item_counts([n.id for n in notices])


@bp.route("/public/notices")
@public
def public_index():
    """Every notice posted now, grouped by province, with each province's policy page."""
    today = local_today()
    provinces = db.session.execute(select(Authority).where(Authority.parent_id.is_(None))
                                   .order_by(Authority.id)).scalars().all()
    notices, counts = _public_notices(today)
    by_province: dict[int, list[Notice]] = {}
    for n in notices:
        by_province.setdefault(_province_of(n.school.authority).id, []).append(n)
    resp = make_response(render_template("notices/public_index.html", provinces=provinces, by_province=by_province,
                                          counts=counts, kinds=NOTICE_KINDS, today=today))
    return _cacheable(resp, today)


def _province_or_404(authority_id: int) -> Authority:
    authority = db.session.get(Authority, authority_id)
    if authority is None or authority.parent_id is not None:
        abort(404)
    return authority


@bp.route("/public/provinces/<int:authority_id>/notices")
@public
def public_province(authority_id):
    """The notices posted now by the schools of one province."""
    province = _province_or_404(authority_id)
    today = local_today()
    ids = select(School.id).where(School.authority_id.in_(authority_ids_under(province.id)))
    notices, counts = _public_notices(today, ids)
    schools = db.session.execute(select(School).where(School.id.in_(ids), School.active.is_(True))
                                 .order_by(School.code)).scalars().all()
    resp = make_response(render_template("notices/public_province.html", province=province, notices=notices,
                                         counts=counts, schools=schools, kinds=NOTICE_KINDS, today=today))
    return _cacheable(resp, today)


@bp.route("/public/schools/<int:school_id>/notices")
@public
def public_school(school_id):
    """The notices one school has posted now."""
    school = db.session.get(School, school_id)
    if school is None:
        abort(404)
    today = local_today()
    notices, counts = _public_notices(today, [school.id])
    resp = make_response(render_template("notices/public_school.html", school=school, notices=notices,
                                         counts=counts, kinds=NOTICE_KINDS, today=today,
                                         province=_province_of(school.authority)))
    return _cacheable(resp, today)


def _public_notice_or_404(notice_id: int, today: date) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None or not service.is_public(notice, today):
        abort(404)
    return notice


@bp.route("/public/notices/<int:notice_id>")
@public
def public_notice(notice_id):
    """One notice posted now: only the allowed fields of each listed student."""
    today = local_today()
    notice = _public_notice_or_404(notice_id, today)
    resp = make_response(render_template("notices/public_notice.html", notice=notice, fields=NOTICE_FIELDS,
                                         items=[i for i in notice.items if i.state == "listed"],
                                         kinds=NOTICE_KINDS, today=today,
                                         province=_province_of(notice.school.authority)))
    return _cacheable(resp, today, notice.end_day)


@bp.route("/public/notices/<int:notice_id>/pdf")
@public
def public_pdf(notice_id):
    """The stored PDF of a notice posted now."""
    from aid.printing.service import send_document

    today = local_today()
    notice = _public_notice_or_404(notice_id, today)
    if notice.document is None:
        abort(404)
    resp = send_document(notice.document, f"notice-{notice.id}.pdf")
    return _cacheable(resp, today, notice.end_day)


@bp.route("/public/provinces/<int:authority_id>/policy")
@public
def public_policy(authority_id):
    """The aid policy in force, generated from the province's programme settings."""
    province = _province_or_404(authority_id)
    today = local_today()
    semester, sections = policy.policy_sections(today)
    resp = make_response(render_template("notices/public_policy.html", province=province, semester=semester,
                                         sections=sections, hardship_steps=policy.hardship_steps(),
                                         pledge=policy.INTEGRITY_PLEDGE, today=today))
    return _cacheable(resp, today, ceiling=3600)


# --- home-page panel -----------------------------------------------------------------

def _home_panel(user) -> dict:
    today = local_today()
    notices = db.session.execute(scoped_select(Notice, user).where(Notice.state.in_(("submitted", "approved", "posted")))
                                 .order_by(Notice.end_day)).scalars().all()
    awaiting = {}
    if user.role == "school_officer":
        awaiting = {kind: service.candidate_count(user, kind) for kind in NOTICE_KINDS}
    open_objections = db.session.scalar(
        select(func.count()).select_from(Objection).where(Objection.state == "open",
                                                          Objection.school_id.in_(school_ids(user)))) or 0
    return {"notices": notices[:10], "awaiting": awaiting, "open_objections": open_objections, "today": today,
            "states": NOTICE_STATES, "kinds": NOTICE_KINDS}


def _register_panel():
    from aid.home.views import register_panel

    register_panel(SCHOOL, "notices/_home_panel.html", _home_panel)


_register_panel()
