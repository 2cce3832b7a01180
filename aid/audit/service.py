"""The one place audit events are written and verified."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from aid.audit.models import AuditChainHead, AuditEvent
from aid.extensions import db
from aid.timeutil import utcnow

GENESIS = "0" * 64
ACTION_LABELS = {
    "login": "登录", "logout": "退出", "login_failed": "登录失败", "lockout": "账户锁定",
    "unlock": "解除锁定", "password_change": "修改密码", "create": "新建", "update": "修改",
    "delete": "删除", "reveal": "查看完整敏感信息",
}


def client_ip() -> str:
    if not has_request_context():
        return "cli"
    return (request.remote_addr or "")[:45]


def _dump(value) -> str:
    if value in (None, "", {}):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _digest(prev_hash: str, ev: AuditEvent) -> str:
    payload = json.dumps(
        [ev.seq, ev.at.isoformat(timespec="microseconds"), ev.user_id, ev.username, ev.role,
         ev.ip, ev.action, ev.object_type, ev.object_id, ev.school_id, ev.summary,
         ev.before, ev.after, prev_hash],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def lock_chain_head() -> AuditChainHead | None:
    """Lock the chain head before the caller's pending changes are flushed: every
    writer takes the head first and row locks after, so concurrent transactions
    cannot deadlock on (row, head) in opposite orders, and writes are serialised
    (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises them)."""
    with db.session.no_autoflush:
        return db.session.execute(
            select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
        ).scalar_one_or_none()


def record(action: str, obj=None, *, before=None, after=None, summary: str = "",
           user=None, school_id: int | None = None, object_type: str | None = None,
           object_id: int | None = None) -> AuditEvent:
    """Append an event in the caller's transaction (it commits or rolls back with the change)."""
    if user is None and has_request_context() and current_user and current_user.is_authenticated:
        user = current_user
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
        if school_id is None:
            school_id = getattr(obj, "school_id", None)
    head = lock_chain_head()
    if head is None:
        head = AuditChainHead(id=1, seq=0, hash=GENESIS)
        db.session.add(head)
        db.session.flush([head])  # the first event ever: make the head visible to the next lookup
    ev = AuditEvent(
        seq=head.seq + 1, at=utcnow(),
        user_id=getattr(user, "id", None), username=getattr(user, "username", "") or "",
        role=getattr(user, "role", "") or "", ip=client_ip(), action=action,
        object_type=object_type or "", object_id=object_id, school_id=school_id,
        summary=summary[:200], before=_dump(before), after=_dump(after), prev_hash=head.hash,
    )
    ev.hash = _digest(head.hash, ev)
    head.seq, head.hash = ev.seq, ev.hash
    db.session.add(ev)
    return ev


def append_many(events, chunk: int = 5000) -> int:
    """Append many events in one go (generated data sets): the same chain as record(),
    built in Python and written with bulk inserts; the caller commits.

    Each event is a dict of AuditEvent fields (action required; at defaults to now;
    before/after may be dicts). Returns the number appended."""
    from types import SimpleNamespace

    from sqlalchemy import insert

    head = lock_chain_head()
    if head is None:
        head = AuditChainHead(id=1, seq=0, hash=GENESIS)
        db.session.add(head)
        db.session.flush([head])  # the first event ever: make the head visible to the next lookup
    seq, prev, rows, total = head.seq, head.hash, [], 0
    for event in events:
        seq += 1
        row = dict(seq=seq, at=event.get("at") or utcnow(), user_id=event.get("user_id"),
                   username=event.get("username", ""), role=event.get("role", ""), ip=event.get("ip", "cli"),
                   action=event["action"], object_type=event.get("object_type", ""),
                   object_id=event.get("object_id"), school_id=event.get("school_id"),
                   summary=event.get("summary", "")[:200], before=_dump(event.get("before")),
                   after=_dump(event.get("after")), prev_hash=prev)
        row["hash"] = prev = _digest(prev, SimpleNamespace(**row))
        rows.append(row)
        if len(rows) >= chunk:
            db.session.execute(insert(AuditEvent), rows)
            total, rows = total + len(rows), []
    if rows:
        db.session.execute(insert(AuditEvent), rows)
        total += len(rows)
    head.seq, head.hash = seq, prev
    db.session.flush()
    return total


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that changed, for compact before → after records."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    message: str


def verify_chain(batch: int = 5000) -> VerifyResult:
    """Walk the chain in order; the first event whose hash, link or sequence is wrong is named."""
    prev, expected_seq, checked, last_id = GENESIS, 1, 0, 0
    while True:
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected_seq:
                return VerifyResult(False, checked, f"审计事件缺失：期望序号 {expected_seq}，实际为事件 #{ev.id}（序号 {ev.seq}）")
            if ev.prev_hash != prev:
                return VerifyResult(False, checked, f"审计事件 #{ev.id}（序号 {ev.seq}）与前一事件的链接不符")
            if _digest(prev, ev) != ev.hash:
                return VerifyResult(False, checked, f"审计事件 #{ev.id}（序号 {ev.seq}）内容已被篡改")
            prev, expected_seq, checked, last_id = ev.hash, expected_seq + 1, checked + 1, ev.id
        db.session.expunge_all()
    head = db.session.get(AuditChainHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        return VerifyResult(False, checked, f"审计链末尾的事件被删除：记录的末尾序号为 {head.seq}，实际只到 {expected_seq - 1}")
    return VerifyResult(True, checked, f"审计链完整：共校验 {checked} 条事件")
