"""Load: 20 concurrent clients approve, return and resubmit overlapping applications in
the approval queues (school officers and leaders, the bureau), and build, discard and
lock payment batches of the approved ones (officers build and discard, leaders lock with
the ledger), in the real app under gunicorn (2 workers) for 60 s, through the real HTML
forms with CSRF. Afterwards every application's and every batch's state agrees with its
step chain, every step has exactly one audit event, nobody is paid twice, every locked
batch has its stored ledger, the audit chain verifies, and no request was answered with
a 5xx.

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


BATCH_LINK_RE = re.compile(r'href="/funds/batches/(\d+)"')
NOTICED = 200  # applications the bureau approves during the load; the batches pay them


def _tally(client, result):
    client.statuses[result[0]] += 1
    return result


def _batch_form(client: Client, batch_id: int, action: str) -> str | None:
    """The version the batch page's `action` form carries (None: no such form now)."""
    status, body, *_ = _tally(client, client.get(f"/funds/batches/{batch_id}"))
    m = re.search(r'action="/funds/batches/%d/%s".*?name="version" type="hidden" value="(\d+)"' % (batch_id, action),
                  body.decode(), re.S) if status == 200 else None
    return m.group(1) if m else None


def _open_batches(client: Client) -> list[int]:
    status, body, *_ = _tally(client, client.get("/funds/batches?state=draft"))
    return [int(i) for i in BATCH_LINK_RE.findall(body.decode())] if status == 200 else []


def _builder_round(client, token, rng, ctx) -> None:
    """An officer builds a batch of what is approved and unpaid, and now and then
    discards a draft batch (its applications are then paid by a later one)."""
    if rng.random() < 0.15:
        open_ids = _open_batches(client)[:4]
        if open_ids:
            batch_id = rng.choice(open_ids)
            version = _batch_form(client, batch_id, "discard")
            if version:
                _tally(client, client.request("POST", f"/funds/batches/{batch_id}/discard", {
                    "csrf_token": token, "version": version, "reason": "名单有误，重新编制（负载测试）"}))
                client.posts += 1
                return
    _tally(client, client.request("POST", "/funds/batches/new", {
        "csrf_token": token, "programme_id": ctx["programme_id"], "period": ctx["semester"], "note": ""}))
    client.posts += 1
    time.sleep(0.2)


def _locker_round(client, token, rng, ctx) -> None:
    """A leader locks one of the open batches (the ledger is rendered with it)."""
    open_ids = _open_batches(client)[:4]
    if not open_ids:
        time.sleep(0.2)
        return
    batch_id = rng.choice(open_ids)
    version = _batch_form(client, batch_id, "lock")
    if version:
        _tally(client, client.request("POST", f"/funds/batches/{batch_id}/lock",
                                      {"csrf_token": token, "version": version}))
        client.posts += 1


def _bureau_round(client, token, rng):
    return "noticed", ("approve" if rng.random() < 0.8 else "return")


ROUNDS = {"officer": _officer_round, "leader": _leader_round, "bureau": _bureau_round}
BATCH_ROUNDS = {"builder": _builder_round, "locker": _locker_round}
# 20 clients: 8 officer and 5 leader sessions in the school's queues, 3 bureau sessions,
# 2 officers building (and discarding) batches, 2 leaders locking them
CLIENT_KINDS = [(worlds.OFFICERS[i % 2], "officer") for i in range(8)] + \
    [(worlds.LEADERS[i % 2], "leader") for i in range(5)] + [(worlds.BUREAU[0], "bureau")] * 3 + \
    [(worlds.OFFICERS[i % 2], "builder") for i in range(2)] + [(worlds.LEADERS[i % 2], "locker") for i in range(2)]


def _drive(port: int, username: str, kind: str, seed: int, stop_at: float, ctx: dict, out: list,
           errors: list) -> None:
    rng = random.Random(seed)
    client = Client("127.0.0.1", port)
    client.statuses, client.posts, client.kind = Counter(), 0, kind
    try:
        client.login(username, PASSWORD)
        if kind in BATCH_ROUNDS:
            token = client.token("/funds/batches")
            while time.time() < stop_at:
                BATCH_ROUNDS[kind](client, token, rng, ctx)
        else:
            token = client.token("/applications/queue")
            pick = ROUNDS[kind]
            while time.time() < stop_at:
                state, verb = pick(client, token, rng)
                rows = _queue(client, state)[:OVERLAP]
                if not rows:
                    time.sleep(0.05)
                    continue
                _bulk(client, token, state, verb, rng.sample(rows, min(len(rows), rng.randint(1, 4))))
    except Exception as exc:  # reported by the test, never swallowed
        errors.append(f"{username}/{kind}: {exc!r}")
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


def _check_chains(states: dict[int, str], steps: list, workflow=None) -> list[str]:
    """Each item's steps, in order, form a legal path of its workflow's table to its state:
    applications from draft; payment batches from their `build` step (nothing → draft)."""
    from aid.applications.workflow import APPLICATION_WORKFLOW

    workflow = workflow or APPLICATION_WORKFLOW
    origin = "draft" if workflow is APPLICATION_WORKFLOW else ""
    problems = []
    by_item: dict[int, list] = {}
    for s in steps:
        by_item.setdefault(s.object_id, []).append(s)
    for item_id, state in states.items():
        current = origin
        for s in by_item.get(item_id, []):
            if s.action == "build" and origin == "":
                legal = current == "" and s.from_state == "" and s.to_state == "draft"
            else:
                t = workflow.get(s.action)
                legal = s.from_state == current and current in t.sources and s.to_state == t.target
            if not legal:
                problems.append(f"#{item_id}: step {s.id} {s.action} {s.from_state}->{s.to_state} after {current}")
            current = s.to_state
        if current != state:
            problems.append(f"#{item_id}: state {state} but its steps end in {current}")
    return problems


def _check_payments(session, prepared: dict, storage) -> tuple[list[str], dict]:
    """Nobody paid twice; lines, batches, applications and stored ledgers agree."""
    import hashlib

    from aid.applications.models import Application
    from aid.funds.models import FREE_STATUSES, PaymentBatch, PaymentLine
    from aid.printing.models import StoredDocument

    problems = []
    batches = {b.id: b for b in session.execute(select(PaymentBatch).where(
        PaymentBatch.id > prepared["last_batch_id"])).scalars()}
    lines = list(session.execute(select(PaymentLine).where(PaymentLine.batch_id.in_(list(batches) or [-1]))
                                 .order_by(PaymentLine.id)).scalars())
    live = [ln for ln in lines if ln.status not in FREE_STATUSES]
    by_app = Counter(ln.application_id for ln in lines if ln.status != "cancelled")
    by_key = Counter((ln.student_id, ln.programme_id, ln.period) for ln in live)
    problems += [f"application #{a} in {n} batches" for a, n in by_app.items() if n > 1]
    problems += [f"student #{k[0]} paid {n} times for {k[2]}" for k, n in by_key.items() if n > 1]
    per_batch: dict[int, list] = {}
    for ln in lines:
        per_batch.setdefault(ln.batch_id, []).append(ln)
    for b in batches.values():
        mine = per_batch.get(b.id, [])
        if b.line_count != len(mine) or b.total_fen != sum(ln.amount_fen for ln in mine):
            problems.append(f"batch #{b.id}: count/total differ from its lines")
        expected = {"draft": {"pending"}, "reviewed": {"pending"}, "cancelled": {"cancelled"},
                    "locked": {"waived"}}.get(b.state)
        if expected is None or {ln.status for ln in mine} - expected:
            problems.append(f"batch #{b.id} {b.state} with lines {sorted({ln.status for ln in mine})}")
        if b.is_locked:
            doc = session.get(StoredDocument, b.ledger_document_id) if b.ledger_document_id else None
            path = storage / doc.path if doc else None
            if doc is None or not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != doc.sha256:
                problems.append(f"batch #{b.id} locked without its intact ledger")
        elif b.ledger_document_id:
            problems.append(f"batch #{b.id} {b.state} with a ledger")
    waived_apps = {ln.application_id for ln in lines if ln.status == "waived"}
    disbursed = set(session.execute(select(Application.id).where(Application.id.in_(prepared["application_ids"]),
                                                                 Application.state == "disbursed")).scalars())
    if waived_apps != disbursed:
        problems.append(f"disbursed {len(disbursed)} applications but waived {len(waived_apps)} lines")
    figures = {"batches": dict(Counter(b.state for b in batches.values())), "lines": dict(Counter(
        ln.status for ln in lines)), "applications_paid": len(disbursed)}
    return problems, figures


def test_twenty_clients_on_overlapping_queues_and_batches_leave_consistent_state(tmp_path):
    from aid.applications.models import Application
    from aid.audit.models import AuditEvent
    from aid.extensions import db
    from aid.funds.workflow import BATCH_WORKFLOW
    from aid.funds.models import PaymentBatch
    from aid.workflow import WorkflowStep

    with fresh_database(tmp_path) as url:
        instance = Instance(tmp_path, url)
        prepared = instance.prepare(lambda: worlds.approval_world(300, noticed=NOTICED))
        ours = set(prepared["application_ids"])  # (the test world's own fixtures are set directly)
        clients, errors = [], []
        with Server(instance, workers=2) as server:
            started = time.time()
            stop_at = started + SECONDS
            threads = [threading.Thread(target=_drive, args=(server.port, u, kind, i, stop_at, prepared, clients,
                                                             errors))
                       for i, (u, kind) in enumerate(CLIENT_KINDS)]
            assert len(threads) == CLIENTS
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
            batch_states = dict(db.session.execute(select(PaymentBatch.id, PaymentBatch.state).where(
                PaymentBatch.id > prepared["last_batch_id"])).all())
            batch_steps = list(db.session.execute(select(WorkflowStep).where(
                WorkflowStep.workflow == "payment_batch").order_by(WorkflowStep.id)).scalars())
            batch_audit = Counter((a, o) for a, o in db.session.execute(
                select(AuditEvent.action, AuditEvent.object_id).where(
                    AuditEvent.object_type == "payment_batches",
                    AuditEvent.action.like("payment_batch.%") | AuditEvent.action.in_(
                        ("funds.batch_build", "funds.ledger_render")))).all())
            payment_problems, payment_figures = _check_payments(db.session, prepared, instance.storage)
            db.session.remove()
            db.engine.dispose()
        problems = _check_chains(states, steps)
        assert not problems, problems[:20]
        step_counts = Counter((f"application.{s.action}", s.object_id) for s in steps)
        assert step_counts == audit, "steps and audit events differ"
        per_app = Counter(s.object_id for s in steps)
        # every step bumped the optimistic-locking version exactly once
        assert all(versions[i] == 1 + per_app[i] for i in versions), "a version skipped or repeated"
        transitions_during_load = sum(1 for s in steps if s.id > prepared["last_step_id"])
        assert transitions_during_load > 50, "the load did too little to prove anything"

        # batches: legal chains, one audit event per step (build ↔ funds.batch_build), one
        # stored ledger per lock, nobody paid twice
        assert all(s.object_id in batch_states for s in batch_steps), "a step on a batch outside the load"
        problems = _check_chains(batch_states, batch_steps, BATCH_WORKFLOW)
        assert not problems, problems[:20]
        expected = Counter(("funds.batch_build" if s.action == "build" else f"payment_batch.{s.action}", s.object_id)
                           for s in batch_steps)
        expected.update(("funds.ledger_render", s.object_id) for s in batch_steps if s.action == "lock")
        assert expected == batch_audit, "batch steps and audit events differ"
        assert not payment_problems, payment_problems[:20]
        locks = sum(1 for s in batch_steps if s.action == "lock")
        assert locks >= 1 and payment_figures["applications_paid"] > 0, "no batch was locked during the load"

        figures = {
            "database": url.split(":")[0].split("+")[0], "clients": CLIENTS, "seconds": round(elapsed, 1),
            "requests": requests, "requests_per_second": round(requests / elapsed, 1),
            "posts": sum(c.posts for c in clients),
            "posts_by_kind": dict(sum((Counter({c.kind: c.posts}) for c in clients), Counter())),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "access_log_statuses": {str(k): v for k, v in sorted(logged.items())},
            "applications": len(states), "workflow_steps": len(steps),
            "transitions_during_load": transitions_during_load, "final_states": state_counts,
            "batch_steps": dict(Counter(s.action for s in batch_steps)), **payment_figures,
        }
        out = os.environ.get("AID_RELIABILITY_OUT") or str(tmp_path)
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, f"load-{figures['database']}.json"), "w") as fh:
            json.dump(figures, fh, ensure_ascii=False, indent=2)
        print("\nLOAD", json.dumps(figures, ensure_ascii=False))
