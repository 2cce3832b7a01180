"""Authorities, schools and user accounts."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from aid.access import AUTHORITY, roles
from aid.auth.forms import EmptyForm
from aid.auth.models import ROLES, User
from aid.extensions import db
from aid.htmx import render_htmx
from aid.org import service
from aid.org.forms import AuthorityForm, SchoolForm, SearchForm, UserForm
from aid.org.models import Authority, School
from aid.scoping import get_scoped_or_404, scope, scoped_select

bp = Blueprint("org", __name__, url_prefix="/org")
PAGE_SIZE = 50


def _authority_choices():
    rows = db.session.execute(scoped_select(Authority).order_by(Authority.id)).scalars()
    return [(a.id, f"{a.name}（{a.level_label}）") for a in rows]


def _school_choices():
    rows = db.session.execute(scoped_select(School).order_by(School.code)).scalars()
    return [(s.id, f"{s.code} {s.name}") for s in rows]


@bp.route("/authorities", methods=["GET", "POST"])
@roles("province_admin")
def authorities():
    """The authority tree; the province admin adds city and county bureaus."""
    form = AuthorityForm()
    form.parent_id.choices = _authority_choices()
    if form.validate_on_submit():
        try:
            service.create_authority(current_user, form.name.data.strip(), form.level.data, form.parent_id.data)
        except service.OrgError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash("主管部门已新建", "success")
            return redirect(url_for("org.authorities"))
    rows = db.session.execute(scoped_select(Authority).order_by(Authority.level.desc(), Authority.id)).scalars().all()
    return render_template("org/authorities.html", authorities=rows, form=form)


@bp.route("/schools")
@roles(AUTHORITY)
def schools():
    """Schools in the jurisdiction, with active search."""
    search = SearchForm(request.args)
    stmt = scoped_select(School).order_by(School.code)
    q = (search.q.data or "").strip() if search.validate() else ""
    if q:
        stmt = stmt.where(or_(School.name.contains(q), School.code.contains(q)))
    rows = db.session.execute(stmt.limit(500)).scalars().all()
    return render_htmx("org/schools.html", schools=rows, search=search, q=q)


@bp.route("/schools/new", methods=["GET", "POST"])
@roles(AUTHORITY)
def school_new():
    """Create a school under an authority in the jurisdiction."""
    return _school_form(None)


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@roles(AUTHORITY)
def school_edit(school_id):
    """Edit a school's details."""
    return _school_form(get_scoped_or_404(School, school_id))


def _school_form(school):
    form = SchoolForm(obj=school)
    form.authority_id.choices = _authority_choices()
    if form.validate_on_submit():
        data = {f: getattr(form, f).data for f in (
            "code", "name", "kind", "ownership", "authority_id", "address", "credit_code",
            "legal_representative", "contact_phone", "ethnic_minority_area", "contiguous_poverty_area")}
        data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
        try:
            saved = service.save_school(current_user, school, data)
        except service.OrgError as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            flash("学校信息已保存", "success")
            return redirect(url_for("org.school_detail", school_id=saved.id))
    status = 400 if form.errors else 200
    return render_template("org/school_form.html", form=form, school=school), status


@bp.route("/schools/<int:school_id>")
@roles(AUTHORITY)
def school_detail(school_id):
    """A school's details and accounts."""
    school = get_scoped_or_404(School, school_id)
    users = db.session.execute(select(User).where(User.school_id == school.id, User.role != "student")
                               .order_by(User.username)).scalars().all()
    return render_template("org/school_detail.html", school=school, users=users)


def _users_stmt():
    stmt = select(User).where(User.role != "student")
    schools_stmt = scope(select(School.id), School, current_user)
    if current_user.role == "province_admin":
        authorities = scope(select(Authority.id), Authority, current_user)
        return stmt.where(or_(User.school_id.in_(schools_stmt), User.authority_id.in_(authorities)))
    return stmt.where(User.school_id.in_(schools_stmt))


@bp.route("/users")
@roles(AUTHORITY)
def users():
    """Accounts the user may manage, with active search."""
    search = SearchForm(request.args)
    q = (search.q.data or "").strip() if search.validate() else ""
    stmt = _users_stmt().order_by(User.role, User.username)
    if q:
        stmt = stmt.where(or_(User.username.contains(q), User.display_name.contains(q)))
    rows = db.session.execute(stmt.limit(500)).scalars().all()
    return render_htmx("org/users.html", users=rows, search=search, q=q, roles=ROLES, action_form=EmptyForm())


@bp.route("/users/new", methods=["GET", "POST"])
@roles(AUTHORITY)
def user_new():
    """Create a staff account; its initial password is shown once."""
    form = UserForm()
    form.school_id.choices = [(0, "（不适用）")] + _school_choices()
    form.authority_id.choices = [(0, "（不适用）")] + (_authority_choices() if current_user.role == "province_admin" else [])
    if current_user.role == "bureau_officer":
        form.role.choices = [(k, v) for k, v in ROLES.items() if k in ("school_officer", "school_leader")]
    if form.validate_on_submit():
        try:
            user, password = service.create_user(
                current_user, username=form.username.data.strip(), display_name=form.display_name.data.strip(),
                role=form.role.data, school_id=form.school_id.data or None, authority_id=form.authority_id.data or None)
        except service.OrgError as exc:
            db.session.rollback()
            form.username.errors.append(str(exc))
        else:
            db.session.commit()
            return render_template("org/user_created.html", new_user=user, password=password)
    return render_template("org/user_form.html", form=form), (400 if form.errors else 200)


def _managed_user_or_404(user_id):
    user = db.session.execute(_users_stmt().where(User.id == user_id)).scalar_one_or_none()
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/<any(unlock, disable, enable, reset):action>", methods=["POST"])
@roles(AUTHORITY)
def user_action(user_id, action):
    """Unlock, disable, enable or reset the password of a managed account."""
    user = _managed_user_or_404(user_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash("安全令牌无效，请刷新后重试", "danger")
        return redirect(url_for("org.users"))
    password = None
    try:
        if action == "unlock":
            service.unlock_user(current_user, user)
            message = f"已解除 {user.username} 的锁定"
        elif action in ("disable", "enable"):
            service.set_active(current_user, user, action == "enable")
            message = f"已{'启用' if action == 'enable' else '停用'} {user.username}"
        else:
            password = service.reset_password(current_user, user)
            message = f"已重置 {user.username} 的密码"
    except service.OrgError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("org.users"))
    db.session.commit()
    if password:
        return render_template("org/user_created.html", new_user=user, password=password, reset=True)
    flash(message, "success")
    return redirect(url_for("org.users"))
