"""Flask-Login wiring: the cookie carries a random token whose server-side row
decides validity (revoked, idle for too long, account disabled)."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, flash, redirect, request, url_for
from flask_login import current_user

from aid.auth.models import User
from aid.extensions import db, login_manager
from aid.settings import get_setting
from aid.timeutil import utcnow

TOUCH_EVERY = timedelta(seconds=60)  # avoid a write on every request


def init_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = None  # the server-side session row does this job

    @login_manager.user_loader
    def load_user(token: str):
        from aid.auth.service import session_for_token

        sess = session_for_token(token)
        if sess is None or sess.revoked_at is not None:
            return None
        now = utcnow()
        if now - sess.last_seen_at > timedelta(minutes=get_setting("session_idle_minutes")):
            sess.revoked_at = now
            db.session.commit()
            request.environ["aid.session_expired"] = True
            return None
        user = db.session.get(User, sess.user_id)
        if user is None or not user.active:
            return None
        if now - sess.last_seen_at > TOUCH_EVERY:
            sess.last_seen_at = now
            db.session.commit()
        user.session_token = token
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        expired = request.environ.get("aid.session_expired")
        message = "会话已超时，请重新登录" if expired else "请先登录"
        login_url = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
        if request.headers.get("HX-Request") == "true":
            from aid.htmx import client_redirect
            return client_redirect(login_url, status=401)
        flash(message, "warning")
        return redirect(login_url)

    @app.context_processor
    def inject_user():
        from flask import has_request_context
        # the user object itself, not the proxy: a list page reads it once per row, and
        # each read through the proxy costs a context lookup
        return {"user": current_user._get_current_object() if has_request_context() else None}
