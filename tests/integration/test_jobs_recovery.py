"""A job whose server process died is marked failed (and can be run again)."""
from __future__ import annotations

import json
import subprocess

from aid.extensions import db
from aid.printing.jobs import ORPHANED_MESSAGE, claim, recover_stale_jobs, runner_identity
from aid.printing.models import Job


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _job(world, runner: dict | None, status="running") -> Job:
    params = {"token": "x" * 32, "phase": "write"}
    if runner:
        params["runner"] = runner
    job = Job(kind="student_import_write", school_id=world.schools["A1"].id,
              created_by=world.user("school_officer").id, status=status, params=json.dumps(params))
    db.session.add(job)
    db.session.commit()
    return job


def test_a_job_of_a_dead_process_is_marked_failed_and_a_live_one_is_kept(world):
    dead = _job(world, dict(runner_identity(), pid=_dead_pid()))
    queued_dead = _job(world, dict(runner_identity(), pid=_dead_pid()), status="queued")
    alive = _job(world, runner_identity())
    reused_pid = _job(world, dict(runner_identity(), started="1"))  # same pid, another start time
    done = _job(world, dict(runner_identity(), pid=_dead_pid()), status="done")
    assert recover_stale_jobs() == 3
    for job in (dead, queued_dead, reused_pid):
        db.session.refresh(job)
        assert job.status == "failed" and job.message == ORPHANED_MESSAGE
    db.session.refresh(alive)
    db.session.refresh(done)
    assert alive.status == "running" and done.status == "done"


def test_claim_records_the_runner(world):
    job = _job(world, None, status="queued")
    claim(job)
    params = json.loads(job.params)
    assert job.status == "running" and params["runner"]["pid"] > 0 and params["token"] == "x" * 32


def test_the_job_page_shows_an_orphaned_import_as_failed(world, client, auth):
    auth.login("a1_officer")
    job = _job(world, dict(runner_identity(), pid=_dead_pid()))
    resp = client.get(f"/students/import/jobs/{job.id}")
    assert resp.status_code == 200
    assert ORPHANED_MESSAGE in resp.get_data(as_text=True)
    db.session.refresh(job)
    assert job.status == "failed"
