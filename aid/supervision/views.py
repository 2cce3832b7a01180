"""Supervision pages: roll calls, red flags, measures, inspections."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from aid.access import AUTHORITY, SCHOOL, STAFF, roles
from aid.auth.models import ROLES
from aid.extensions import db
from aid.home.views import register_panel
from aid.htmx import is_htmx, render_htmx
from aid.org.models import School
from aid.printing.service import pdf_response, render_pdf
from aid.reports.charts import bar_chart
from aid.scoping import get_scoped_or_404, scoped_select
from aid.students.models import Student
from aid.supervision import flag_store, service
from aid.supervision.flags import FLAGS_BY_CODE, key_digest
from aid.supervision.forms import (
    CloseForm, DrawForm, FollowUpForm, InspectionForm, MeasureForm, ReopenForm, RespondForm, ResultForm, ReviewForm,
)
from aid.supervision.models import (
    INSPECTION_POINTS, Finding, Inspection, Measure, RollCall, RollCallEntry, measure_findings,
)
from aid.supervision.workflow import MEASURE_WORKFLOW
from aid.templating import register_nav
from aid.timeutil import local_today
from aid.workflow import steps_for

bp = Blueprint("supervision", __name__, url_prefix="/supervision")
PAGE_SIZE = 50

register_nav("supervision.index", "监督检查", AUTHORITY)
register_nav("supervision.measures", "整改措施", SCHOOL)


def _school_choices():
    return [(s.id, f"{s.code} {s.name}") for s in db.session.execute(scoped_select(School).order_by(School.code)).scalars()]


def _version(form) -> int | None:
    try:
        return int(form.version.data) if form.version.data else None
    except (TypeError, ValueError):
        return None


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


# --- overview ----------------------------------------------------------------------------------------

@bp.route("/")
@roles(AUTHORITY)
def index():
    """Red-flag counts, open measures, recent roll calls and inspections."""
    rollcalls = db.session.execute(scoped_select(RollCall).order_by(RollCall.id.desc()).limit(10)).scalars().all()
    measures = db.session.execute(scoped_select(Measure).where(Measure.state != "closed")
                                  .order_by(Measure.deadline).limit(20)).scalars().all()
    inspections = db.session.execute(scoped_select(Inspection).order_by(Inspection.visit_date.desc()).limit(10)).scalars().all()
    cited = select(measure_findings.c.finding_id)
    findings = db.session.execute(scoped_select(Finding).where(Finding.withdrawn.is_(False), Finding.id.not_in(cited))
                                  .order_by(Finding.id.desc()).limit(20)).scalars().all()
    return render_template("supervision/index.html", flag_summary=flag_store.summary(current_user),
                           rollcalls=rollcalls, measures=measures, inspections=inspections, findings=findings)


# --- roll calls --------------------------------------------------------------------------------------

@bp.route("/rollcalls", methods=["GET", "POST"])
@roles(AUTHORITY)
def rollcalls():
    """Roll calls in the jurisdiction and the form to draw a new sample."""
    form = DrawForm()
    form.school_id.choices = _school_choices()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                rc = service.draw_rollcall(current_user, form.school_id.data, form.size.data, form.kind.data,
                                           form.note.data or "")
            except service.SupervisionError as exc:
                db.session.rollback()
                form.size.errors.append(str(exc))
            else:
                db.session.commit()
                flash(f"已抽取{rc.sample_size}名学生，随机种子 {rc.seed}", "success")
                return redirect(url_for("supervision.rollcall_detail", rollcall_id=rc.id))
        status = 422
    page = _page()
    rows = db.session.execute(scoped_select(RollCall).order_by(RollCall.id.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars().all()
    return render_template("supervision/rollcalls.html", form=form, rollcalls=rows[:PAGE_SIZE],
                           has_next=len(rows) > PAGE_SIZE, page=page), status


@bp.route("/rollcalls/<int:rollcall_id>")
@roles(AUTHORITY)
def rollcall_detail(rollcall_id):
    """The checklist of a sample: one result per student, recorded row by row."""
    rc = get_scoped_or_404(RollCall, rollcall_id)
    db.session.execute(select(RollCallEntry).where(RollCallEntry.roll_call_id == rc.id)
                       .options(selectinload(RollCallEntry.student).selectinload(Student.school_class))).scalars().all()
    return render_template("supervision/rollcall.html", rc=rc)


@bp.route("/rollcalls/<int:rollcall_id>/entries/<int:entry_id>", methods=["POST"])
@roles(AUTHORITY)
def rollcall_result(rollcall_id, entry_id):
    """Record one student's result (在校 / 不在校 / 联系不上); htmx gets the row back."""
    rc = get_scoped_or_404(RollCall, rollcall_id)
    entry = db.session.get(RollCallEntry, entry_id)
    if entry is None or entry.roll_call_id != rc.id:
        abort(404)
    form = ResultForm(prefix=f"e{entry.id}", meta={"csrf": False})  # CSRFProtect checks every POST
    error = None
    if form.validate_on_submit():
        try:
            service.record_result(current_user, entry, form.result.data, form.note.data or "")
        except service.SupervisionError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
    else:
        error = "；".join(e for errs in form.errors.values() for e in errs) or "请选择点名结果"
    if is_htmx():
        return render_template("supervision/_entry_row.html", e=entry, rc=rc, error=error), (422 if error else 200)
    if error:
        flash(error, "error")
    return redirect(url_for("supervision.rollcall_detail", rollcall_id=rc.id))


@bp.route("/rollcalls/<int:rollcall_id>/redraw")
@roles(AUTHORITY)
def rollcall_redraw(rollcall_id):
    """Redraw the sample from its recorded seed and show that it matches."""
    rc = get_scoped_or_404(RollCall, rollcall_id)
    return render_template("supervision/redraw.html", rc=rc, check=service.redraw_check(rc))


@bp.route("/rollcalls/<int:rollcall_id>/record.pdf")
@roles(AUTHORITY)
def rollcall_pdf(rollcall_id):
    """The roll-call record (点名抽验记录) as PDF."""
    rc = get_scoped_or_404(RollCall, rollcall_id)
    data = render_pdf("supervision/rollcall_pdf.html", rc=rc, check=service.redraw_check(rc))
    return pdf_response(data, f"rollcall-{rc.id}.pdf")


# --- red flags ---------------------------------------------------------------------------------------

@bp.route("/flags")
@roles(AUTHORITY)
def flags():
    """Every red flag with its count in the jurisdiction (stored, or live while none is stored)."""
    return render_template("supervision/flags.html", flag_summary=flag_store.summary(current_user))


# where the 刷新 button may send the user back to (nothing else: no open redirect)
REFRESH_BACK = {"flags": "supervision.flags", "index": "supervision.index", "home": "home.index"}


@bp.route("/flags/refresh", methods=["POST"])
@roles(AUTHORITY)
def flags_refresh():
    """刷新: recount and store the red flags of the user's jurisdiction."""
    back = url_for(REFRESH_BACK.get(request.form.get("back", ""), "supervision.flags"))
    root = flag_store.root_of(current_user)
    if root is None:
        flash("账号未设置管辖机构，无法保存风险提示统计。", "error")
        return redirect(back)
    flag_store.refresh([root])
    flash("风险提示条数已重新统计。", "success")
    return redirect(back)


@bp.route("/flags/<code>")
@roles(AUTHORITY)
def flag_detail(code):
    """The rows of one red flag, each with its review."""
    flag = FLAGS_BY_CODE.get(code) or abort(404)
    page = _page()
    return render_htmx("supervision/flag.html", flag=flag, result=flag.page(current_user, page), page=page,
                       form=ReviewForm(), digest=key_digest)


@bp.route("/flags/<code>/review", methods=["POST"])
@roles(AUTHORITY)
def flag_review(code):
    """Mark one flagged row as reviewed, with a note (audited)."""
    flag = FLAGS_BY_CODE.get(code) or abort(404)
    form = ReviewForm()
    key = (request.form.get("key") or "")[:260]
    rows = flag.page(current_user, key=key).rows if key else []
    if not rows:
        abort(404)
    error = None
    if form.validate_on_submit():
        try:
            service.review_flag(current_user, flag, key, form.note.data)
        except service.SupervisionError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
    else:
        error = "；".join(e for errs in form.errors.values() for e in errs)
    row = flag.page(current_user, key=key).rows[0]
    if is_htmx():
        return render_template("supervision/_flag_row.html", flag=flag, row=row, form=ReviewForm(), digest=key_digest,
                               error=error), (422 if error else 200)
    flash(error or "已标记为已复核", "error" if error else "success")
    return redirect(url_for("supervision.flag_detail", code=flag.code))


@bp.route("/flags/<code>/finding", methods=["POST"])
@roles(AUTHORITY)
def flag_finding(code):
    """Record a flagged row as a finding of its school and go on to open a measure with it."""
    flag = FLAGS_BY_CODE.get(code) or abort(404)
    key = (request.form.get("key") or "")[:260]
    if not key or not flag.page(current_user, key=key).rows:
        abort(404)
    try:
        finding = service.finding_from_flag(current_user, flag, key)
    except service.SupervisionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("supervision.flag_detail", code=flag.code))
    db.session.commit()
    return redirect(url_for("supervision.measure_new", school_id=finding.school_id, finding_id=finding.id))


# --- measures ----------------------------------------------------------------------------------------

@bp.route("/measures")
@roles(STAFF)
def measures():
    """Measures against schools; a school sees only its own."""
    state = request.args.get("state", "")
    stmt = scoped_select(Measure).order_by(Measure.id.desc())
    if state in MEASURE_WORKFLOW.states:
        stmt = stmt.where(Measure.state == state)
    page = _page()
    rows = db.session.execute(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars().all()
    return render_htmx("supervision/measures.html", measures=rows[:PAGE_SIZE], has_next=len(rows) > PAGE_SIZE,
                       page=page, state=state, states=MEASURE_WORKFLOW.states)


@bp.route("/measures/new", methods=["GET", "POST"])
@roles(AUTHORITY)
def measure_new():
    """Open a 约谈 / 警告 / 通报 against a school in the jurisdiction."""
    form = MeasureForm()
    form.school_id.choices = _school_choices()
    school_ids = [sid for sid, _ in form.school_id.choices]
    findings = db.session.execute(select(Finding).where(Finding.school_id.in_(school_ids), Finding.withdrawn.is_(False))
                                  .order_by(Finding.id.desc()).limit(300)).scalars().all() if school_ids else []
    form.finding_ids.choices = [(f.id, f"{f.school.name}：{f.description}") for f in findings]
    if request.method == "GET":
        form.school_id.data = request.args.get("school_id", type=int) or form.school_id.data
        wanted = request.args.get("finding_id", type=int)
        if wanted:
            form.finding_ids.data = [wanted]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                measure = service.open_measure(current_user, form.school_id.data, form.kind.data, form.reason.data,
                                               form.deadline.data, form.finding_ids.data or [])
            except service.SupervisionError as exc:
                db.session.rollback()
                _field_for(form, str(exc)).errors.append(str(exc))
            else:
                db.session.commit()
                flash(f"已对{measure.school.name}采取{measure.kind_label}措施", "success")
                return redirect(url_for("supervision.measure_detail", measure_id=measure.id))
        status = 422
    return render_template("supervision/measure_form.html", form=form), status


def _field_for(form, message: str):
    """The form field a refusal message is about, so it shows next to that field."""
    if "原因" in message:
        return form.reason
    if "期限" in message or "日历" in message or "工作日" in message:
        return form.deadline
    if "问题" in message:
        return form.finding_ids
    return form.school_id


@bp.route("/measures/<int:measure_id>")
@roles(STAFF)
def measure_detail(measure_id):
    """A measure, its findings, the school's response and the steps taken."""
    measure = get_scoped_or_404(Measure, measure_id)
    return render_template("supervision/measure.html", m=measure, steps=steps_for(MEASURE_WORKFLOW, measure.id),
                           respond_form=RespondForm(version=measure.version), close_form=CloseForm(version=measure.version),
                           reopen_form=ReopenForm(version=measure.version), states=MEASURE_WORKFLOW.states,
                           role_labels=ROLES)


def _measure_action(measure_id, form_class, action):
    measure = get_scoped_or_404(Measure, measure_id)
    form = form_class()
    if form.validate_on_submit():
        try:
            action(measure, form)
        except service.SupervisionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("已保存", "success")
            return redirect(url_for("supervision.measure_detail", measure_id=measure_id))
    else:
        for errs in form.errors.values():
            for e in errs:
                flash(e, "error")
    db.session.rollback()
    measure = get_scoped_or_404(Measure, measure_id)
    return render_template("supervision/measure.html", m=measure, steps=steps_for(MEASURE_WORKFLOW, measure.id),
                           respond_form=RespondForm(version=measure.version), close_form=CloseForm(version=measure.version),
                           reopen_form=ReopenForm(version=measure.version), states=MEASURE_WORKFLOW.states,
                           role_labels=ROLES), 422


@bp.route("/measures/<int:measure_id>/respond", methods=["POST"])
@roles(SCHOOL)
def measure_respond(measure_id):
    """The school answers with its rectification."""
    return _measure_action(measure_id, RespondForm, lambda m, f: service.respond_measure(
        current_user, m, f.response.data, _version(f)))


@bp.route("/measures/<int:measure_id>/close", methods=["POST"])
@roles(AUTHORITY)
def measure_close(measure_id):
    """The bureau closes a measure the school has answered."""
    return _measure_action(measure_id, CloseForm, lambda m, f: service.close_measure(
        current_user, m, f.note.data or "", _version(f)))


@bp.route("/measures/<int:measure_id>/reopen", methods=["POST"])
@roles(AUTHORITY)
def measure_reopen(measure_id):
    """The bureau asks for more rectification."""
    return _measure_action(measure_id, ReopenForm, lambda m, f: service.reopen_measure(
        current_user, m, f.reason.data, _version(f)))


# --- inspections -------------------------------------------------------------------------------------

@bp.route("/inspections")
@roles(AUTHORITY)
def inspections():
    """Inspection visits in the jurisdiction."""
    page = _page()
    rows = db.session.execute(scoped_select(Inspection).order_by(Inspection.visit_date.desc(), Inspection.id.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars().all()
    return render_template("supervision/inspections.html", inspections=rows[:PAGE_SIZE],
                           has_next=len(rows) > PAGE_SIZE, page=page)


@bp.route("/inspections/new", methods=["GET", "POST"])
@roles(AUTHORITY)
def inspection_new():
    """Record a visit: the five points of the seed, findings and follow-up."""
    form = InspectionForm()
    form.school_id.choices = _school_choices()
    if request.method == "GET":
        form.visit_date.data = local_today()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            points = {code: (getattr(form, f"point_{code}").result.data, getattr(form, f"point_{code}").note.data or "")
                      for code in INSPECTION_POINTS}
            try:
                inspection = service.create_inspection(current_user, form.school_id.data, form.visit_date.data,
                                                       form.inspectors.data, points, form.findings_text.data or "",
                                                       form.follow_up.data or "")
            except service.SupervisionError as exc:
                db.session.rollback()
                form.visit_date.errors.append(str(exc))
            else:
                db.session.commit()
                flash("监督检查记录已保存", "success")
                return redirect(url_for("supervision.inspection_detail", inspection_id=inspection.id))
        status = 422
    return render_template("supervision/inspection_form.html", form=form, points=INSPECTION_POINTS), status


@bp.route("/inspections/<int:inspection_id>")
@roles(AUTHORITY)
def inspection_detail(inspection_id):
    """One inspection record."""
    inspection = get_scoped_or_404(Inspection, inspection_id)
    findings = db.session.execute(select(Finding).where(Finding.inspection_id == inspection.id)).scalars().all()
    return render_template("supervision/inspection.html", i=inspection, findings=findings,
                           form=FollowUpForm(follow_up=inspection.follow_up))


@bp.route("/inspections/<int:inspection_id>/follow-up", methods=["POST"])
@roles(AUTHORITY)
def inspection_follow_up(inspection_id):
    """Update the follow-up of an inspection."""
    inspection = get_scoped_or_404(Inspection, inspection_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            service.update_follow_up(current_user, inspection, form.follow_up.data)
        except service.SupervisionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("整改跟踪情况已更新", "success")
            return redirect(url_for("supervision.inspection_detail", inspection_id=inspection.id))
    findings = db.session.execute(select(Finding).where(Finding.inspection_id == inspection.id)).scalars().all()
    return render_template("supervision/inspection.html", i=inspection, findings=findings, form=form), 422


# --- home panels -------------------------------------------------------------------------------------

def _authority_panel(user):
    flag_summary = flag_store.summary(user)
    counts = flag_summary.counts
    open_measures = db.session.execute(scoped_select(Measure, user).where(Measure.state != "closed")
                                       .order_by(Measure.deadline).limit(10)).scalars().all()
    chart = bar_chart([(flag.label, count.open) for flag, count in counts if count is not None],
                      "待复核的风险提示", "条")
    return {"flag_summary": flag_summary, "open_measures": open_measures, "chart": chart}


def _school_panel(user):
    rows = db.session.execute(scoped_select(Measure, user).where(Measure.state != "closed")
                              .order_by(Measure.deadline).limit(10)).scalars().all()
    return {"open_measures": rows}


register_panel(AUTHORITY, "supervision/_panel_authority.html", _authority_panel)
register_panel(SCHOOL, "supervision/_panel_school.html", _school_panel)
