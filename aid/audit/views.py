"""The audit trail: a filtered list for leaders and supervisors, and per object."""
from flask import Blueprint, request
from flask_login import current_user
from sqlalchemy import or_, select

from aid.access import roles
from aid.audit.models import AuditEvent
from aid.audit.service import ACTION_LABELS
from aid.extensions import db
from aid.htmx import render_htmx
from aid.scoping import school_ids_select

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 50


def scoped_events():
    """Events of the schools in the jurisdiction; the province admin also sees
    events not tied to a school (logins, settings, authorities)."""
    stmt = select(AuditEvent)
    in_schools = AuditEvent.school_id.in_(school_ids_select(current_user))
    if current_user.role == "province_admin":
        return stmt.where(or_(in_schools, AuditEvent.school_id.is_(None)))
    return stmt.where(in_schools)


@bp.route("/")
@roles("school_leader", "bureau_officer", "province_admin")
def events():
    """Filter by action, object, user; newest first."""
    stmt = scoped_events()
    action = (request.args.get("action") or "").strip()[:64]
    username = (request.args.get("username") or "").strip()[:64]
    object_type = (request.args.get("object_type") or "").strip()[:40]
    object_id = request.args.get("object_id", type=int)
    if action:
        stmt = stmt.where(AuditEvent.action.contains(action))
    if username:
        stmt = stmt.where(AuditEvent.username == username)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    page = max(1, request.args.get("page", 1, type=int))
    rows = db.session.execute(stmt.order_by(AuditEvent.id.desc()).offset((page - 1) * PAGE_SIZE)
                              .limit(PAGE_SIZE + 1)).scalars().all()
    return render_htmx("audit/events.html", events=rows[:PAGE_SIZE], has_next=len(rows) > PAGE_SIZE,
                       page=page, labels=ACTION_LABELS,
                       filters={"action": action, "username": username, "object_type": object_type,
                                "object_id": object_id if object_id is not None else ""})
