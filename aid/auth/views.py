"""Login, logout and password change."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from aid.access import ALL_ROLES, public, roles
from aid.audit.service import record
from aid.auth import service
from aid.auth.forms import ChangePasswordForm, EmptyForm, LoginForm
from aid.extensions import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Log in; lockout after repeated failures."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.username.data, form.password.data)
        except service.AuthError as exc:
            error = str(exc)
        else:
            session.clear()
            service.open_session(user)
            login_user(user)
            record("login", user, user=user, summary="登录成功")
            db.session.commit()
            if user.must_change_password:
                flash("首次登录，请先修改密码", "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    status = 200 if not error else 401
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@roles(ALL_ROLES)
def logout():
    """Log out and revoke this session on the server."""
    form = EmptyForm()
    if form.validate_on_submit():
        service.revoke_session(current_user.session_token)
        record("logout", current_user, summary="退出登录")
        db.session.commit()
        logout_user()
        session.clear()
        flash("您已安全退出", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@roles(ALL_ROLES)
def change_password():
    """Change one's own password; every session of the account ends."""
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current.data, form.new.data, form.confirm.data)
        except service.AuthError as exc:
            error = str(exc)
            db.session.rollback()
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash("密码已修改，请用新密码重新登录", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/change_password.html", form=form, error=error), (400 if error else 200)
