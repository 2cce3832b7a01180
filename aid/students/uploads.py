"""Uploaded rosters kept server-side between preview and confirm, and the
background job that validates or writes a big roster.

Files live under STORAGE_DIR/imports (outside static/), named by a random
token; a sidecar JSON ties the token to the user and school that uploaded it.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from dataclasses import asdict
from pathlib import Path

from flask import current_app

from aid.extensions import db
from aid.printing.jobs import claim, fail_if_orphaned
from aid.printing.models import Job
from aid.students import importer

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
MAX_AGE_SECONDS = 24 * 3600


class UploadMissing(Exception):
    """The token names no upload of this user (expired, cancelled or someone else's)."""


def _dir() -> Path:
    path = Path(current_app.config["STORAGE_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _paths(token: str) -> tuple[Path, Path, Path]:
    d = _dir()
    return d / f"{token}.xlsx", d / f"{token}.json", d / f"{token}.preview.json"


def save_upload(user, school_id: int, data: bytes, filename: str) -> str:
    importer.check_file(data)
    _purge_old()
    token = secrets.token_urlsafe(24)
    xlsx, meta, _ = _paths(token)
    _write_atomic(xlsx, data)
    _write_atomic(meta, json.dumps({"user_id": user.id, "school_id": school_id, "filename": filename[:200],
                                    "uploaded": time.time()}, ensure_ascii=False).encode())
    return token


def _write_atomic(path: Path, data: bytes) -> None:
    """Write under a temporary name and rename, so a killed process never leaves a half file
    under the real name."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def load_upload(user, token: str | None) -> tuple[dict, bytes]:
    if not token or not TOKEN_RE.match(token):
        raise UploadMissing("导入文件不存在或已过期，请重新上传")
    xlsx, meta_path, _ = _paths(token)
    if not meta_path.exists() or not xlsx.exists():
        raise UploadMissing("导入文件不存在或已过期，请重新上传")
    meta = json.loads(meta_path.read_text())
    if meta["user_id"] != user.id or meta["school_id"] != user.school_id:
        raise UploadMissing("导入文件不存在或已过期，请重新上传")
    return meta, xlsx.read_bytes()


def save_preview(token: str, analysis: importer.Analysis) -> None:
    _, _, preview = _paths(token)
    _write_atomic(preview, json.dumps({
        "total": analysis.total, "counts": analysis.counts, "columns": analysis.columns,
        "ignored": analysis.ignored, "problems": [asdict(p) for p in analysis.problems],
        "notes": [asdict(p) for p in analysis.notes],
    }, ensure_ascii=False).encode())


def load_preview(token: str) -> dict | None:
    _, _, preview = _paths(token)
    return json.loads(preview.read_text()) if preview.exists() else None


def discard(token: str) -> None:
    if token and TOKEN_RE.match(token):
        for p in _paths(token):
            p.unlink(missing_ok=True)


def _purge_old() -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for p in _dir().glob("*"):
        try:
            if p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
        except FileNotFoundError:  # renamed or removed by another request meanwhile
            pass


def row_estimate(data: bytes) -> int:
    from python_calamine import CalamineWorkbook
    import io

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    except Exception:
        return 0
    except BaseException as exc:  # a Rust panic in calamine (pyo3 PanicException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return 0
    return max(0, sheet.height - 1)


# ---------------------------------------------------------------- background jobs

def job_checked(job: Job | None) -> Job | None:
    """The job, marked failed first when the process that ran it is gone."""
    if job is not None and fail_if_orphaned(job):
        db.session.commit()
    return job


def start_job(user, token: str, phase: str, total: int) -> int:
    """A job that previews (validates) or writes an upload; runs in a thread with its own
    app context (inline when JOBS_INLINE is set, for tests)."""
    job = Job(kind=f"student_import_{phase}", school_id=user.school_id, created_by=user.id, status="queued",
              total=total, params=json.dumps({"token": token, "phase": phase}))
    claim(job, "queued")  # this process will run it (a thread); if it dies, the job is failed
    db.session.add(job)
    db.session.flush()
    job_id = job.id
    db.session.commit()  # (no attribute access after this: it would open a new write transaction)
    app = current_app._get_current_object()
    if app.config.get("JOBS_INLINE"):
        run_job(app, job_id)
    else:
        threading.Thread(target=run_job, args=(app, job_id), daemon=True, name=f"import-job-{job_id}").start()
    return job_id


def run_job(app, job_id: int) -> None:
    from aid.auth.models import User

    with app.app_context():
        job = db.session.get(Job, job_id)
        params = json.loads(job.params)
        user = db.session.get(User, job.created_by)
        claim(job)
        db.session.commit()

        def progress(n):
            job.progress = n
            db.session.commit()

        try:
            meta, data = load_upload(user, params["token"])
            analysis = importer.analyse(data, meta["school_id"], progress=progress)
            job.total = analysis.total
            save_preview(params["token"], analysis)
            if params["phase"] == "write" and analysis.ok:
                job.message = "正在写入数据库…"
                db.session.commit()
                written = importer.write_rows(user, meta["school_id"], analysis, meta["filename"])
                job.status, job.progress = "done", analysis.total
                job.message = json.dumps({"written": written, **analysis.counts})
                db.session.commit()  # the students, the audit event and the job status together
                discard(params["token"])
            else:
                job.status = "done"
                job.message = json.dumps({"written": 0, "problems": len(analysis.problems)})
                db.session.commit()
        except (importer.ImportFileError, UploadMissing) as exc:
            db.session.rollback()
            job = db.session.get(Job, job_id)
            job.status, job.message = "failed", str(exc)
            db.session.commit()
        except Exception:  # keep the job honest; the log has the traceback
            db.session.rollback()
            app.logger.exception("student import job %s failed", job_id)
            job = db.session.get(Job, job_id)
            job.status, job.message = "failed", "导入失败，未写入任何数据；请稍后重试或联系管理员"
            db.session.commit()
        finally:
            db.session.remove()
