"""Hardship determination: applications, class review, determination, filing,
evidence files, the application form PDF and the coverage report."""
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from aid.access import ALL_ROLES, STAFF, roles
from aid.auth.models import ROLES
from aid.extensions import db
from aid.auth.forms import EmptyForm
from aid.hardship import bulk, service
from aid.hardship.forms import ActionForm, EvidenceForm, FilterForm, HardshipForm
from aid.hardship.models import HardshipApplication, HardshipEvidence
from aid.hardship.workflow import HARDSHIP_STATES, HARDSHIP_WORKFLOW
from aid.htmx import is_htmx, render_htmx
from aid.org.models import School
from aid.printing.service import pdf_response, render_pdf
from aid.programmes import service as programmes
from aid.programmes.semesters import Semester
from aid.scoping import get_scoped_or_404, scope, scoped_select
from aid.students.models import SchoolClass, Student
from aid.templating import register_nav
from aid.workflow import TransitionError, parse_selection, steps_for

bp = Blueprint("hardship", __name__, url_prefix="/hardship")
register_nav("hardship.index", "困难认定", ALL_ROLES)
register_nav("hardship.coverage", "应助尽助", STAFF)
PAGE_SIZE = 100
WAITING = {"school_officer": ("submitted",), "school_leader": ("class_reviewed",),
           "bureau_officer": ("determined", "on_notice"), "province_admin": ("determined", "on_notice")}


def _home_panel(user):
    from sqlalchemy import func
    states = WAITING.get(user.role, ())
    rows = dict(db.session.execute(scope(select(HardshipApplication.state, func.count())
                                         .where(HardshipApplication.state.in_(states))
                                         .group_by(HardshipApplication.state), HardshipApplication, user)).all())
    return {"counts": {s: rows.get(s, 0) for s in states}, "states": HARDSHIP_STATES}


from aid.home.views import register_panel  # noqa: E402

register_panel(tuple(WAITING), "hardship/_home_panel.html", _home_panel)


def _semester_choices():
    return programmes.semester_choices(before=4, after=1)


@bp.route("/")
@roles(ALL_ROLES)
def index():
    """Determinations in the jurisdiction (a student sees their own)."""
    return render_htmx("hardship/index.html", **_list_context(request.args))


def _list_context(source, message: str = "", problems=()) -> dict:
    """The filtered, paged list (the page, its HTMX partial and the answer to a bulk step)."""
    form = FilterForm(source)
    form.semester.choices = [("", "全部学期")] + _semester_choices()
    form.state.choices = [("", "全部状态")] + list(HARDSHIP_STATES.items())
    classes = db.session.execute(scoped_select(SchoolClass).order_by(SchoolClass.name)).scalars().all() \
        if current_user.role in ("school_officer", "school_leader") else []
    form.class_id.choices = [(0, "全部班级")] + [(c.id, c.name) for c in classes]
    form.validate()
    stmt = service.list_stmt(current_user, semester=form.semester.data or "", state=form.state.data or "",
                             class_id=form.class_id.data or 0)
    page = max(source.get("page", 1, type=int), 1)
    rows = db.session.execute(stmt.options(selectinload(HardshipApplication.school),
                                       selectinload(HardshipApplication.student).selectinload(Student.school_class))
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars().all()
    args = {k: v for k, v in source.items() if k in ("semester", "state", "class_id") and v}
    return dict(rows=rows[:PAGE_SIZE], has_next=len(rows) > PAGE_SIZE, page=page, form=form,
                states=HARDSHIP_STATES, args=args, codes=service.codes, priority=service.priority_codes(),
                bulk_actions=bulk.actions_for(current_user.role),
                levels=service.levels(Semester.parse(form.semester.data) if form.semester.data else None),
                bulk_form=EmptyForm(), message=message, problems=list(problems))


@bp.route("/bulk", methods=["POST"])
@roles("school_officer", "school_leader")
def bulk_step():
    """One step for the selected rows (class review, determination, return, filing)."""
    status, message, problems = 200, "", []
    try:
        items = parse_selection(request.form.getlist("sel"))
        outcome = bulk.bulk_act(current_user, items, request.form.get("action", ""),
                                opinion=request.form.get("opinion", ""), level=request.form.get("level", ""),
                                level_reason=request.form.get("level_reason", ""),
                                reason=request.form.get("reason", ""))
    except (service.HardshipError, TransitionError) as exc:
        db.session.rollback()
        status, message = 422, str(exc)
    else:
        db.session.commit()
        message, problems = outcome.message, outcome.problems
        if problems and not outcome.done:
            status = 409
    if not is_htmx():
        flash(message, "success" if status == 200 else "error")
        for _id, msg in problems[:20]:
            flash(msg, "error")
        args = {k: v for k, v in request.form.items() if k in ("semester", "state", "class_id") and v}
        return redirect(url_for("hardship.index", **args))
    return render_template("hardship/_index.html", **_list_context(request.form, message, problems)), status


def _fill_form_choices(form: HardshipForm, semester: Semester) -> None:
    form.semester.choices = _semester_choices()
    form.categories.choices = [(c.code, c.name + ("（重点保障）" if c.priority else ""))
                               for c in service.categories_for_year(semester.school_year_start)]


def _members(form: HardshipForm) -> list[service.FamilyMember]:
    out = []
    for entry in form.members.entries:
        m = entry.form
        if not (m.relation.data or m.name.data or m.income_yuan.data):
            continue
        income = m.income_yuan.data or Decimal(0)
        out.append(service.FamilyMember((m.relation.data or "").strip(), (m.name.data or "").strip(), m.age.data,
                                        (m.occupation.data or "").strip(), int(income * 100)))
    return out


def _student_for_form(form: HardshipForm):
    if current_user.role == "student":
        return get_scoped_or_404(Student, current_user.student_id)
    number = (form.register_no.data or "").strip()
    student = db.session.execute(scope(select(Student).where(Student.register_no == number), Student)).scalar_one_or_none()
    if student is None:
        raise service.HardshipError("本校没有该学籍号的学生")
    return student


@bp.route("/new", methods=["GET", "POST"])
@roles("student", "school_officer")
def new():
    """Apply (the student, or the officer on the student's behalf)."""
    form = HardshipForm()
    semester = programmes.parse_semester(form.semester.data or request.args.get("semester"))
    _fill_form_choices(form, semester)
    if request.method == "GET":
        form.semester.data = str(semester)
        form.register_no.data = request.args.get("register_no", "")
    error = None
    if form.validate_on_submit():
        try:
            student = _student_for_form(form)
            app = service.create_application(current_user, student, semester, categories=form.categories.data or [],
                                             members=_members(form), circumstances=form.circumstances.data,
                                             declaration=form.declaration.data)
        except service.HardshipError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash("认定申请已保存，请上传证明材料后提交", "success")
            return redirect(url_for("hardship.detail", hardship_id=app.id))
    return render_template("hardship/form.html", form=form, error=error, app=None), (422 if (error or form.errors) else 200)


@bp.route("/<int:hardship_id>/edit", methods=["GET", "POST"])
@roles("student", "school_officer")
def edit(hardship_id):
    """Correct a draft or returned application."""
    app = get_scoped_or_404(HardshipApplication, hardship_id)
    semester = Semester.parse(app.semester)
    form = HardshipForm(obj=None)
    _fill_form_choices(form, semester)
    form.semester.choices = [(app.semester, semester.label)]
    if request.method == "GET":
        form.semester.data = app.semester
        form.categories.data = service.codes(app)
        form.circumstances.data = app.circumstances
        form.declaration.data = app.declaration_signed_at is not None
        form.version.data = str(app.version)
        for entry, member in zip(form.members.entries, service.family(app)):
            entry.form.relation.data = member.get("relation")
            entry.form.name.data = member.get("name")
            entry.form.age.data = member.get("age")
            entry.form.occupation.data = member.get("occupation")
            entry.form.income_yuan.data = Decimal(int(member.get("annual_income_fen") or 0)) / 100
    error = None
    if form.validate_on_submit():
        try:
            service.update_application(current_user, app, categories=form.categories.data or [], members=_members(form),
                                       circumstances=form.circumstances.data, declaration=form.declaration.data,
                                       expected_version=int(form.version.data or 0) or None)
        except service.HardshipError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash("认定申请已修改", "success")
            return redirect(url_for("hardship.detail", hardship_id=app.id))
    return render_template("hardship/form.html", form=form, error=error, app=app), (422 if (error or form.errors) else 200)


def _detail_context(app):
    semester = Semester.parse(app.semester)
    action_form = ActionForm()
    action_form.level.choices = [(lv, lv) for lv in service.levels(semester)]
    return {
        "app": app, "semester": semester, "steps": steps_for(HARDSHIP_WORKFLOW, app.id),
        "actions": HARDSHIP_WORKFLOW.available(app, current_user), "action_form": action_form,
        "evidence": db.session.execute(select(HardshipEvidence).where(HardshipEvidence.hardship_id == app.id)
                                       .order_by(HardshipEvidence.id)).scalars().all(),
        "evidence_form": EvidenceForm(), "members": service.family(app),
        "income": service.income_summary(app), "category_names": service.category_names(service.codes(app)),
        "is_priority": service.is_priority(app), "states": HARDSHIP_STATES, "workflow": HARDSHIP_WORKFLOW, "role_labels": ROLES,
        "can_edit": app.state in ("draft", "returned") and current_user.role in ("student", "school_officer"),
        "can_upload": app.state in ("draft", "returned", "submitted") and current_user.role in ("student", "school_officer"),
        "can_adjust": app.state in ("noticed", "filed") and current_user.role == "school_officer"
                      and semester.next().school_year_start == semester.school_year_start,
    }


@bp.route("/<int:hardship_id>")
@roles(ALL_ROLES)
def detail(hardship_id):
    """One application: family, categories, evidence, the steps and the next actions."""
    app = get_scoped_or_404(HardshipApplication, hardship_id)
    return render_htmx("hardship/detail.html", **_detail_context(app))


@bp.route("/<int:hardship_id>/act", methods=["POST"])
@roles("student", "school_officer", "school_leader")
def act(hardship_id):
    """Submit, class review, determine, return or file."""
    app = get_scoped_or_404(HardshipApplication, hardship_id)
    form = ActionForm()
    form.level.choices = [(lv, lv) for lv in service.levels(Semester.parse(app.semester))]
    error = None
    if not form.validate_on_submit():
        error = "；".join(e for errs in form.errors.values() for e in errs) or "请求无效"
    else:
        try:
            version = int(form.version.data) if (form.version.data or "").isdigit() else None
            step = service.act(current_user, app, form.action.data, expected_version=version, reason=form.reason.data or "",
                               opinion=form.opinion.data or "", level=form.level.data or "",
                               level_reason=form.level_reason.data or "")
            db.session.flush()
        except (service.HardshipError, TransitionError) as exc:
            db.session.rollback()
            error = str(exc)
        except Exception as exc:  # noqa: BLE001
            from sqlalchemy.orm.exc import StaleDataError
            db.session.rollback()
            if not isinstance(exc, StaleDataError):
                raise
            error = "该记录已被他人处理，请刷新后重试"
        else:
            db.session.commit()
            flash(f"已{HARDSHIP_WORKFLOW.get(step.action).label}", "success")
            return redirect(url_for("hardship.detail", hardship_id=app.id))
    app = get_scoped_or_404(HardshipApplication, hardship_id)
    context = _detail_context(app)
    context["error"] = error
    return render_template("hardship/detail.html", **context), 422


@bp.route("/<int:hardship_id>/adjust", methods=["POST"])
@roles("school_officer")
def adjust(hardship_id):
    """Start the next semester's adjustment from a noticed or filed determination."""
    app = get_scoped_or_404(HardshipApplication, hardship_id)
    form = EvidenceForm()  # carries the CSRF token only
    if not form.validate_on_submit():
        abort(400)
    try:
        new_app = service.adjust_next_semester(current_user, app)
    except service.HardshipError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("hardship.detail", hardship_id=app.id))
    db.session.commit()
    flash("已建立下学期调整申请，请核对家庭情况，由学生重新签署诚信承诺后提交", "success")
    return redirect(url_for("hardship.detail", hardship_id=new_app.id))


@bp.route("/<int:hardship_id>/evidence", methods=["POST"])
@roles("student", "school_officer")
def upload(hardship_id):
    """Add an evidence file (type checked by content, size-limited)."""
    app = get_scoped_or_404(HardshipApplication, hardship_id)
    form = EvidenceForm()
    if not form.validate_on_submit() or not form.file.data:
        flash("请选择要上传的文件", "error")
        return redirect(url_for("hardship.detail", hardship_id=app.id))
    storage = form.file.data
    data = storage.read(request.max_content_length or 12 * 1024 * 1024)
    try:
        service.add_evidence(current_user, app, storage.filename or "", data)
    except service.HardshipError as exc:
        db.session.rollback()
        context = _detail_context(app)
        context["error"] = str(exc)
        return render_template("hardship/detail.html", **context), 422
    db.session.commit()
    flash("证明材料已上传", "success")
    return redirect(url_for("hardship.detail", hardship_id=app.id))


@bp.route("/evidence/<int:evidence_id>")
@roles(ALL_ROLES)
def evidence(evidence_id):
    """Download an evidence file (only inside the jurisdiction, or the student's own)."""
    ev = get_scoped_or_404(HardshipEvidence, evidence_id)
    path = service.evidence_path(ev)
    if not path.exists():
        abort(404)
    ascii_name = f"evidence-{ev.id}{service.ALLOWED_TYPES.get(ev.mimetype, '')}"
    resp = send_file(path, mimetype=ev.mimetype, as_attachment=True, download_name=ascii_name, max_age=0)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.route("/<int:hardship_id>/form.pdf")
@roles(ALL_ROLES)
def form_pdf(hardship_id):
    """The printable application form (认定申请表) with each step's decision."""
    app = get_scoped_or_404(HardshipApplication, hardship_id)
    steps = steps_for(HARDSHIP_WORKFLOW, app.id)
    from aid.auth.models import User
    users = {u.id: u for u in db.session.execute(select(User).where(User.id.in_([s.user_id for s in steps if s.user_id]))).scalars()}
    data = render_pdf("hardship/form_pdf.html", app=app, steps=steps, users=users, members=service.family(app),
                      income=service.income_summary(app), category_names=service.category_names(service.codes(app)),
                      all_categories=service.categories_for_year(Semester.parse(app.semester).school_year_start),
                      selected=set(service.codes(app)), semester=Semester.parse(app.semester), workflow=HARDSHIP_WORKFLOW)
    return pdf_response(data, f"hardship-{app.id}.pdf")


def _latest_semester():
    """The newest semester with determinations in the jurisdiction, up to the current one."""
    current = programmes.current_semester()
    found = [Semester.parse(t) for t in db.session.execute(
        scope(select(HardshipApplication.semester).distinct(), HardshipApplication)).scalars()]
    found = [s for s in found if s <= current]
    return max(found) if found else current


@bp.route("/coverage")
@roles(STAFF)
def coverage():
    """应助尽助: priority-category students with no determination or no aid this semester."""
    semester = programmes.parse_semester(request.args.get("semester"), default=_latest_semester())
    school_id = request.args.get("school_id", type=int)
    # the school filter's options: plain (id, code, name) rows
    schools = db.session.execute(scope(select(School.id, School.code, School.name), School)
                                 .order_by(School.code)).all() \
        if not current_user.role.startswith("school") else []
    # a province's check reads every determination and application of the year: one school at a
    # time there (its province-wide figures are the 统计报表's 重点保障对象覆盖情况 table)
    pick_school = len(schools) > COVERAGE_ALL_SCHOOLS_UP_TO and not school_id
    total, rows = (0, []) if pick_school else service.coverage_page(current_user, semester, COVERAGE_SHOWN, school_id)
    return render_htmx("hardship/coverage.html", rows=rows, total=total, semester=semester,
                       semesters=_semester_choices(), schools=schools, school_id=school_id, pick_school=pick_school)


COVERAGE_SHOWN = 100  # rows on screen, as the other lists; the count covers all
COVERAGE_ALL_SCHOOLS_UP_TO = 20
