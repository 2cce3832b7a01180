"""Each role's home page."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from aid.access import ALL_ROLES, public, roles
from aid.extensions import db
from aid.home import service
from aid.students.models import Student

bp = Blueprint("home", __name__)

# Areas contribute panels to home pages: {role: [template, ...]}; each panel
# template reads what it needs from `panels_context` functions registered below.
HOME_PANELS: dict[str, list[tuple[str, object]]] = {}


def register_panel(role_list, template: str, context_fn) -> None:
    for role in role_list:
        HOME_PANELS.setdefault(role, []).append((template, context_fn))


@bp.route("/")
@public
def root():
    """Send visitors to their home page or to the login page."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    return redirect(url_for("auth.login"))


@bp.route("/home")
@roles(ALL_ROLES)
def index():
    """The role's home page."""
    role = current_user.role
    panels = [(tpl, fn(current_user)) for tpl, fn in HOME_PANELS.get(role, [])]
    if role == "student":
        student = db.session.get(Student, current_user.student_id) if current_user.student_id else None
        return render_template("home/student.html", student=student, panels=panels)
    context = {
        "counts": service.student_counts(current_user),
        "registration": service.registration_counts(current_user),
        "school_count": service.school_count(current_user),
        "panels": panels,
    }
    return render_template(f"home/{'school' if role.startswith('school') else 'authority'}.html", **context)
