"""Funds pages: allocations, payment batches (build, review, lock, ledger, bank
files), student receipts, settlement and recovery. Thin: parse, call the
service, render."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from aid.access import AUTHORITY, SCHOOL, STAFF, roles
from aid.extensions import db
from aid.funds import bank, ledger, service, settlement as settle_service
from aid.funds.forms import (AllocationForm, BuildForm, RecoveryForm, ReasonForm, SettlementForm, UploadForm,
                             VersionForm)
from aid.funds.models import (BATCH_STATES, FUND_SOURCES, LINE_STATUSES, Allocation, BatchExclusion, PaymentBatch,
                              PaymentLine, Settlement)
from aid.funds.periods import periods_of
from aid.htmx import STOP_POLLING, is_htmx, render_htmx
from aid.org.models import School
from aid.printing.models import StoredDocument
from aid.printing.service import send_document
from aid.programmes.models import Programme
from aid.programmes.semesters import Semester
from aid.scoping import get_scoped_or_404, scope, scoped_select
from aid.students.models import SchoolClass, Student
from aid.templating import register_nav
from aid.timeutil import local_today

bp = Blueprint("funds", __name__, url_prefix="/funds")
LINES_PER_PAGE = 200
LIST_PAGE = 50  # rows per page of the allocation, batch and recovery lists
WAIVER_PAGE = 200
WAIVER_ROWS_UP_TO_SCHOOLS = 20  # more schools: a summary per school until one is chosen
MAX_UPLOAD = 5 * 1024 * 1024

register_nav("funds.batches", "资金发放", STAFF)
register_nav("funds.allocations", "资金下达", STAFF)
register_nav("funds.settlements", "学期结算", STAFF)
register_nav("funds.my_payments", "我的资助", ("student",))


# --- helpers ------------------------------------------------------------------------

def _semesters(back: int = 4, ahead: int = 1) -> list[Semester]:
    current = Semester.containing(local_today())
    return [Semester.from_ordinal(current.ordinal + k) for k in range(ahead, -back - 1, -1)]


def _semester_choices():
    return [(str(s), s.label) for s in _semesters()]


def _school_choices():
    rows = db.session.execute(scoped_select(School).order_by(School.code)).scalars()
    return [(s.id, f"{s.code} {s.name}") for s in rows]


def _programmes(school_id: int | None = None, card_only: bool | None = None) -> list[Programme]:
    stmt = select(Programme).where(Programme.active.is_(True)).order_by(Programme.id)
    if school_id is not None:
        stmt = stmt.where((Programme.school_id.is_(None)) | (Programme.school_id == school_id))
    else:
        stmt = stmt.where(Programme.school_id.is_(None) | Programme.school_id.in_(scope(select(School.id), School)))
    return list(db.session.execute(stmt).scalars())


def _period_choices(programmes: list[Programme]):
    choices = []
    for sem in _semesters():
        choices.append((str(sem), f"{sem.label}（按学期）"))
        for p in periods_of(sem, "monthly"):
            choices.append((p.key, f"{p.label}（按月）"))
    return choices


def _version_of(form) -> int | None:
    value = (form.version.data or "").strip()
    return int(value) if value.isdigit() else None


def _fail(message: str, target: str):
    db.session.rollback()
    flash(message, "danger")
    return redirect(target)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _page() -> int:
    return max(_int_arg("page") or 1, 1)


def _paged(stmt, page: int, size: int = LIST_PAGE) -> tuple[list, bool]:
    """One page of rows and whether another follows (one row more is read, no count)."""
    rows = db.session.execute(stmt.limit(size + 1).offset((page - 1) * size)).scalars().all()
    return rows[:size], len(rows) > size


# --- allocations --------------------------------------------------------------------

@bp.route("/allocations")
@roles(STAFF)
def allocations():
    """Allocations in the jurisdiction, newest first, filterable by semester."""
    semester = request.args.get("semester", "")
    stmt = scoped_select(Allocation).order_by(Allocation.doc_date.desc(), Allocation.id.desc())
    total_stmt = scope(select(func.coalesce(func.sum(Allocation.amount_fen), 0)), Allocation)
    if semester:
        stmt = stmt.where(Allocation.semester == semester)
        total_stmt = total_stmt.where(Allocation.semester == semester)
    page = _page()
    rows, has_next = _paged(stmt.options(selectinload(Allocation.school), selectinload(Allocation.programme)), page)
    return render_htmx("funds/allocations.html", allocations=rows, total=db.session.scalar(total_stmt),
                       semester=semester, semesters=_semester_choices(), sources=FUND_SOURCES,
                       page=page, has_next=has_next)


@bp.route("/allocations/new", methods=["GET", "POST"])
@roles(AUTHORITY)
def allocation_new():
    """Enter an allocation (资金下达) for a school in the jurisdiction."""
    form = AllocationForm()
    form.school_id.choices = _school_choices()
    form.programme_id.choices = [(p.id, p.name) for p in _programmes()]
    form.semester.choices = _semester_choices()
    if form.validate_on_submit():
        try:
            service.add_allocation(current_user, school_id=form.school_id.data, programme_id=form.programme_id.data,
                                   semester=form.semester.data, source=form.source.data,
                                   doc_number=form.doc_number.data, doc_date=form.doc_date.data,
                                   amount=form.amount.data, note=form.note.data or "")
        except service.FundsError as exc:
            db.session.rollback()
            form.amount.errors.append(str(exc))
        else:
            db.session.commit()
            flash("资金下达已登记", "success")
            return redirect(url_for("funds.allocations"))
    status = 422 if request.method == "POST" else 200
    return render_template("funds/allocation_form.html", form=form), status


@bp.route("/allocations/totals")
@roles(AUTHORITY)
def allocation_totals():
    """Allocations totalled per school, per supervising bureau and for the province."""
    semester = request.args.get("semester", "")
    schools = db.session.execute(scoped_select(School).order_by(School.code)).scalars().all()
    groups, by_source, overall = settle_service.allocation_totals(schools, semester or None)
    return render_htmx("funds/allocation_totals.html", groups=groups, by_source=by_source, overall=overall,
                       semester=semester, semesters=_semester_choices(), sources=FUND_SOURCES)


# --- batches ------------------------------------------------------------------------

@bp.route("/batches")
@roles(STAFF)
def batches():
    """Payment batches in the jurisdiction."""
    state = request.args.get("state", "")
    programme_id = _int_arg("programme_id")
    stmt = scoped_select(PaymentBatch).order_by(PaymentBatch.id.desc())
    if state in BATCH_STATES:
        stmt = stmt.where(PaymentBatch.state == state)
    if programme_id:
        stmt = stmt.where(PaymentBatch.programme_id == programme_id)
    page = _page()
    rows, has_next = _paged(stmt.options(selectinload(PaymentBatch.school), selectinload(PaymentBatch.programme)),
                            page)
    return render_htmx("funds/batches.html", batches=rows, states=BATCH_STATES, state=state,
                       programmes=_programmes(), programme_id=programme_id, page=page, has_next=has_next)


@bp.route("/batches/new", methods=["GET", "POST"])
@roles("school_officer")
def batch_new():
    """Build a batch from the bureau-approved applications of a period."""
    form = BuildForm()
    programmes = _programmes(current_user.school_id)
    form.programme_id.choices = [(p.id, p.name) for p in programmes]
    form.period.choices = _period_choices(programmes)
    if form.validate_on_submit():
        try:
            batch = service.build_batch(current_user, school_id=current_user.school_id,
                                        programme_id=form.programme_id.data, period_text=form.period.data,
                                        note=form.note.data or "")
        except service.FundsError as exc:
            db.session.rollback()
            form.period.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"已生成第{batch.id}号发放批次：{batch.line_count}人", "success")
            return redirect(url_for("funds.batch_detail", batch_id=batch.id))
    status = 422 if request.method == "POST" else 200
    return render_template("funds/batch_form.html", form=form), status


@bp.route("/batches/<int:batch_id>")
@roles(STAFF)
def batch_detail(batch_id):
    """A batch: its lines, the students left out with the reasons, and its actions."""
    batch = get_scoped_or_404(PaymentBatch, batch_id)
    page = max(1, _int_arg("page") or 1)
    rows = db.session.execute(
        select(PaymentLine, Student.name, Student.id_number_masked, SchoolClass.name)
        .join(Student, Student.id == PaymentLine.student_id)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(PaymentLine.batch_id == batch.id).order_by(PaymentLine.serial)
        .offset((page - 1) * LINES_PER_PAGE).limit(LINES_PER_PAGE + 1)).all()
    has_next = len(rows) > LINES_PER_PAGE
    exclusions = db.session.execute(
        select(BatchExclusion, Student.name).join(Student, Student.id == BatchExclusion.student_id)
        .where(BatchExclusion.batch_id == batch.id).order_by(BatchExclusion.code, BatchExclusion.id)).all()
    job = ledger.checked_job(batch)
    resp = make_response(render_htmx(
        "funds/batch_detail.html", batch=batch, lines=rows[:LINES_PER_PAGE], has_next=has_next, page=page,
        exclusions=exclusions, counts=service.line_counts_by_status(batch), statuses=LINE_STATUSES, job=job,
        job_active=ledger.job_active(job),
        version_form=VersionForm(version=str(batch.version)), reason_form=ReasonForm(version=str(batch.version)),
        upload_form=UploadForm()))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _batch_action(batch_id, action):
    batch = get_scoped_or_404(PaymentBatch, batch_id)
    form = ReasonForm() if action == "discard" else VersionForm()
    target = url_for("funds.batch_detail", batch_id=batch.id)
    if not form.validate_on_submit():
        return _fail("；".join(e for errs in form.errors.values() for e in errs) or "表单无效，请刷新后重试", target)
    if action == "lock":
        return _lock(batch, _version_of(form), target)
    try:
        if action == "review":
            service.review_batch(current_user, batch, _version_of(form))
            message = "已复核"
        else:
            service.discard_batch(current_user, batch, form.reason.data, _version_of(form))
            message = "批次已作废"
    except service.FundsError as exc:
        return _fail(str(exc), target)
    db.session.commit()
    flash(message, "success")
    return redirect(target)


def _lock(batch: PaymentBatch, version: int | None, target: str):
    """Lock with the ledger, all or nothing (ledger.lock_and_render): in this request for
    a small batch, in a background job with a progress bar for a large one."""
    if batch.line_count > current_app.config.get("FUNDS_LEDGER_SYNC_MAX_ROWS", 300):
        try:
            job = ledger.queue_lock_job(batch, current_user, version)
        except service.FundsError as exc:
            return _fail(str(exc), target)
        db.session.commit()
        ledger.start_job(job.id)
        flash("发放台账正在后台生成，生成完成后批次即锁定", "success")
        return redirect(target)
    try:
        ledger.lock_and_render(batch.id, current_user, version)
        db.session.commit()
    except service.FundsError as exc:
        return _fail(str(exc), target)
    except Exception:  # nothing was written: the batch is as it was, the lock can be retried
        current_app.logger.exception("lock of batch %s failed", batch.id)
        return _fail("发放台账生成失败，批次未锁定，请重试；如仍失败请联系管理员", target)
    flash("批次已锁定，发放台账已生成", "success")
    return redirect(target)


@bp.route("/batches/<int:batch_id>/review", methods=["POST"])
@roles("school_officer")
def batch_review(batch_id):
    """A second officer checks the batch (optional step before locking)."""
    return _batch_action(batch_id, "review")


@bp.route("/batches/<int:batch_id>/lock", methods=["POST"])
@roles("school_leader")
def batch_lock(batch_id):
    """The school leader locks the batch; the ledger is rendered once."""
    return _batch_action(batch_id, "lock")


@bp.route("/batches/<int:batch_id>/discard", methods=["POST"])
@roles(SCHOOL)
def batch_discard(batch_id):
    """Throw away a draft batch (with a reason); locked batches cannot be discarded."""
    return _batch_action(batch_id, "discard")


@bp.route("/batches/<int:batch_id>/ledger")
@roles(STAFF)
def batch_ledger(batch_id):
    """The stored ledger PDF (served from storage, never re-rendered)."""
    batch = get_scoped_or_404(PaymentBatch, batch_id)
    if batch.ledger_document_id is None:
        abort(404)
    doc = db.session.get(StoredDocument, batch.ledger_document_id)
    return send_document(doc, f"ledger-{batch.id}.pdf")


@bp.route("/batches/<int:batch_id>/ledger/progress")
@roles(STAFF)
def batch_ledger_progress(batch_id):
    """Progress of a background ledger job; polling stops (286) when it ends."""
    batch = get_scoped_or_404(PaymentBatch, batch_id)
    job = ledger.checked_job(batch)
    html = render_template("funds/_ledger_status.html", batch=batch, job=job, job_active=ledger.job_active(job))
    finished = batch.ledger_document_id is not None or not ledger.job_active(job)
    resp = make_response(html, STOP_POLLING if finished and is_htmx() else 200)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/batches/<int:batch_id>/ledger/render", methods=["POST"])
@roles(SCHOOL)
def batch_ledger_render(batch_id):
    """Retry a ledger whose background rendering failed."""
    batch = get_scoped_or_404(PaymentBatch, batch_id)
    target = url_for("funds.batch_detail", batch_id=batch.id)
    if not VersionForm().validate_on_submit():
        return _fail("表单已过期，请刷新后重试", target)
    job = ledger.checked_job(batch)
    if not batch.is_locked or batch.ledger_document_id is not None or ledger.job_active(job):
        return _fail("该批次的台账已生成或正在生成", target)
    job = ledger.queue_job(batch, current_user)
    db.session.commit()
    ledger.start_job(job.id)
    flash("已重新开始生成发放台账", "success")
    return redirect(target)


@bp.route("/batches/<int:batch_id>/bank-file", methods=["POST"])
@roles(SCHOOL)
def batch_bank_file(batch_id):
    """Export the payment file for the bank (full card numbers; audited)."""
    batch = get_scoped_or_404(PaymentBatch, batch_id)
    target = url_for("funds.batch_detail", batch_id=batch.id)
    if not VersionForm().validate_on_submit():
        return _fail("表单已过期，请刷新后重试", target)
    try:
        data = bank.export_payment_file(current_user, batch)
    except service.FundsError as exc:
        return _fail(str(exc), target)
    db.session.commit()
    resp = make_response(data)
    resp.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    resp.headers["Content-Disposition"] = f'attachment; filename="bank-batch-{batch.id}.xlsx"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/batches/<int:batch_id>/bank-return", methods=["GET", "POST"])
@roles(SCHOOL)
def batch_bank_return(batch_id):
    """Import the bank's return file: lines paid or failed (with the reason)."""
    batch = get_scoped_or_404(PaymentBatch, batch_id)
    form = UploadForm()
    errors: list[str] = []
    if form.validate_on_submit():
        upload = request.files.get("file")
        data = upload.read(MAX_UPLOAD + 1) if upload else b""
        if not data:
            errors = ["请选择银行回盘文件（.xlsx）"]
        elif len(data) > MAX_UPLOAD:
            errors = ["文件超过5MB"]
        else:
            try:
                result = bank.import_bank_return(current_user, batch, data)
            except bank.BankReturnError as exc:
                db.session.rollback()
                errors = exc.errors
            except service.FundsError as exc:
                db.session.rollback()
                errors = [str(exc)]
            else:
                db.session.commit()
                flash(f"银行回盘已导入：成功{result.paid}笔，失败{result.failed}笔"
                      + ("（失败的记录将在下一批次补发）" if result.failed else ""), "success")
                return redirect(url_for("funds.batch_detail", batch_id=batch.id))
    elif request.method == "POST":
        errors = ["表单已过期，请刷新后重试"]
    status = 422 if errors else 200
    return render_template("funds/bank_return.html", batch=batch, form=form, errors=errors), status


# --- students -----------------------------------------------------------------------

@bp.route("/my")
@roles("student")
def my_payments():
    """The student's own payments; paid ones can be confirmed as received."""
    rows = db.session.execute(scoped_select(PaymentLine).where(PaymentLine.status != "cancelled")
                              .order_by(PaymentLine.id.desc())).scalars().all()
    return render_htmx("funds/my_payments.html", lines=rows, form=VersionForm())


@bp.route("/my/<int:line_id>/confirm", methods=["POST"])
@roles("student")
def my_confirm(line_id):
    """Confirm receipt of one's own payment."""
    line = get_scoped_or_404(PaymentLine, line_id)
    if not VersionForm().validate_on_submit():
        return _fail("表单已过期，请刷新后重试", url_for("funds.my_payments"))
    try:
        service.confirm_receipt(current_user, line)
    except service.FundsError as exc:
        return _fail(str(exc), url_for("funds.my_payments"))
    db.session.commit()
    if is_htmx():
        return render_template("funds/_my_line.html", line=line, form=VersionForm())
    flash("已确认收到", "success")
    return redirect(url_for("funds.my_payments"))


# --- settlement ---------------------------------------------------------------------

@bp.route("/settlements")
@roles(STAFF)
def settlements():
    """Settlements, and the live roll-up per school, bureau and province."""
    programmes = _programmes()
    programme_id = _int_arg("programme_id") or (programmes[0].id if programmes else None)
    semester_text = request.args.get("semester") or str(Semester.containing(local_today()))
    try:
        semester = Semester.parse(semester_text)
    except ValueError:
        semester = Semester.containing(local_today())
    schools = db.session.execute(scoped_select(School).order_by(School.code)
                                 .options(selectinload(School.authority))).scalars().all()
    groups, overall = settle_service.rollup(schools, programme_id, semester) if programme_id else ([], None)
    done = db.session.execute(scoped_select(Settlement).order_by(Settlement.id.desc()).limit(200)).scalars().all()
    return render_htmx("funds/settlements.html", groups=groups, overall=overall, settlements=done,
                       programmes=programmes, programme_id=programme_id, semester=semester,
                       semesters=_semester_choices())


@bp.route("/settlements/new", methods=["GET", "POST"])
@roles(SCHOOL)
def settlement_new():
    """Settle a programme's semester for the school (no open batches allowed)."""
    form = SettlementForm()
    form.programme_id.choices = [(p.id, p.name) for p in _programmes(current_user.school_id)]
    form.semester.choices = _semester_choices()
    preview = None
    if form.programme_id.data and form.semester.data:
        try:
            sem = Semester.parse(form.semester.data)
            preview = settle_service.figures_for([current_user.school_id], form.programme_id.data, sem)[current_user.school_id]
        except ValueError:
            preview = None
    if form.validate_on_submit():
        try:
            s = settle_service.settle(current_user, school_id=current_user.school_id,
                                      programme_id=form.programme_id.data, semester=form.semester.data,
                                      note=form.note.data or "")
        except service.FundsError as exc:
            db.session.rollback()
            form.note.errors.append(str(exc))
        else:
            db.session.commit()
            flash("学期结算已完成，结算表已生成", "success")
            return redirect(url_for("funds.settlement_detail", settlement_id=s.id))
    status = 422 if request.method == "POST" else 200
    return render_template("funds/settlement_form.html", form=form, preview=preview), status


@bp.route("/settlements/<int:settlement_id>")
@roles(STAFF)
def settlement_detail(settlement_id):
    """One settlement and its figures."""
    s = get_scoped_or_404(Settlement, settlement_id)
    return render_template("funds/settlement_detail.html", s=s)


@bp.route("/settlements/<int:settlement_id>/statement")
@roles(STAFF)
def settlement_statement(settlement_id):
    """The stored settlement statement PDF."""
    s = get_scoped_or_404(Settlement, settlement_id)
    if s.document_id is None:
        abort(404)
    return send_document(db.session.get(StoredDocument, s.document_id), f"settlement-{s.id}.pdf")


# --- recovery and waivers -----------------------------------------------------------

@bp.route("/recovery")
@roles(STAFF)
def recovery():
    """Payments made for periods after an approved withdrawal or suspension."""
    page = _page()
    rows, has_next = service.recovery_page(current_user, page, LIST_PAGE)
    recovered = db.session.execute(scoped_select(PaymentLine).where(PaymentLine.status == "recovered")
                                   .options(selectinload(PaymentLine.student), selectinload(PaymentLine.programme))
                                   .order_by(PaymentLine.recovered_at.desc()).limit(200)).scalars().all()
    return render_htmx("funds/recovery.html", rows=rows, has_next=has_next, page=page,
                       recovered=recovered, form=RecoveryForm())


@bp.route("/recovery/<int:line_id>", methods=["POST"])
@roles(SCHOOL)
def recovery_mark(line_id):
    """Record that a payment was recovered (audited)."""
    line = get_scoped_or_404(PaymentLine, line_id)
    form = RecoveryForm()
    if not form.validate_on_submit():
        return _fail("；".join(e for errs in form.errors.values() for e in errs), url_for("funds.recovery"))
    try:
        service.mark_recovered(current_user, line, form.note.data)
    except service.FundsError as exc:
        return _fail(str(exc), url_for("funds.recovery"))
    db.session.commit()
    flash("已登记追回", "success")
    return redirect(url_for("funds.recovery"))


@bp.route("/waivers")
@roles(STAFF)
def waivers():
    """The tuition-waiver ledger: per student and semester, against the tuition standard."""
    semester = request.args.get("semester") or str(Semester.containing(local_today()))
    school_id = _int_arg("school_id")
    # waivers are paid per semester, so a line's period is the semester key: the filter runs
    # on the covering index ix_payment_lines_rollup
    # the waiver programmes' ids as values, not a sub-select: SQLite then reads the covering index
    # instead of walking the school_id index through every line (≈ 100 → 20 ms for a province)
    waiver_ids = list(db.session.execute(select(Programme.id).where(Programme.paid_to_card.is_(False))).scalars())
    waived = (select().select_from(PaymentLine)
              .where(PaymentLine.programme_id.in_(waiver_ids), PaymentLine.period == semester,
                     PaymentLine.status != "cancelled"))
    if school_id:
        waived = waived.where(PaymentLine.school_id == school_id)
    sums = (func.count(), func.coalesce(func.sum(case((PaymentLine.status == "waived", PaymentLine.amount_fen),
                                                      else_=0)), 0))
    schools = db.session.execute(scoped_select(School).order_by(School.code)).scalars().all() \
        if current_user.role in AUTHORITY else []
    context = dict(semester=semester, semesters=_semester_choices(), schools=schools,
                   school_id=school_id, rows=[], has_next=False, page=1, per_school=[])
    if len(schools) > WAIVER_ROWS_UP_TO_SCHOOLS and not school_id:
        # a province's ledger is tens of thousands of lines: per school first, the lines per school;
        # the overall count and total are the sums of the per-school figures (one pass over the index)
        figures = {sid: (int(n), int(fen)) for sid, n, fen in db.session.execute(scope(
            waived.add_columns(PaymentLine.school_id, *sums).group_by(PaymentLine.school_id), PaymentLine))}
        context["per_school"] = [(school, *figures[school.id]) for school in schools if school.id in figures]
        context.update(count=sum(n for n, _fen in figures.values()), total=sum(fen for _n, fen in figures.values()))
        return render_htmx("funds/waivers.html", **context)
    count, total = db.session.execute(scope(waived.add_columns(*sums), PaymentLine)).one()
    context.update(count=count, total=total)
    stmt = (waived.add_columns(PaymentLine, Student.name, SchoolClass.name)
            .join(Student, Student.id == PaymentLine.student_id)
            .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
            .order_by(PaymentLine.school_id, SchoolClass.name, Student.name_sort, PaymentLine.id))
    page = _page()
    rows = db.session.execute(scope(stmt, PaymentLine).limit(WAIVER_PAGE + 1).offset((page - 1) * WAIVER_PAGE)).all()
    context.update(rows=rows[:WAIVER_PAGE], has_next=len(rows) > WAIVER_PAGE, page=page)
    return render_htmx("funds/waivers.html", **context)


# --- home panels --------------------------------------------------------------------

def _school_panel(user) -> dict:
    rows = db.session.execute(scope(select(PaymentBatch.state, func.count()).group_by(PaymentBatch.state),
                                    PaymentBatch, user)).all()
    return {"batch_states": dict(rows), "labels": BATCH_STATES}


def _student_panel(user) -> dict:
    to_confirm = db.session.scalar(scope(select(func.count()).select_from(PaymentLine).where(
        PaymentLine.status == "paid", PaymentLine.confirmed_at.is_(None)), PaymentLine, user))
    return {"to_confirm": to_confirm or 0}


def _register_panels() -> None:
    from aid.home.views import register_panel

    register_panel(SCHOOL, "funds/_panel_school.html", _school_panel)
    register_panel(("student",), "funds/_panel_student.html", _student_panel)


_register_panels()
