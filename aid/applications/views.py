"""Semester applications: proposals (应免尽免), single applications and
recommendations, the approval queues with bulk steps, inline detail, the
printable form, and the student's own page."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from aid.access import ALL_ROLES, SCHOOL, STAFF, roles
from aid.applications import service
from aid.applications.forms import ActForm, ApplyForm, NewApplicationForm, ProposalForm, QueueFilterForm
from aid.applications.models import Application
from aid.applications.workflow import APPLICATION_STATES, APPLICATION_WORKFLOW
from aid.auth.forms import EmptyForm
from aid.auth.models import ROLES, User
from aid.extensions import db
from aid.home.views import register_panel
from aid.htmx import add_trigger, is_htmx, render_htmx
from aid.org.models import School
from aid.printing.service import pdf_response, render_pdf
from aid.programmes import service as programmes
from aid.programmes.models import Programme
from aid.programmes.semesters import Semester
from aid.scoping import get_scoped_or_404, scope
from aid.students.models import SchoolClass, Student
from aid.templating import register_nav
from aid.workflow import TransitionError, steps_for

bp = Blueprint("applications", __name__, url_prefix="/applications")
register_nav("applications.queue", "资助审批", STAFF)
register_nav("applications.proposals", "资助名单", SCHOOL)
register_nav("applications.mine", "我的资助", ("student",))
PAGE_SIZE = 50
FILTERS = ("semester", "state", "school_id", "class_id", "programme_id", "level")


@bp.app_template_filter("count_capped")
def count_capped(n: int) -> str:
    """A count from service.capped_count: "10000+" once past the cap."""
    return f"{service.COUNT_CAP}+" if n > service.COUNT_CAP else str(n)


def _queue_panel(user):
    counts = service.work_counts(user)
    return {"counts": counts, "states": APPLICATION_STATES, "total": sum(counts.values())}


register_panel(("school_officer", "school_leader", "bureau_officer", "province_admin"),
               "applications/_home_panel.html", _queue_panel)


def _student_panel(user):
    apps = db.session.execute(scope(select(Application), Application, user)
                              .order_by(Application.semester.desc(), Application.id).limit(10)).scalars().all()
    return {"apps": apps, "states": APPLICATION_STATES}


register_panel(("student",), "applications/_student_panel.html", _student_panel)


class _NavBadges:
    """Counts shown next to navigation entries, computed only when a page renders the navigation."""

    def __init__(self, user):
        self.user, self._counts = user, None

    def get(self, endpoint):
        if endpoint != "applications.queue":
            return None
        if self._counts is None:
            self._counts = str(sum(service.work_counts(self.user).values()))
        return self._counts


@bp.app_context_processor
def _nav_badges():
    from flask import has_request_context
    if not has_request_context() or not current_user.is_authenticated or not service.queue_spec(current_user.role).approve:
        return {}
    return {"nav_badges": _NavBadges(current_user)}


def _programme_choices():
    return [(p.id, p.name) for p in programmes.programmes_for_school(current_user.school_id)]


def _filter_form(source) -> tuple[QueueFilterForm, service.QueueFilters]:
    spec = service.queue_spec(current_user.role)
    form = QueueFilterForm(source)
    form.semester.choices = [("", "全部学期")] + programmes.semester_choices(before=4, after=1)
    form.state.choices = [("", "全部状态")] + list(APPLICATION_STATES.items())
    # (id, name) pairs, not records: a province has 150 schools, a school dozens of classes
    schools = db.session.execute(scope(select(School.id, School.name), School).order_by(School.code)).all() \
        if current_user.role in ("bureau_officer", "province_admin") else []
    form.school_id.choices = [(0, "全部学校")] + [tuple(s) for s in schools]
    classes = db.session.execute(scope(select(SchoolClass.id, SchoolClass.name), SchoolClass)
                                 .order_by(SchoolClass.name)).all() if current_user.role in SCHOOL else []
    form.class_id.choices = [(0, "全部班级")] + [tuple(c) for c in classes]
    form.programme_id.choices = [(0, "全部项目")] + _programme_choices()
    from aid.hardship.service import levels
    form.level.choices = [("", "全部档次")] + [(lv, lv) for lv in levels() if lv != "不困难"]
    form.validate()
    state = form.state.data if "state" in source else spec.default_state
    form.state.data = state
    semester = form.semester.data if "semester" in source else service.default_semester(current_user, state)
    form.semester.data = semester
    filters = service.QueueFilters(semester=semester or "", state=state or "",
                                   school_id=form.school_id.data or 0, class_id=form.class_id.data or 0,
                                   programme_id=form.programme_id.data or 0, level=form.level.data or "")
    return form, filters


class _RowUrls:
    """The links of a queue row: url_for once per page instead of twice per row."""
    _SLOT = 2**31 - 1  # the largest id a URL takes; stands for each row's id

    def __init__(self):
        self._detail = url_for("applications.detail", application_id=self._SLOT)
        self._form_pdf = url_for("applications.form_pdf", application_id=self._SLOT)

    def detail(self, application_id: int) -> str:
        return self._detail.replace(str(self._SLOT), str(application_id))

    def form_pdf(self, application_id: int) -> str:
        return self._form_pdf.replace(str(self._SLOT), str(application_id))


def _queue_context(form, filters, page=1, message=None, problems=None):
    rows, has_next = service.queue_page(current_user, filters, page, PAGE_SIZE)
    spec = service.queue_spec(current_user.role)
    args = {k: v for k, v in filters.__dict__.items() if v}
    args.setdefault("state", "")
    return {"form": form, "filters": filters, "rows": rows, "has_next": has_next, "page": page,
            "row_urls": _RowUrls(), "counts": service.state_counts(current_user, filters),
            "work": service.work_counts(current_user), "spec": spec, "states": APPLICATION_STATES,
            "args": args, "message": message, "problems": problems or [], "bulk_form": EmptyForm(),
            "can_act": bool(spec.approve)}


@bp.route("/queue")
@roles(STAFF)
def queue():
    """The role's approval queue: filter, select, approve or return in bulk."""
    form, filters = _filter_form(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    return render_htmx("applications/queue.html", **_queue_context(form, filters, page))


@bp.route("/queue/bulk", methods=["POST"])
@roles("school_officer", "school_leader", "bureau_officer")
def bulk():
    """Apply one step to the selected rows; stale rows are reported back, not applied."""
    form, filters = _filter_form(request.form)
    verb = request.form.get("verb", "")
    reason = (request.form.get("reason") or "").strip()
    status, problems, done = 200, [], 0
    try:
        items = service.parse_items(request.form.getlist("sel"))
        result = service.bulk(current_user, items, verb, reason)
    except service.ApplicationError as exc:
        db.session.rollback()
        message, status = str(exc), 422
    else:
        db.session.commit()
        service.forget_counts(current_user)
        message, done = result.message, len(result.done)
        problems = [(i, m) for i, m in result.stale + result.refused]
        if not result.done and problems:
            status = 409
    if not is_htmx():
        flash(message, "success" if status == 200 else "error")
        for app_id, msg in problems[:20]:
            flash(f"#{app_id}：{msg}", "error")
        args = {k: v for k, v in filters.__dict__.items() if v}
        args["state"] = filters.state
        return redirect(url_for("applications.queue", **args))
    context = _queue_context(form, filters, message=message, problems=problems)
    html = render_template("applications/_queue.html", **context)
    html += render_template("applications/_work_oob.html", work=context["work"], states=APPLICATION_STATES)
    resp = make_response(html, status)
    resp.headers["Vary"] = "HX-Request"
    add_trigger(resp, "aid-queue-changed", {"done": done})
    return resp


def _detail_context(app):
    semester = Semester.parse(app.semester)
    facts = programmes.facts_for(app.student, semester)
    decision, _v = programmes.decide(app.student, app.programme, semester, facts=facts)
    steps = steps_for(APPLICATION_WORKFLOW, app.id)
    users = {u.id: u for u in db.session.execute(select(User).where(
        User.id.in_([s.user_id for s in steps if s.user_id]))).scalars()}
    rules = programmes.version_rules(app.programme_version)
    return {"app": app, "semester": semester, "decision": decision, "steps": steps, "users": users,
            "rules": rules, "states": APPLICATION_STATES, "workflow": APPLICATION_WORKFLOW,
            "actions": [t for t in APPLICATION_WORKFLOW.available(app, current_user)
                        if t.action not in ("post_notice", "withdraw_from_notice", "end_notice", "disburse")],
            "act_form": ActForm(), "amount_problem": service.check_amount(app), "role_labels": ROLES}


@bp.route("/<int:application_id>")
@roles(ALL_ROLES)
def detail(application_id):
    """One application: eligibility reasons, amount, each step (inline in the queue under htmx)."""
    app = get_scoped_or_404(Application, application_id)
    return render_htmx("applications/detail.html", **_detail_context(app))


@bp.route("/<int:application_id>/act", methods=["POST"])
@roles("student", "school_officer", "school_leader", "bureau_officer")
def act(application_id):
    """One step on one application (from its detail page)."""
    app = get_scoped_or_404(Application, application_id)
    form = ActForm()
    error = None
    if not form.validate_on_submit():
        error = "请求无效，请刷新后重试"
    else:
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        try:
            if form.action.data in ("post_notice", "withdraw_from_notice", "end_notice", "disburse"):
                raise TransitionError("公示和发放请在相应模块办理")
            service.step(current_user, app, form.action.data, expected_version=version, reason=form.reason.data or "")
        except TransitionError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(f"已{APPLICATION_WORKFLOW.get(form.action.data).label}", "success")
            return redirect(url_for("applications.detail", application_id=app.id))
    app = get_scoped_or_404(Application, application_id)
    context = _detail_context(app)
    context["error"] = error
    return render_template("applications/detail.html", **context), 422


@bp.route("/<int:application_id>/form.pdf")
@roles(ALL_ROLES)
def form_pdf(application_id):
    """The printable application and approval form: each step's decision, person and date."""
    app = get_scoped_or_404(Application, application_id)
    context = _detail_context(app)
    data = render_pdf("applications/form_pdf.html", **context)
    return pdf_response(data, f"application-{app.id}.pdf")


def _proposal_form():
    form = ProposalForm(request.values if request.method == "POST" else request.args, meta={"csrf": request.method == "POST"})
    form.semester.choices = programmes.semester_choices(before=4, after=1)
    form.programme_id.choices = [(p.id, p.name) for p in programmes.programmes_for_school(current_user.school_id)
                                 if p.kind in service.PROPOSED_KINDS]
    form.school_id.choices = [(current_user.school_id, current_user.school.name)] if current_user.school_id else []
    if not form.semester.data:
        form.semester.data = str(programmes.current_semester())
    if not form.programme_id.data and form.programme_id.choices:
        form.programme_id.data = form.programme_id.choices[0][0]
    return form


PROPOSAL_PAGE_SIZE = 50


@bp.route("/proposals")
@roles(SCHOOL)
def proposals():
    """The engine's list for a programme and semester: every eligible full-time student
    (应免尽免), with the reasons, and those not eligible with why; counts of all, one page of each."""
    form = _proposal_form()
    programme = db.session.get(Programme, form.programme_id.data) if form.programme_id.data else None
    semester = programmes.parse_semester(form.semester.data)
    rows, error = [], None
    if programme is None:
        error = "尚未设置资助项目"
    else:
        try:
            rows = service.proposal_rows(current_user, current_user.school_id, programme, semester)
        except service.ApplicationError as exc:
            error = str(exc)
    eligible = [r for r in rows if r.decision.eligible]
    ineligible = [r for r in rows if not r.decision.eligible]
    page = max(request.args.get("page", 1, type=int), 1)
    ipage = max(request.args.get("ipage", 1, type=int), 1)
    size = PROPOSAL_PAGE_SIZE
    args = {"semester": str(semester), "programme_id": programme.id} if programme else {}
    return render_template("applications/proposals.html", form=form, programme=programme, semester=semester,
                           eligible=eligible[(page - 1) * size:page * size], eligible_total=len(eligible),
                           ineligible=ineligible[(ipage - 1) * size:ipage * size], ineligible_total=len(ineligible),
                           page=page, has_next=len(eligible) > page * size, ipage=ipage,
                           ihas_next=len(ineligible) > ipage * size, args=args,
                           missing=sum(1 for r in eligible if r.application_id is None), error=error,
                           states=APPLICATION_STATES)


@bp.route("/proposals/generate", methods=["POST"])
@roles("school_officer")
def proposals_generate():
    """Create draft applications for every eligible student without one (idempotent)."""
    form = _proposal_form()
    programme = db.session.get(Programme, form.programme_id.data) if form.programme_id.data else None
    if not form.validate_on_submit() or programme is None:
        flash("请选择项目和学期", "error")
        return redirect(url_for("applications.proposals"))
    semester = Semester.parse(form.semester.data)
    try:
        created, eligible = service.generate_proposals(current_user, current_user.school_id, programme, semester)
    except service.ApplicationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"{programme.name}：符合条件{eligible}人，新生成申请草稿{len(created)}份", "success")
    return redirect(url_for("applications.proposals", semester=str(semester), programme_id=programme.id))


@bp.route("/new", methods=["GET", "POST"])
@roles("school_officer")
def new():
    """One application (a grant with its level, or a scholarship recommendation)."""
    form = NewApplicationForm()
    form.programme_id.choices = _programme_choices()
    form.semester.choices = programmes.semester_choices(before=4, after=1)
    from aid.hardship.service import levels
    form.level.choices = [("", "按困难认定等级")] + [(lv, lv) for lv in levels() if lv != "不困难"]
    if request.method == "GET":
        form.semester.data = str(programmes.current_semester())
    error = None
    if form.validate_on_submit():
        try:
            student = db.session.execute(scope(select(Student).where(Student.register_no == form.register_no.data.strip()),
                                               Student)).scalar_one_or_none()
            if student is None:
                raise service.ApplicationError("本校没有该学籍号的学生")
            programme = db.session.get(Programme, form.programme_id.data)
            app = service.create_application(current_user, student, programme, Semester.parse(form.semester.data),
                                             level=form.level.data or None, note=form.note.data or "")
        except service.ApplicationError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash("申请已建立（草稿），提交后进入审核", "success")
            return redirect(url_for("applications.detail", application_id=app.id))
    return render_template("applications/new.html", form=form, error=error), (422 if (error or form.errors) else 200)


@bp.route("/mine")
@roles("student")
def mine():
    """What the student can apply for and why, and the state of each application."""
    student = get_scoped_or_404(Student, current_user.student_id)
    semester = programmes.parse_semester(request.args.get("semester"))
    facts = programmes.facts_for(student, semester)
    offers = []
    for p in programmes.programmes_for_school(student.school_id):
        decision, version = programmes.decide(student, p, semester, facts=facts)
        if decision is not None:
            offers.append((p, decision))
    apps = db.session.execute(scope(select(Application), Application).order_by(Application.semester.desc(),
                                                                                Application.id)).scalars().all()
    applied = {(a.programme_id, a.semester) for a in apps}
    returns = {a.id: [s for s in steps_for(APPLICATION_WORKFLOW, a.id) if s.reason] for a in apps}
    return render_template("applications/mine.html", student=student, semester=semester, offers=offers, apps=apps,
                           applied=applied, states=APPLICATION_STATES, semesters=programmes.semester_choices(before=4, after=1),
                           apply_form=ApplyForm(), returns=returns)


@bp.route("/apply", methods=["POST"])
@roles("student")
def apply():
    """The student applies for a programme (not the scholarship: schools recommend)."""
    student = get_scoped_or_404(Student, current_user.student_id)
    form = ApplyForm()
    programme = db.session.get(Programme, int(form.programme_id.data)) if (form.programme_id.data or "").isdigit() else None
    if not form.validate_on_submit() or programme is None:
        abort(400)
    semester = programmes.parse_semester(form.semester.data)
    try:
        if programme.kind == "national_scholarship":
            raise service.ApplicationError("国家奖学金由学校推荐，学生不能自行申请")
        service.create_application(current_user, student, programme, semester, submit=True)
    except (service.ApplicationError, TransitionError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"已提交{semester.label}{programme.name}申请", "success")
    return redirect(url_for("applications.mine", semester=str(semester)))
