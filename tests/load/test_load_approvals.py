"""Load: 20 concurrent clients approve, return and resubmit overlapping applications in
the approval queues of the real app under gunicorn (2 workers) for 60 s, through the
real HTML forms with CSRF. Afterwards every application's state agrees with its step
chain, every step has exactly one audit event, the audit chain verifies, and no request
was answered with a 5xx.

Figures are written to $AID_RELIABILITY_OUT (default: the test's tmp dir) as JSON.
"""
from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from tests.bench.client import Client
from tests.load import worlds
from tests.load.harness import Instance, Server, fresh_database

pytestmark = pytest.mark.slow

CLIENTS = 20
SECONDS = int(os.environ.get("AID_LOAD_SECONDS", "60"))
PASSWORD = "Test-pass-2026"
SEL_RE = re.compile(r'name="sel" value="(\d+:\d+)"')
OVERLAP = 12  # clients pick from the first rows of a queue, so they collide on the same items


def _queue(client: Client, state: str) -> list[str]:
    status, body, *_ = client.get(f"/applications/queue?state={state}&semester=")
    client.statuses[status] += 1
    return SEL_RE.findall(body.decode()) if status == 200 else []


def _bulk(client: Client, token: str, state: str, verb: str, items: list[str]) -> None:
    body = [("csrf_token", token), ("verb", verb), ("state", state), ("semester", ""),
            ("reason", "材料不全，请补充（负载测试）" if verb == "return" else "")]
    body += [("sel", item) for item in items]
    status, *_ = client.request("POST", "/applications/queue/bulk", body)
    client.statuses[status] += 1
    client.posts += 1


def _officer_round(client, token, rng):
    if rng.random() < 0.3:
        state, verb = "returned", "approve"  # resubmit
    else:
        state, verb = "submitted", ("approve" if rng.random() < 0.6 else "return")
    return state, verb


def _leader_round(client, token, rng):
    return "reviewed", ("approve" if rng.random() < 0.2 else "return")


def _drive(port: int, username: str, seed: int, stop_at: float, out: list, errors: list) -> None:
    rng = random.Random(seed)
    client = Client("127.0.0.1", port)
    client.statuses, client.posts = Counter(), 0
    try:
        client.login(username, PASSWORD)
        token = client.token("/applications/queue")
        pick = _leader_round if username in worlds.LEADERS else _officer_round
        while time.time() < stop_at:
            state, verb = pick(client, token, rng)
            rows = _queue(client, state)[:OVERLAP]
            if not rows:
                time.sleep(0.05)
                continue
            _bulk(client, token, state, verb, rng.sample(rows, min(len(rows), rng.randint(1, 4))))
    except Exception as exc:  # reported by the test, never swallowed
        errors.append(f"{username}: {exc!r}")
    out.append(client)


def _numbers(instance) -> set[str]:
    from aid.extensions import db
    from aid.students.models import Student
    from aid.students.personal import reveal

    app = instance.app()
    with app.app_context():
        students = db.session.execute(select(Student)).scalars().all()
        found = {reveal(s, "id_number") for s in students} | {reveal(s, "aid_card") for s in students if s.aid_card_enc}
        db.session.remove()
        db.engine.dispose()
    assert len(found) > 300
    return found


def _check_chains(app_state: dict[int, str], steps: list) -> list[str]:
    """Each application's steps, in order, form a legal path from draft to its state."""
    from aid.applications.workflow import APPLICATION_WORKFLOW

    problems = []
    by_app: dict[int, list] = {}
    for s in steps:
        by_app.setdefault(s.object_id, []).append(s)
    for app_id, state in app_state.items():
        current = "draft"
        for s in by_app.get(app_id, []):
            t = APPLICATION_WORKFLOW.get(s.action)
            if s.from_state != current or current not in t.sources or s.to_state != t.target:
                problems.append(f"#{app_id}: step {s.id} {s.action} {s.from_state}->{s.to_state} after {current}")
            current = s.to_state
        if current != state:
            problems.append(f"#{app_id}: state {state} but its steps end in {current}")
    return problems


def test_twenty_clients_on_overlapping_queues_leave_consistent_state(tmp_path):
    from aid.applications.models import Application
    from aid.audit.models import AuditEvent
    from aid.extensions import db
    from aid.workflow import WorkflowStep

    with fresh_database(tmp_path) as url:
        instance = Instance(tmp_path, url)
        prepared = instance.prepare(lambda: worlds.approval_world(300))
        ours = set(prepared["application_ids"])  # (the test world's own fixtures are set directly)
        clients, errors = [], []
        with Server(instance, workers=2) as server:
            users = [worlds.OFFICERS[i % 2] if i < 12 else worlds.LEADERS[i % 2] for i in range(CLIENTS)]
            started = time.time()
            stop_at = started + SECONDS
            threads = [threading.Thread(target=_drive, args=(server.port, u, i, stop_at, clients, errors))
                       for i, u in enumerate(users)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=SECONDS + 180)
            elapsed = time.time() - started
            server.stop()
            logged = server.statuses()
            error_log = server.error_log.read_text(errors="replace")
            leaked = server.leaked(_numbers(instance))
        assert not leaked, "full ID or card numbers in the server logs"
        assert not errors, errors
        statuses = sum((c.statuses for c in clients), Counter())
        requests = sum(statuses.values())
        assert not [s for s in statuses if s >= 500], statuses
        assert not [s for s in logged if s >= 500], logged
        assert "Traceback" not in error_log, error_log[-3000:]

        verify = instance.flask("audit", "verify", check=False)
        assert verify.returncode == 0, verify.stdout + verify.stderr

        app = instance.app()
        with app.app_context():
            states = dict(db.session.execute(select(Application.id, Application.state)
                                             .where(Application.id.in_(ours))).all())
            steps = list(db.session.execute(select(WorkflowStep).where(WorkflowStep.workflow == "application")
                                            .order_by(WorkflowStep.id)).scalars())
            assert all(s.object_id in ours for s in steps), "a step on an application outside the load"
            audit = Counter((a, o) for a, o in db.session.execute(
                select(AuditEvent.action, AuditEvent.object_id).where(AuditEvent.action.like("application.%"))).all())
            versions = dict(db.session.execute(select(Application.id, Application.version)
                                               .where(Application.id.in_(ours))).all())
            state_counts = dict(db.session.execute(select(Application.state, func.count())
                                                   .where(Application.id.in_(ours)).group_by(Application.state)).all())
            db.session.remove()
            db.engine.dispose()
        problems = _check_chains(states, steps)
        assert not problems, problems[:20]
        step_counts = Counter((f"application.{s.action}", s.object_id) for s in steps)
        assert step_counts == audit, "steps and audit events differ"
        per_app = Counter(s.object_id for s in steps)
        # every step bumped the optimistic-locking version exactly once
        assert all(versions[i] == 1 + per_app[i] for i in versions), "a version skipped or repeated"
        transitions_during_load = sum(1 for s in steps if s.action != "submit" or s.from_state == "returned")
        assert transitions_during_load > 50, "the load did too little to prove anything"

        figures = {
            "database": url.split(":")[0].split("+")[0], "clients": CLIENTS, "seconds": round(elapsed, 1),
            "requests": requests, "requests_per_second": round(requests / elapsed, 1),
            "bulk_posts": sum(c.posts for c in clients), "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "access_log_statuses": {str(k): v for k, v in sorted(logged.items())},
            "applications": len(states), "workflow_steps": len(steps),
            "transitions_during_load": transitions_during_load, "final_states": state_counts,
        }
        out = os.environ.get("AID_RELIABILITY_OUT") or str(tmp_path)
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, f"load-{figures['database']}.json"), "w") as fh:
            json.dump(figures, fh, ensure_ascii=False, indent=2)
        print("\nLOAD", json.dumps(figures, ensure_ascii=False))
