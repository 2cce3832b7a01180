"""Background jobs that outlive their process are marked failed.

A job runs in a thread of one server process. When it starts it records which
process runs it (host, pid and the process's start time, so a reused pid is not
mistaken for the runner). If that process dies (killed, out of memory, server
restart) the job would stay "running" forever; `recover_stale_jobs()` — called
when a server process starts, and for one job whenever its page is looked at —
marks such jobs failed with a Chinese message. The job's own work was one
transaction, so nothing of it was written and it can simply be run again.
"""
from __future__ import annotations

import json
import os
import socket
from datetime import timedelta

from sqlalchemy import inspect, select

from aid.extensions import db
from aid.printing.models import Job
from aid.timeutil import utcnow

ORPHANED_MESSAGE = "处理该任务的服务进程已中断，未写入任何数据，请重新提交"
# a job of another host (or one never claimed) is given up after this long without progress
OTHER_HOST_STALE = timedelta(minutes=30)


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot ('' when unknown)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            # the command name (field 2) may contain spaces; fields after ')' are fixed
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def runner_identity() -> dict:
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "started": _start_time(pid)}


def claim(job: Job, status: str = "running") -> None:
    """Record this process as the job's runner (in the job's params) and set its status."""
    params = json.loads(job.params or "{}")
    params["runner"] = runner_identity()
    job.params = json.dumps(params, ensure_ascii=False)
    job.status = status


def _runner_alive(runner: dict) -> bool:
    pid = int(runner.get("pid") or 0)
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's process
        pass
    started = runner.get("started") or ""
    return not started or _start_time(pid) in ("", started)


def is_orphaned(job: Job, now=None) -> bool:
    if job.status not in ("queued", "running"):
        return False
    now = now or utcnow()
    runner = json.loads(job.params or "{}").get("runner") if (job.params or "").startswith("{") else None
    if runner and runner.get("host") == socket.gethostname():
        return not _runner_alive(runner)
    # not claimed yet, or run by another host: only a long silence tells
    return job.updated_at is not None and now - job.updated_at > OTHER_HOST_STALE


def fail_if_orphaned(job: Job) -> bool:
    """Mark one job failed when its process is gone (the caller commits)."""
    if not is_orphaned(job):
        return False
    job.status, job.message = "failed", ORPHANED_MESSAGE
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid > 0


def sweep_scratch() -> int:
    """Remove the temporary files and directories in storage left by processes of this
    host that are gone (a worker killed mid-render or mid-write). Returns how many."""
    import shutil

    from flask import current_app

    from aid.printing.service import HOST_TAG, SCRATCH_DIR_RE, TEMP_FILE_RE

    root = current_app.config.get("STORAGE_DIR")
    if not root or not os.path.isdir(root):
        return 0
    removed = 0
    candidates = []
    scratch = os.path.join(root, "tmp")
    if os.path.isdir(scratch):
        candidates += [(SCRATCH_DIR_RE.match(name), os.path.join(scratch, name)) for name in os.listdir(scratch)]
    documents = os.path.join(root, "documents")
    if os.path.isdir(documents):
        for sub in os.listdir(documents):
            folder = os.path.join(documents, sub)
            if os.path.isdir(folder):
                candidates += [(TEMP_FILE_RE.match(name), os.path.join(folder, name)) for name in os.listdir(folder)]
    for match, path in candidates:
        if match is None or match["tag"] != HOST_TAG or _pid_alive(int(match["pid"])):
            continue
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        removed += 1
    return removed


def recover_stale_jobs() -> int:
    """Mark every orphaned job failed and remove the temporary files of dead processes;
    commits. Returns how many jobs were marked."""
    try:
        sweep_scratch()
    except OSError:  # never stop a start over a temporary file
        pass
    if not inspect(db.engine).has_table(Job.__tablename__):  # before the first migration
        return 0
    marked = 0
    for job in db.session.execute(select(Job).where(Job.status.in_(("queued", "running")))).scalars():
        marked += fail_if_orphaned(job)
    if marked:
        db.session.commit()
    else:
        db.session.rollback()
    return marked
