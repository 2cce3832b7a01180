"""Route access by role. Every route declares who may call it; the route × role
test walks app.url_map and fails on any route without a declaration."""
from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_login import current_user

ALL_ROLES = ("student", "school_officer", "school_leader", "bureau_officer", "province_admin")
STAFF = ("school_officer", "school_leader", "bureau_officer", "province_admin")
SCHOOL = ("school_officer", "school_leader")
AUTHORITY = ("bureau_officer", "province_admin")


def roles(*allowed: str):
    """Logged-in users with one of these roles; everyone else gets 403 (or the login page)."""
    allowed = tuple(r for group in allowed for r in ((group,) if isinstance(group, str) else group))

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                from aid.extensions import login_manager
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            if current_user.must_change_password and request.endpoint not in PASSWORD_EXEMPT:
                from flask import redirect, url_for
                from aid.htmx import client_redirect
                target = url_for("auth.change_password")
                return client_redirect(target) if request.headers.get("HX-Request") else redirect(target)
            return view(*args, **kwargs)

        wrapper.access_roles = allowed
        return wrapper

    return decorator


def public(view):
    view.access_roles = "public"
    return view


PASSWORD_EXEMPT = {"auth.change_password", "auth.logout"}
