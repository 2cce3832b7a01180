"""The disbursement ledger (发放台账): rendered once when the batch is locked, stored
with its SHA-256, served from storage afterwards.

Layout: A4 landscape, a fixed number of rows per page, each page its own table
with its own subtotal row (so per-page totals are exact, not a CSS trick), the
page number written into the page ("第 x 页 共 y 页" is known before rendering).
Card numbers are printed masked: the ledger is signed by students, copied and
filed, and nobody paying from it needs the full number — the bank pays from the
bank file, which carries the full number and whose export is audited.

Because every page is self-contained, a large ledger is rendered as several
page ranges in parallel worker processes (aid.funds.pdfworker) and the pieces
are concatenated with pypdf: the app process never holds WeasyPrint's layout of
thousands of rows, and two cores render about twice as fast as one. The workers
are forked from a render server that the app process starts on its first large
ledger and keeps (WeasyPrint already imported: ~1.5 s CPU less per worker); when
it is busy with another ledger or cannot start, workers are started afresh.
"""
from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, has_request_context
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from aid.audit.service import record
from aid.core.money import capital_amount
from aid.extensions import db
from aid.funds.models import PaymentBatch, PaymentLine, period_label
from aid.printing.jobs import claim, fail_if_orphaned, is_orphaned
from aid.printing.models import Job, StoredDocument
from aid.printing.service import html_to_pdf, render_html, scratch_dir, scratch_prefix, store_document
from aid.students.models import SchoolClass, Student
from aid.timeutil import to_local, utcnow

ROWS_PER_PAGE = 18
IN_PROCESS_MAX_PAGES = 6  # small ledgers: render in the calling process
PAGES_PER_CHUNK = 40  # bounds a worker's memory on very large ledgers
WORKER = Path(__file__).with_name("pdfworker.py")


@dataclass
class LedgerRow:
    serial: int
    name: str
    class_name: str
    id_masked: str
    card: str
    programme: str
    level: str
    amount_fen: int


@dataclass
class LedgerPage:
    number: int
    rows: list[LedgerRow]
    subtotal_fen: int = 0
    last: bool = False


@dataclass
class Ledger:
    title: str
    school: str
    programme: str
    period_label: str
    batch_no: int
    pages: list[LedgerPage] = field(default_factory=list)
    count: int = 0
    total_fen: int = 0
    total_capital: str = ""
    preparer: str = ""
    prepared_on: str = ""
    reviewer: str = ""
    reviewed_on: str = ""
    leader: str = ""
    locked_on: str = ""
    is_waiver: bool = False

    @property
    def page_count(self) -> int:
        return len(self.pages)


def paginate(rows: list[LedgerRow], per_page: int = ROWS_PER_PAGE) -> list[LedgerPage]:
    """Fixed rows per page, each page with its subtotal; the last page is marked."""
    pages = [LedgerPage(number=i // per_page + 1, rows=rows[i:i + per_page]) for i in range(0, len(rows), per_page)]
    for page in pages:
        page.subtotal_fen = sum(r.amount_fen for r in page.rows)
    if pages:
        pages[-1].last = True
    return pages


def _date(dt) -> str:
    local = to_local(dt)
    return f"{local.year}年{local.month}月{local.day}日" if local else ""


def build_ledger(batch: PaymentBatch, locker=None, locked_at=None) -> Ledger:
    """The ledger's content; `locker` and `locked_at` print the lock about to be made
    (lock_and_render renders before it locks)."""
    rows_q = db.session.execute(
        select(PaymentLine.serial, PaymentLine.period, PaymentLine.level, PaymentLine.amount_fen,
               PaymentLine.card_masked, Student.name, Student.id_number_masked, SchoolClass.name)
        .join(Student, Student.id == PaymentLine.student_id)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(PaymentLine.batch_id == batch.id, PaymentLine.status != "cancelled")
        .order_by(PaymentLine.serial)).all()
    programme = batch.programme
    waiver = not programme.paid_to_card
    rows = []
    for serial, period, level, amount, card, name, id_masked, class_name in rows_q:
        label = programme.name if period == batch.period else f"{programme.name}（补发{period_label(period)}）"
        rows.append(LedgerRow(serial, name, class_name or "", id_masked, "不适用（免学费）" if waiver else card,
                              label, level or "—", amount))
    total = sum(r.amount_fen for r in rows)
    title = f"{programme.name}{'减免' if waiver else '发放'}台账"
    ledger = Ledger(title=title, school=batch.school.name, programme=programme.name,
                    period_label=period_label(batch.period), batch_no=batch.id, pages=paginate(rows, ROWS_PER_PAGE),
                    count=len(rows), total_fen=total, total_capital=capital_amount(total),
                    preparer=batch.creator.display_name if batch.creator else "", prepared_on=_date(batch.created_at),
                    reviewer=batch.reviewer.display_name if batch.reviewer else "",
                    reviewed_on=_date(batch.reviewed_at),
                    leader=(locker or batch.locker).display_name if (locker or batch.locker) else "",
                    locked_on=_date(locked_at or batch.locked_at),
                    is_waiver=waiver)
    return ledger


def document_html(template: str, **context) -> str:
    """Render a print template also outside a request (background jobs, CLI, demo):
    the app's context processors expect one."""
    if has_request_context():
        return render_html(template, **context)
    with current_app.test_request_context():
        return render_html(template, **context)


def ledger_html(ledger: Ledger, pages: list[LedgerPage] | None = None) -> str:
    return document_html("funds/ledger_pdf.html", ledger=ledger, pages=ledger.pages if pages is None else pages)


def render_ledger_pdf(ledger: Ledger, progress=None, workers: int | None = None, stats: dict | None = None) -> bytes:
    """The PDF bytes; large ledgers in parallel worker processes, page ranges merged.
    `stats`, if given, receives how it was done: chunks, workers, the seconds spent writing
    the HTML, in the workers and merging, a worker's peak RSS and the workers' CPU."""
    stats = {} if stats is None else stats
    if ledger.page_count <= IN_PROCESS_MAX_PAGES:
        data = html_to_pdf(ledger_html(ledger))
        if progress:
            progress(ledger.count, ledger.count)
        stats.update(mode="in_process", chunks=1, workers=0)
        return data
    workers = workers or max(1, min(os.cpu_count() or 1, 4))
    size = max(1, min(PAGES_PER_CHUNK, -(-ledger.page_count // workers)))
    chunks = [ledger.pages[i:i + size] for i in range(0, ledger.page_count, size)]
    started = time.perf_counter()
    # in the storage's scratch space, named after this process: if the process is killed
    # mid-render, the next server process to start removes it (aid.printing.jobs.sweep_scratch)
    with tempfile.TemporaryDirectory(prefix=scratch_prefix("ledger"), dir=scratch_dir()) as tmp:
        tmpdir = Path(tmp)
        jobs = []
        for n, pages in enumerate(chunks):
            html_path = tmpdir / f"part{n:04d}.html"
            html_path.write_text(ledger_html(ledger, pages), encoding="utf-8")
            jobs.append((html_path, tmpdir / f"part{n:04d}.pdf", sum(len(p.rows) for p in pages)))
        stats.update(chunks=len(jobs), workers=workers, html_s=time.perf_counter() - started)
        started = time.perf_counter()
        if not _run_on_server(jobs, workers, progress, ledger.count, stats):
            stats["mode"] = "new_processes"
            _run_workers(jobs, workers, progress, ledger.count)
            stats["worker_peak_mb"] = max(stats.get("worker_peak_mb", 0),
                                          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        stats["workers_s"] = time.perf_counter() - started
        started = time.perf_counter()
        from pypdf import PdfWriter

        writer = PdfWriter()
        for _html, pdf_path, _rows in jobs:
            writer.append(str(pdf_path))
        buffer = io.BytesIO()
        writer.write(buffer)
        stats["merge_s"] = time.perf_counter() - started
        return buffer.getvalue()


class _RenderServer:
    """The app process's pre-warmed render server (pdfworker.py --serve)."""

    def __init__(self):
        self.pid = os.getpid()
        self.proc = subprocess.Popen([sys.executable, str(WORKER), "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if json.loads(self.proc.stdout.readline() or "{}").get("ready") is not True:
            self.close()
            raise RuntimeError("the ledger render server did not start")

    def usable(self) -> bool:
        return self.pid == os.getpid() and self.proc.poll() is None

    def run(self, jobs, workers: int, on_done) -> None:
        request = {"jobs": [[str(h), str(p), _static_dir(), str(Path(h).with_suffix(".err"))] for h, p, _r in jobs],
                   "workers": workers}
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the ledger render server ended")
            answer = json.loads(line)
            if answer.get("end"):
                return
            if "failed" in answer:
                err = Path(jobs[answer["failed"]][0]).with_suffix(".err").read_text(errors="replace")[-500:]
                raise RuntimeError(f"ledger worker failed: {err}")
            on_done(answer["done"], answer.get("maxrss_kb", 0), answer.get("cpu_s", 0.0))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


_SERVER: _RenderServer | None = None
_SERVER_LOCK = threading.Lock()


def _static_dir() -> str:
    return str(Path(current_app.root_path).parent / "static")


def _run_on_server(jobs, workers: int, progress, total_rows: int, stats: dict) -> bool:
    """Render the jobs with children of the render server; False when it is busy with
    another ledger or cannot start (the caller then starts workers itself). A failed
    render closes the server (the next ledger starts a new one) and raises."""
    global _SERVER
    if not _SERVER_LOCK.acquire(blocking=False):
        return False
    try:
        cold = _SERVER is None or not _SERVER.usable()
        if cold:
            started = time.perf_counter()
            try:
                _SERVER = _RenderServer()
                stats["server_start_s"] = time.perf_counter() - started
            except (OSError, RuntimeError, ValueError):
                _SERVER = None
                current_app.logger.warning("ledger render server unavailable", exc_info=True)
                return False
        done_rows = 0

        def on_done(index, maxrss_kb, cpu_s):
            nonlocal done_rows
            done_rows += jobs[index][2]
            stats["worker_peak_mb"] = max(stats.get("worker_peak_mb", 0), maxrss_kb / 1024)
            stats["worker_cpu_s"] = stats.get("worker_cpu_s", 0.0) + cpu_s
            if progress:
                progress(done_rows, total_rows)

        stats["mode"] = "server_cold" if cold else "server"
        try:
            _SERVER.run(jobs, workers, on_done)
        except BaseException:
            _SERVER.close()
            _SERVER = None
            raise
        return True
    finally:
        _SERVER_LOCK.release()


def _run_workers(jobs, workers: int, progress, total_rows: int) -> None:
    """At most `workers` worker processes at a time; any failure stops the others."""
    pending = list(jobs)
    running: list[tuple[subprocess.Popen, tuple]] = []
    done_rows = 0
    static_dir = _static_dir()
    try:
        while pending or running:
            while pending and len(running) < workers:
                job = pending.pop(0)
                # run by path, not `-m aid.funds.pdfworker`: importing the aid package (Flask,
                # SQLAlchemy) would add a second of start-up to every worker
                with open(Path(job[0]).with_suffix(".err"), "wb") as err_file:  # a file: a pipe could fill up
                    proc = subprocess.Popen([sys.executable, str(WORKER), str(job[0]), str(job[1]), static_dir],
                                            stdout=subprocess.DEVNULL, stderr=err_file,
                                            env={**os.environ, "AID_PDF_PARENT": str(os.getpid())})
                running.append((proc, job))
            time.sleep(0.05)
            for proc, job in list(running):
                if proc.poll() is None:
                    continue
                running.remove((proc, job))
                if proc.returncode != 0:
                    err = Path(job[0]).with_suffix(".err").read_text(errors="replace")[-500:]
                    raise RuntimeError(f"ledger worker failed: {err}")
                done_rows += job[2]
                if progress:
                    progress(done_rows, total_rows)
    finally:
        for proc, _job in running:
            proc.kill()
            proc.wait()


def _store(batch: PaymentBatch, ledger: Ledger, data: bytes, user) -> StoredDocument:
    doc = store_document(data, kind="disbursement_ledger", title=f"{ledger.school}{ledger.title}（第{batch.id}号批次）",
                         school_id=batch.school_id, object_type="payment_batches", object_id=batch.id,
                         created_by=getattr(user, "id", None))
    batch.ledger_document_id = doc.id
    record("funds.ledger_render", batch, user=user, after={"document_id": doc.id, "sha256": doc.sha256},
           summary=f"生成发放台账（{ledger.count}人，{ledger.page_count}页）")
    return doc


def lock_and_render(batch_id: int, user, expected_version: int | None, progress=None) -> StoredDocument:
    """Lock a batch together with its ledger: all of it or none of it.

    The lock is checked, the ledger rendered as it will read once locked (who locks, on
    which day), and only then are the lock, its waivers and workflow step, the stored
    ledger and their audit events written in one transaction that the caller commits.
    Nothing is written during the render (on SQLite a writing transaction would hold the
    database's write lock for its whole length), so a process killed mid-render leaves
    the batch as it was, and the lock can simply be run again; the final transaction
    checks everything again, so a batch changed meanwhile is refused, never half-locked.
    """
    from aid.funds import service
    from aid.printing.jobs import sweep_scratch

    batch = db.session.get(PaymentBatch, batch_id)
    service.lock_checks(user, batch, expected_version)
    locked_at = utcnow()
    ledger = build_ledger(batch, locker=user, locked_at=locked_at)
    db.session.rollback()  # nothing was written: end the read transaction before the render
    sweep_scratch()  # what a killed render left behind
    data = render_ledger_pdf(ledger, progress=progress)
    batch = db.session.get(PaymentBatch, batch_id)
    service.lock_batch(user, batch, expected_version, locked_at=locked_at)
    return _store(batch, ledger, data, user)


def render_and_store(batch_id: int, user, progress=None, *, end_transaction: bool = True) -> StoredDocument:
    """Render the ledger of a batch locked without one (the demo, which locks and renders
    in one transaction; batches locked before lock_and_render existed) and store it;
    never re-rendered.

    The rows are read first and the transaction is ended before the long render
    (`end_transaction`): on SQLite a writing transaction holds the database's write
    lock, and other users must not wait seconds behind a PDF. The caller commits."""
    batch = db.session.get(PaymentBatch, batch_id)
    if batch.ledger_document_id is not None:
        return db.session.get(StoredDocument, batch.ledger_document_id)
    if not batch.is_locked:
        raise ValueError("only a locked batch has a ledger")
    ledger = build_ledger(batch)
    if end_transaction:
        db.session.commit()
    data = render_ledger_pdf(ledger, progress=progress)
    batch = db.session.get(PaymentBatch, batch_id)
    if batch.ledger_document_id is not None:  # rendered meanwhile by another request
        return db.session.get(StoredDocument, batch.ledger_document_id)
    return _store(batch, ledger, data, user)


# --- background rendering -----------------------------------------------------------

_THREADS: dict[int, threading.Thread] = {}


def job_params(job: Job) -> dict:
    """{"batch_id", "lock", "version", "runner"}; older jobs stored the batch id alone."""
    text = job.params or ""
    if text.isdigit():
        return {"batch_id": int(text)}
    return json.loads(text or "{}")


def job_active(job: Job | None) -> bool:
    """Queued or running, and the process running it is alive (aid.printing.jobs)."""
    if job is None or job.status not in ("queued", "running"):
        return False
    return job.id in _THREADS or not is_orphaned(job)


def checked_job(batch: PaymentBatch) -> Job | None:
    """The batch's ledger job, marked failed (and committed) first when the process that
    ran it is gone."""
    job = db.session.get(Job, batch.ledger_job_id) if batch.ledger_job_id else None
    if job is not None and job.id not in _THREADS and fail_if_orphaned(job):
        db.session.commit()
    return job


def _queue(batch: PaymentBatch, user, params: dict) -> Job:
    job = Job(kind="disbursement_ledger", school_id=batch.school_id, created_by=getattr(user, "id", None),
              status="queued", total=batch.line_count, params=json.dumps(params))
    claim(job, "queued")  # this process runs it (a thread); if the process dies, the job is failed
    db.session.add(job)
    db.session.flush()
    batch.ledger_job_id = job.id
    return job


def queue_job(batch: PaymentBatch, user) -> Job:
    """Render the ledger of a batch locked without one, in the background."""
    return _queue(batch, user, {"batch_id": batch.id})


def queue_lock_job(batch: PaymentBatch, user, expected_version: int | None) -> Job:
    """Lock a large batch in the background: render its ledger, then lock and store in one
    transaction (lock_and_render). Refused early for everything the lock would refuse.
    Recording the job raises the batch's version, so a review or discard in between
    makes the job fail (the batch stays unlocked) instead of locking something else."""
    from aid.funds import service

    if job_active(db.session.get(Job, batch.ledger_job_id) if batch.ledger_job_id else None):
        raise service.FundsError("该批次正在锁定并生成发放台账，请稍候刷新查看")
    service.lock_checks(user, batch, expected_version)
    try:
        job = _queue(batch, user, {"batch_id": batch.id, "lock": True})
        db.session.flush()  # raises the version (optimistic: refused if it moved meanwhile)
    except StaleDataError:
        raise service.FundsError("该记录已被他人处理，请刷新后重试") from None
    params = job_params(job)
    params["version"] = batch.version
    job.params = json.dumps(params, ensure_ascii=False)
    return job


def start_job(job_id: int) -> None:
    """Run a queued ledger job in a thread with its own app context (call after commit)."""
    app = current_app._get_current_object()
    thread = threading.Thread(target=_run_job, args=(app, job_id), name=f"ledger-job-{job_id}", daemon=True)
    _THREADS[job_id] = thread
    thread.start()


def wait_for_job(job_id: int, timeout: float = 120) -> None:
    thread = _THREADS.get(job_id)
    if thread is not None:
        thread.join(timeout)


def _run_job(app, job_id: int) -> None:
    from aid.auth.models import User
    from aid.funds.service import FundsError

    with app.app_context():
        try:
            job = db.session.get(Job, job_id)
            if job is None or job.status not in ("queued", "failed"):
                return
            params = job_params(job)
            job.params = json.dumps(params, ensure_ascii=False)
            claim(job)
            job.progress, job.message = 0, ""
            db.session.commit()
            user = db.session.get(User, job.created_by) if job.created_by else None

            def progress(done, total):
                db.session.execute(Job.__table__.update().where(Job.id == job_id)
                                   .values(progress=done, total=total, updated_at=utcnow()))
                db.session.commit()

            if params.get("lock"):
                doc = lock_and_render(params["batch_id"], user, params.get("version"), progress=progress)
            else:
                doc = render_and_store(params["batch_id"], user, progress=progress)
            job = db.session.get(Job, job_id)
            job.status, job.document_id, job.progress = "done", doc.id, job.total
            db.session.commit()  # the lock, the ledger, their audit events and the job together
        except Exception as exc:  # the job records the failure; the page offers a retry
            db.session.rollback()
            job = db.session.get(Job, job_id)
            if isinstance(exc, FundsError):
                message = str(exc)
            else:
                current_app.logger.exception("ledger job %s failed", job_id)
                message = f"台账生成失败：{type(exc).__name__}"
            if job is not None:
                job.status, job.message = "failed", message
                db.session.commit()
        finally:
            db.session.remove()
            _THREADS.pop(job_id, None)
