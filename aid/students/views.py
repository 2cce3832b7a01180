"""Student register views: majors, classes, students, import/export, electronic
registration, paper archive, data quality. Thin: parse, call the service, render."""
from __future__ import annotations

import json
from datetime import date

from flask import (Blueprint, abort, flash, make_response, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user
from sqlalchemy import select

from aid.access import AUTHORITY, SCHOOL, STAFF, roles
from aid.audit.models import AuditEvent
from aid.audit.service import ACTION_LABELS
from aid.auth.forms import EmptyForm
from aid.extensions import db
from aid.htmx import STOP_POLLING, client_redirect, is_htmx, render_htmx
from aid.org.models import School
from aid.printing.models import Job
from aid.scoping import get_scoped_or_404, scope, school_ids_select
from aid.students import excel, importer, quality, service, uploads
from aid.students.forms import ClassForm, MajorForm, ReturnForm, StudentForm, StudyModeForm, UploadForm
from aid.students.models import (ARCHIVE_STATES, REGISTER_STATUSES, REGISTRATION_STATES, STUDY_MODES, Major,
                                 SchoolClass, Student)
from aid.students.registration import REGISTRATION_WORKFLOW
from aid.templating import register_nav
from aid.workflow import steps_for

bp = Blueprint("students", __name__, url_prefix="/students")
OFFICER = ("school_officer",)

register_nav("students.index", "学生学籍", STAFF)
register_nav("students.classes", "专业班级", STAFF)
register_nav("students.registration", "电子注册", STAFF)
register_nav("students.quality_page", "数据质量", STAFF)
register_nav("students.import_upload", "名册导入", OFFICER)


def _schools_in_scope():
    return db.session.execute(select(School).where(School.id.in_(school_ids_select())).order_by(School.code)).scalars().all()


# ---------------------------------------------------------------- student list

@bp.route("/", methods=["GET", "POST"])
@roles(STAFF)
def index():
    """Students in the jurisdiction: full-time / part-time tabs, search, filters, sorting, pages.
    The search form posts (so a typed ID number never travels in a URL or an access log);
    links and history carry the keyed hash of an ID instead of the number."""
    if request.method == "POST":
        f = service.StudentFilter.from_args(request.form)
        if not is_htmx():
            return redirect(url_for("students.index", **f.args()), 303)
    else:
        f = service.StudentFilter.from_args(request.args)
    rows, has_next = service.sorted_page(current_user, f)
    counts = service.mode_counts(current_user, f)
    semester = service.current_semester()
    context = dict(students=rows, has_next=has_next, f=f, counts=counts, semester=semester,
                   year_of=lambda s: service.class_year(s.school_class, semester),
                   schools=[], classes=[], majors=[],
                   statuses=REGISTER_STATUSES, reg_states=REGISTRATION_STATES, modes=STUDY_MODES,
                   count_cap=service.COUNT_CAP)
    if not is_htmx():  # the filter form (the partial does not need its choices)
        authority = current_user.role in AUTHORITY
        if not authority or f.school_id:  # a bureau picks a school before its classes are listed
            context.update(classes=service.classes_for(current_user, f.school_id),
                           majors=service.majors_for(current_user, f.school_id))
        if authority:
            context["schools"] = _schools_in_scope()
    context["show_school"] = current_user.role in AUTHORITY
    resp = render_htmx("students/index.html", **context)
    resp.headers["Cache-Control"] = "no-store"
    if request.method == "POST":  # the history entry: a GET URL with the keyed hash, not the ID
        resp.headers["HX-Push-Url"] = url_for("students.index", **f.args())
    return resp


@bp.route("/export")
@roles(STAFF)
def export():
    """The list as filtered, one study mode per file; IDs masked, cells as text."""
    f = service.StudentFilter.from_args(request.args)
    semester = service.current_semester()
    stmt = service.filtered(current_user, f).order_by(Student.school_id, Student.register_no)
    students = db.session.execute(stmt.execution_options(yield_per=1000)).scalars()
    data = excel.students_bytes(students, lambda s: service.class_year(s.school_class, semester))
    label = STUDY_MODES[f.mode]
    from aid.audit.service import record
    record("students.export", user=current_user, object_type="students",
           school_id=current_user.school_id, after={"mode": f.mode, **f.args()},
           summary=f"导出{label}学生名册")
    db.session.commit()
    name = f"students_{f.mode}_{date.today():%Y%m%d}_{label}学生名册.xlsx"
    return send_file(__import__("io").BytesIO(data), as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# ---------------------------------------------------------------- one student

def _student_form(student: Student | None, school_id: int) -> StudentForm:
    form = StudentForm(obj=None)
    classes = service.classes_for(current_user, school_id)
    if student is not None:
        classes = [c for c in classes if c.study_mode == student.study_mode]
    form.class_id.choices = [(c.id, f"{c.name}（{STUDY_MODES[c.study_mode]}）") for c in classes]
    return form


@bp.route("/new", methods=["GET", "POST"])
@roles(OFFICER)
def create():
    """Register one student by hand (draft until submitted)."""
    form = _student_form(None, current_user.school_id)
    if form.validate_on_submit():
        try:
            student = service.create_student(current_user, current_user.school_id, form.values())
        except service.RegisterError as exc:
            db.session.rollback()
            _attach_errors(form, exc)
        else:
            db.session.commit()
            flash(f"已新建学生 {student.name}（待报送注册）", "success")
            return redirect(url_for("students.detail", student_id=student.id))
    status = 422 if request.method == "POST" else 200
    return render_template("students/form.html", form=form, student=None), status


def _attach_errors(form, exc: service.RegisterError) -> None:
    if not exc.errors:
        form.form_errors.append(str(exc))
    for name, messages in exc.errors.items():
        getattr(form, name).errors = list(getattr(form, name).errors) + messages


@bp.route("/<int:student_id>")
@roles(STAFF)
def detail(student_id):
    """A student's record, archive checklist and history (audit events and registration steps)."""
    student = get_scoped_or_404(Student, student_id)
    events = db.session.execute(select(AuditEvent).where(AuditEvent.object_type == "students",
                                                         AuditEvent.object_id == student.id)
                                .order_by(AuditEvent.seq.desc()).limit(200)).scalars().all()
    steps = steps_for(REGISTRATION_WORKFLOW, student.id)
    resp = make_response(render_template(
        "students/detail.html", student=student, events=events, steps=steps, labels=ACTION_LABELS,
        year=service.class_year(student.school_class), checklist=service.archive_checklist(student),
        archive_states=ARCHIVE_STATES, can_manage=service.can_manage(current_user, student.school_id),
        workflow=REGISTRATION_WORKFLOW, form=EmptyForm()))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/<int:student_id>/edit", methods=["GET", "POST"])
@roles(OFFICER)
def edit(student_id):
    """Edit a student; identity fields only while the registration is a draft or returned."""
    student = get_scoped_or_404(Student, student_id)
    form = _student_form(student, student.school_id)
    if student.registration_state not in ("draft", "returned"):
        for name in service.IDENTITY_FIELDS:
            getattr(form, name).render_kw = {**(getattr(form, name).render_kw or {}), "readonly": True,
                                             "aria-readonly": "true"}
    if request.method == "GET":
        form.process(obj=student)
        form.id_number.data = student.id_number_masked
        form.aid_card.data = ""
        form.phone.data = ""
        form.version.data = student.version
    elif form.validate_on_submit():
        values = form.values()
        # masked values echoed back mean "unchanged"
        from aid.students import personal
        if values["id_number"] == student.id_number_masked:
            values["id_number"] = personal.reveal(student, "id_number")
        if not values["aid_card"] and request.form.get("keep_card") == "1":
            values["aid_card"] = personal.reveal(student, "aid_card") or None
            values["aid_card_kind"] = student.aid_card_kind or values["aid_card_kind"]
        if not values["phone"] and request.form.get("keep_phone") == "1":
            values["phone"] = personal.reveal(student, "phone")
        try:
            expected = int(form.version.data or 0) or None
            service.update_student(current_user, student, values, expected)
        except service.RegisterError as exc:
            db.session.rollback()
            _attach_errors(form, exc)
        else:
            db.session.commit()
            flash("学生信息已保存", "success")
            return redirect(url_for("students.detail", student_id=student.id))
    status = 422 if request.method == "POST" else 200
    return render_template("students/form.html", form=form, student=student), status


@bp.route("/<int:student_id>/study-mode", methods=["GET", "POST"])
@roles(OFFICER)
def study_mode(student_id):
    """Move a student between full-time and part-time (explicit, audited, re-registration)."""
    student = get_scoped_or_404(Student, student_id)
    form = StudyModeForm()
    form.class_id.choices = [(c.id, f"{c.name}（{STUDY_MODES[c.study_mode]}）")
                             for c in service.classes_for(current_user, student.school_id)
                             if c.study_mode != student.study_mode]
    if form.validate_on_submit():
        try:
            service.change_study_mode(current_user, student, form.class_id.data, form.reason.data)
        except service.RegisterError as exc:
            db.session.rollback()
            form.reason.errors = list(form.reason.errors) + [str(exc)]
        else:
            db.session.commit()
            flash(f"已变更为{student.study_mode_label}，请重新报送电子注册", "success")
            return redirect(url_for("students.detail", student_id=student.id))
    status = 422 if request.method == "POST" else 200
    return render_template("students/study_mode.html", form=form, student=student), status


@bp.route("/<int:student_id>/reveal/<field>", methods=["POST"])
@roles(STAFF)
def reveal(student_id, field):
    """Show one full protected value once (a partial); the reveal is an audit event."""
    student = get_scoped_or_404(Student, student_id)
    if field not in service.REVEAL_LABELS:
        abort(404)
    value = service.reveal_field(current_user, student, field)
    db.session.commit()
    resp = make_response(render_template("students/_revealed.html", value=value,
                                         label=service.REVEAL_LABELS[field]))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/<int:student_id>/archive", methods=["POST"])
@roles(OFFICER)
def archive(student_id):
    """Record the paper archive checklist (纸质档案) of a student."""
    student = get_scoped_or_404(Student, student_id)
    states = {code: (request.form.get(f"state_{code}", ""), request.form.get(f"note_{code}", ""))
              for code, _label, _item in service.archive_checklist(student)}
    try:
        n = service.record_archive(current_user, student, states)
    except service.RegisterError as exc:
        db.session.rollback()
        return render_template("errors/_error.html", code=422, title="无法保存", message=str(exc)), 422
    db.session.commit()
    message = f"已登记 {n} 项纸质档案" if n else "没有变化"
    if is_htmx():
        return render_template("students/_archive.html", student=student, checklist=service.archive_checklist(student),
                               archive_states=ARCHIVE_STATES, can_manage=True, message=message)
    flash(message, "success")
    return redirect(url_for("students.detail", student_id=student.id))


# ---------------------------------------------------------------- majors and classes

@bp.route("/classes")
@roles(STAFF)
def classes():
    """Majors and classes of the schools in the jurisdiction (year of study computed)."""
    school_id = request.args.get("school_id", type=int)
    semester = service.current_semester()
    schools = _schools_in_scope() if current_user.role in AUTHORITY else []
    # a jurisdiction of many schools lists its thousands of classes one school at a time
    pick_school = not school_id and len(schools) > CLASSES_ALL_SCHOOLS_UP_TO
    return render_template("students/classes.html",
                           majors=[] if pick_school else service.majors_for(current_user, school_id),
                           classes=[] if pick_school else service.classes_for(current_user, school_id),
                           semester=semester, pick_school=pick_school,
                           year_of=lambda c: service.class_year(c, semester), school_id=school_id,
                           schools=schools, can_manage=current_user.role == "school_officer", form=EmptyForm())


CLASSES_ALL_SCHOOLS_UP_TO = 20


@bp.route("/majors/new", methods=["GET", "POST"])
@roles(OFFICER)
def major_new():
    """Add a major to the officer's school."""
    return _major_form(None)


@bp.route("/majors/<int:major_id>/edit", methods=["GET", "POST"])
@roles(OFFICER)
def major_edit(major_id):
    """Edit a major."""
    return _major_form(get_scoped_or_404(Major, major_id))


def _major_form(major):
    form = MajorForm()
    if request.method == "GET" and major is not None:
        form.process(obj=major)
        form.tuition_yuan.data = f"{major.tuition_fen_per_year / 100:.2f}"
        if major.public_tuition_fen_per_year is not None:
            form.public_tuition_yuan.data = f"{major.public_tuition_fen_per_year / 100:.2f}"
    if form.validate_on_submit():
        try:
            service.save_major(current_user, current_user.school_id, major, form.values())
        except service.RegisterError as exc:
            db.session.rollback()
            _attach_errors(form, exc)
        else:
            db.session.commit()
            flash("专业已保存", "success")
            return redirect(url_for("students.classes"))
    status = 422 if request.method == "POST" else 200
    return render_template("students/major_form.html", form=form, major=major), status


@bp.route("/majors/<int:major_id>/delete", methods=["POST"])
@roles(OFFICER)
def major_delete(major_id):
    """Delete a major without classes."""
    major = get_scoped_or_404(Major, major_id)
    try:
        service.delete_major(current_user, major)
    except service.RegisterError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash("专业已删除", "success")
    return redirect(url_for("students.classes"))


@bp.route("/classes/new", methods=["GET", "POST"])
@roles(OFFICER)
def class_new():
    """Add a class to the officer's school."""
    return _class_form(None)


@bp.route("/classes/<int:class_id>/edit", methods=["GET", "POST"])
@roles(OFFICER)
def class_edit(class_id):
    """Edit a class."""
    return _class_form(get_scoped_or_404(SchoolClass, class_id))


def _class_form(cls):
    form = ClassForm(obj=cls) if request.method == "GET" else ClassForm()
    form.major_id.choices = [(m.id, f"{m.code} {m.name}") for m in service.majors_for(current_user, current_user.school_id)]
    if form.validate_on_submit():
        try:
            service.save_class(current_user, current_user.school_id, cls, form.values())
        except service.RegisterError as exc:
            db.session.rollback()
            _attach_errors(form, exc)
        else:
            db.session.commit()
            flash("班级已保存", "success")
            return redirect(url_for("students.classes"))
    status = 422 if request.method == "POST" else 200
    return render_template("students/class_form.html", form=form, cls=cls), status


@bp.route("/classes/<int:class_id>/delete", methods=["POST"])
@roles(OFFICER)
def class_delete(class_id):
    """Delete a class without students."""
    cls = get_scoped_or_404(SchoolClass, class_id)
    try:
        service.delete_class(current_user, cls)
    except service.RegisterError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash("班级已删除", "success")
    return redirect(url_for("students.classes"))


# ---------------------------------------------------------------- import

def _background_rows() -> int:
    from flask import current_app
    return int(current_app.config.get("STUDENT_IMPORT_BACKGROUND_ROWS", 2000))


@bp.route("/import", methods=["GET", "POST"])
@roles(OFFICER)
def import_upload():
    """Upload a roster; it is validated into a preview, nothing is written yet."""
    form = UploadForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        error = None
        if upload is None or not upload.filename:
            error = "请选择要导入的 .xlsx 文件"
        else:
            data = upload.read(importer.MAX_BYTES + 1)
            try:
                token = uploads.save_upload(current_user, current_user.school_id, data, upload.filename)
            except importer.ImportFileError as exc:
                error = str(exc)
        if error:
            form.file.errors = [error]
            return render_template("students/import.html", form=form), 422
        rows = uploads.row_estimate(data)
        if rows > _background_rows():
            uploads.start_job(current_user, token, "preview", rows)
        else:
            _preview_now(token, data)
        return redirect(url_for("students.import_preview", token=token))
    return render_template("students/import.html", form=form)


@bp.errorhandler(413)
def _too_large(_exc):
    """An upload over the server's request limit: the import page with the size rule."""
    if request.endpoint == "students.import_upload":
        form = UploadForm(formdata=None)
        form.file.errors = ["文件超过10 MB，请拆分后分批导入"]
        return render_template("students/import.html", form=form), 413
    return render_template("errors/error.html", code=413, title="文件过大", message="上传的文件超过大小限制。"), 413


def _preview_now(token, data):
    try:
        analysis = importer.analyse(data, current_user.school_id)
    except importer.ImportFileError as exc:
        analysis = importer.Analysis(problems=[importer.Problem(0, "", str(exc))])
    uploads.save_preview(token, analysis)


@bp.route("/import/template")
@roles(SCHOOL)
def import_template():
    """The roster template (.xlsx) with the accepted headers."""
    from io import BytesIO
    return send_file(BytesIO(excel.template_bytes()), as_attachment=True,
                     download_name="student_roster_template_学生名册导入模板.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/import/problems")
@roles(OFFICER)
def import_problems():
    """Every problem of a preview as an .xlsx (the page lists the first PREVIEW_PROBLEM_ROWS)."""
    from io import BytesIO
    token = request.args.get("token", "")
    try:
        meta, _data = uploads.load_upload(current_user, token)
    except uploads.UploadMissing as exc:
        flash(str(exc), "warning")
        return redirect(url_for("students.import_upload"))
    preview = uploads.load_preview(token)
    if preview is None:
        return redirect(url_for("students.import_preview", token=token))
    stem = (meta.get("filename") or "roster").rsplit(".", 1)[0]
    return send_file(BytesIO(excel.problems_bytes(preview["problems"])), as_attachment=True,
                     download_name=f"{stem}_导入问题清单.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _job_for(token) -> Job | None:
    return uploads.job_checked(db.session.execute(scope(select(Job), Job).where(
        Job.created_by == current_user.id, Job.kind.like("student_import_%"),
        Job.params.contains(token)).order_by(Job.id.desc()).limit(1)).scalar_one_or_none())


# A file with a wrong column has a problem on every row: the page groups them and lists this
# many; the download has them all.
PREVIEW_PROBLEM_ROWS = 200


@bp.route("/import/preview")
@roles(OFFICER)
def import_preview():
    """Every problem by row and column, or the confirm button when the file is clean."""
    token = request.args.get("token", "")
    try:
        meta, _data = uploads.load_upload(current_user, token)
    except uploads.UploadMissing as exc:
        job = _job_for(token) if uploads.TOKEN_RE.match(token or "") else None
        if job is not None and job.kind == "student_import_write":
            return render_template("students/import_job.html", job=job, result=_job_result(job))
        flash(str(exc), "warning")
        return redirect(url_for("students.import_upload"))
    job = _job_for(token)
    if job is not None and job.status in ("queued", "running"):
        return render_template("students/import_job.html", job=job, result=None)
    preview = uploads.load_preview(token)
    if preview is None:
        if job is not None and job.status == "failed":
            flash(job.message, "danger")
            uploads.discard(token)
            return redirect(url_for("students.import_upload"))
        return redirect(url_for("students.import_upload"))
    return render_template("students/import_preview.html", preview=preview, meta=meta, token=token,
                           form=EmptyForm(), modes=STUDY_MODES, shown=PREVIEW_PROBLEM_ROWS,
                           groups=importer.group_problems(preview["problems"]))


def _job_result(job):
    try:
        return json.loads(job.message) if job.status == "done" else None
    except ValueError:
        return None


@bp.route("/import/confirm", methods=["POST"])
@roles(OFFICER)
def import_confirm():
    """Write every row in one transaction (validated again first), or nothing."""
    form = EmptyForm()
    token = request.form.get("token", "")
    if not form.validate_on_submit():
        abort(400)
    try:
        meta, data = uploads.load_upload(current_user, token)
    except uploads.UploadMissing as exc:
        flash(str(exc), "warning")
        return redirect(url_for("students.import_upload"))
    rows = uploads.row_estimate(data)
    if rows > _background_rows():
        uploads.start_job(current_user, token, "write", rows)
        return redirect(url_for("students.import_preview", token=token))
    try:
        analysis = importer.analyse(data, current_user.school_id)
        written = importer.write_rows(current_user, current_user.school_id, analysis, meta["filename"])
    except importer.ImportFileError as exc:
        db.session.rollback()
        if "analysis" in locals():
            uploads.save_preview(token, analysis)
        flash(str(exc), "danger")
        return redirect(url_for("students.import_preview", token=token))
    db.session.commit()
    uploads.discard(token)
    flash(f"已导入 {written} 名学生（全日制 {analysis.counts['full_time']}，非全日制 {analysis.counts['part_time']}），"
          "状态为“待报送”", "success")
    mode = "part_time" if analysis.counts["part_time"] and not analysis.counts["full_time"] else "full_time"
    return redirect(url_for("students.index", mode=mode, reg="draft"))


@bp.route("/import/cancel", methods=["POST"])
@roles(OFFICER)
def import_cancel():
    """Discard an uploaded file."""
    form = EmptyForm()
    if form.validate_on_submit():
        token = request.form.get("token", "")
        try:
            uploads.load_upload(current_user, token)
        except uploads.UploadMissing:
            pass
        else:
            uploads.discard(token)
    flash("已取消导入，未写入任何数据", "success")
    return redirect(url_for("students.import_upload"))


@bp.route("/import/jobs/<int:job_id>")
@roles(OFFICER)
def import_job(job_id):
    """Progress of a background import (polled); 286 stops the polling when it is over."""
    job = get_scoped_or_404(Job, job_id)
    if job.created_by != current_user.id or not job.kind.startswith("student_import_"):
        abort(404)
    uploads.job_checked(job)
    finished = job.status in ("done", "failed")
    if not is_htmx():
        return render_template("students/import_job.html", job=job, result=_job_result(job))
    resp = make_response(render_template("students/_import_job.html", job=job, result=_job_result(job)))
    if finished:
        resp.status_code = STOP_POLLING
        token = json.loads(job.params or "{}").get("token", "")
        if job.status == "done" and (job.kind == "student_import_preview"
                                     or not (_job_result(job) or {}).get("written")):
            resp.headers["HX-Redirect"] = url_for("students.import_preview", token=token)
    return resp


# ---------------------------------------------------------------- electronic registration

def _ids_from_form() -> list[int]:
    ids = []
    for v in request.form.getlist("student_id"):
        try:
            ids.append(int(v))
        except ValueError:
            continue
    return ids


def _registration_table(table: list[dict]) -> list[dict]:
    """Each school's row with its eight cells (count, link arguments) in column order: the
    template then loops once per row instead of testing 150 × 8 cells."""
    for row in table:
        sid = row["school"].id
        row["cells"] = [(row[m].get(k, 0), f"school_id={sid}&reg={k}&mode={m}")
                        for m in STUDY_MODES for k in REGISTRATION_STATES]
    return table


@bp.route("/registration")
@roles(STAFF)
def registration():
    """电子注册: the school's drafts to submit, the bureau's submissions to verify; counts per school."""
    f = service.StudentFilter.from_args(request.args)
    if not request.args.get("reg"):
        f.reg = "submitted" if current_user.role in AUTHORITY else "draft"
    f.page_size = 100  # a bureau verifies a page at a time: 100 ticks, and the page stays quick
    rows, has_next = service.registration_page(current_user, f)
    counts = service.mode_counts(current_user, f)
    context = dict(students=rows, has_next=has_next, f=f, counts=counts, reg_states=REGISTRATION_STATES,
                   table=_registration_table(service.registration_by_school(current_user)), modes=STUDY_MODES,
                   return_form=ReturnForm(), form=EmptyForm(), count_cap=service.COUNT_CAP)
    resp = render_htmx("students/registration.html", **context)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _after_bulk(result, verb):
    if result.done:
        flash(f"已{verb} {result.done} 名学生", "success")
    for student, message in result.refused[:20]:
        flash(f"{student.name}（{student.register_no}）：{message}", "danger")
    if not result.done and not result.refused:
        flash("请先勾选学生", "warning")
    target = url_for("students.registration", **{k: v for k, v in request.args.items()})
    return client_redirect(target) if is_htmx() else redirect(target)


@bp.route("/registration/submit", methods=["POST"])
@roles(SCHOOL)
def registration_submit():
    """The school submits the ticked drafts (or returned records) to the bureau."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    result = service.transition_many(current_user, _ids_from_form(), "submit")
    db.session.commit()
    return _after_bulk(result, "报送")


@bp.route("/registration/verify", methods=["POST"])
@roles(AUTHORITY)
def registration_verify():
    """The supervising bureau verifies the ticked submissions."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    result = service.transition_many(current_user, _ids_from_form(), "verify")
    db.session.commit()
    return _after_bulk(result, "审核通过")


@bp.route("/registration/return", methods=["POST"])
@roles(AUTHORITY)
def registration_return():
    """Return the ticked submissions to the school with a typed reason."""
    form = ReturnForm()
    if not form.validate_on_submit():
        message = "；".join(e for errs in form.errors.values() for e in errs) or "请填写退回原因"
        if is_htmx():
            return render_template("errors/_error.html", code=422, title="未退回", message=message), 422
        flash(message, "danger")
        return redirect(url_for("students.registration")), 303
    result = service.transition_many(current_user, _ids_from_form(), "return", form.reason.data)
    db.session.commit()
    return _after_bulk(result, "退回")


# ---------------------------------------------------------------- data quality

@bp.route("/quality")
@roles(STAFF)
def quality_page():
    """不重不漏: duplicates, missing fields, invalid IDs, no class/card, no aid decision."""
    school_id = request.args.get("school_id", type=int)
    sections = quality.report(current_user, school_id)
    resp = make_response(render_template("students/quality.html", sections=sections, school_id=school_id,
                                         schools=_schools_in_scope() if current_user.role in AUTHORITY else []))
    resp.headers["Cache-Control"] = "no-store"
    return resp


# ---------------------------------------------------------------- home panels

def _home_figures(user) -> dict:
    from aid.home.service import registration_counts
    return {"registration": registration_counts(user),
            "by_school": service.registration_by_school(user) if user.role in AUTHORITY else []}


def _register_panels() -> None:
    from aid.home.views import register_panel
    register_panel(SCHOOL + AUTHORITY, "students/_home_panel.html", _home_figures)


_register_panels()


@bp.route("/quality/export")
@roles(STAFF)
def quality_export():
    """The data-quality report as .xlsx (IDs masked; the same scoping as the page)."""
    from io import BytesIO

    from aid.audit.service import record
    school_id = request.args.get("school_id", type=int)
    data = excel.quality_bytes(quality.report(current_user, school_id, limit=quality.EXPORT_LIMIT))
    record("students.export", user=current_user, object_type="students", school_id=current_user.school_id,
           after={"report": "quality", "school_id": school_id}, summary="导出学籍数据质量报告")
    db.session.commit()
    return send_file(BytesIO(data), as_attachment=True,
                     download_name=f"student_data_quality_{date.today():%Y%m%d}_学籍数据质量.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
