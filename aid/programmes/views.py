"""Aid programmes: policy versions by semester, grant levels and averages, quotas."""
from dataclasses import replace
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from aid.access import AUTHORITY, STAFF, roles
from aid.extensions import db
from aid.org.models import School
from aid.programmes import service
from aid.programmes.eligibility import Level
from aid.programmes.forms import MAX_LEVELS, LocalProgrammeForm, VersionForm
from aid.programmes.models import PROGRAMME_KINDS, Programme, ProgrammeQuota
from aid.programmes.semesters import Semester
from aid.scoping import in_jurisdiction, scoped_select
from aid.templating import register_nav

bp = Blueprint("programmes", __name__, url_prefix="/programmes")
register_nav("programmes.index", "资助项目", STAFF)
register_nav("programmes.quotas", "奖学金名额", AUTHORITY)

_FLAGS = ("include_rural", "include_urban_agriculture", "include_agriculture_major", "include_hardship",
          "include_ethnic_minority_area_school", "include_opera", "include_poverty_area_rural",
          "exclude_other_performing_arts", "require_hardship", "require_excellence")


def _visible_programme(programme_id) -> Programme:
    programme = db.session.get(Programme, int(programme_id))
    if programme is None or (programme.school_id is not None and not in_jurisdiction(programme.school_id)):
        abort(404)
    return programme


def _rows(programmes, semester):
    rows = []
    for p in programmes:
        version = service.version_for(p, semester)
        rules = service.version_rules(version) if version else None
        rows.append({"programme": p, "version": version, "rules": rules,
                     "average": service.average_vs_policy(rules) if rules else None})
    return rows


@bp.route("/")
@roles(STAFF)
def index():
    """Programmes with the rules in force in a semester."""
    semester = service.parse_semester(request.args.get("semester"))
    school_id = current_user.school_id
    programmes = service.programmes_for_school(school_id) if school_id else list(
        db.session.execute(select(Programme).order_by(Programme.id)).scalars())
    programmes = [p for p in programmes if p.school_id is None or in_jurisdiction(p.school_id)]
    return render_template("programmes/index.html", rows=_rows(programmes, semester), semester=semester,
                           semesters=service.semester_choices(), kinds=PROGRAMME_KINDS,
                           local_form=LocalProgrammeForm() if current_user.role == "province_admin" else None)


@bp.route("/<int:programme_id>")
@roles(STAFF)
def detail(programme_id):
    """Every version of a programme: what held in which semesters, and the grant average."""
    programme = _visible_programme(programme_id)
    versions = [(v, service.version_rules(v)) for v in programme.versions]
    versions = [(v, r, service.average_vs_policy(r)) for v, r in versions]
    return render_template("programmes/detail.html", programme=programme, versions=versions,
                           schedule_labels={"semester": "按学期", "monthly": "按月"})


def _form_defaults(form: VersionForm, rules) -> None:
    for flag in _FLAGS:
        getattr(form, flag).data = getattr(rules, flag)
    form.years_of_study.data = list(rules.years_of_study)
    form.min_year.data = rules.min_year
    form.fixed_annual_yuan.data = Decimal(rules.fixed_annual_fen) / 100 if rules.fixed_annual_fen is not None else None
    form.policy_average_yuan.data = Decimal(rules.policy_average_fen) / 100 if rules.policy_average_fen else None
    form.quota.data = rules.quota
    for i, level in enumerate(rules.levels[:MAX_LEVELS]):
        getattr(form, f"level_name_{i}").data = level.name
        getattr(form, f"level_yuan_{i}").data = Decimal(level.annual_fen) / 100
        if rules.level_weights:
            getattr(form, f"level_weight_{i}").data = rules.level_weights[i]


def _fen(value) -> int | None:
    return None if value is None else int((Decimal(value) * 100).to_integral_value())


def _rules_from_form(form: VersionForm, base, start: Semester):
    levels, weights = [], []
    for i in range(MAX_LEVELS):
        name = (getattr(form, f"level_name_{i}").data or "").strip()
        if not name:
            continue
        fen = _fen(getattr(form, f"level_yuan_{i}").data)
        if fen is None:
            raise service.ProgrammeError(f"请填写档次“{name}”的金额")
        levels.append(Level(name, fen))
        weights.append(getattr(form, f"level_weight_{i}").data)
    if len({lv.name for lv in levels}) != len(levels):
        raise service.ProgrammeError("档次名称不能重复")
    if base.amount_source == "level" and not 2 <= len(levels) <= MAX_LEVELS:
        raise service.ProgrammeError("助学金须设置2–4个档次")
    if any(w is not None for w in weights) and any(w is None for w in weights):
        raise service.ProgrammeError("预计人数要么每档都填，要么都不填")
    level_weights = tuple(weights) if weights and all(w is not None for w in weights) else ()
    if level_weights and sum(level_weights) == 0:
        raise service.ProgrammeError("各档预计人数不能全为0")
    changes = {flag: bool(getattr(form, flag).data) for flag in _FLAGS}
    fixed = _fen(form.fixed_annual_yuan.data)
    if base.amount_source == "fixed" and fixed is None:
        raise service.ProgrammeError("请填写每生每年金额")
    try:
        return replace(base, valid_from=start, valid_to=None, years_of_study=tuple(sorted(form.years_of_study.data or ())),
                       min_year=form.min_year.data or 1, levels=tuple(levels) if base.amount_source == "level" else base.levels,
                       level_weights=level_weights if base.amount_source == "level" else (),
                       fixed_annual_fen=fixed if base.amount_source == "fixed" else base.fixed_annual_fen,
                       policy_average_fen=_fen(form.policy_average_yuan.data), quota=form.quota.data, **changes)
    except ValueError as exc:
        raise service.ProgrammeError(f"政策设置不一致：{exc}") from exc


@bp.route("/<int:programme_id>/edit", methods=["GET", "POST"])
@roles("province_admin")
def edit(programme_id):
    """A new version of the rules from a semester onward (past semesters stay as they were)."""
    programme = _visible_programme(programme_id)
    today = service.current_semester()
    latest = programme.versions[-1] if programme.versions else None
    base = service.version_rules(latest) if latest else service.ProgrammeRules(
        code=programme.code, name=programme.name, kind="local", valid_from=today, amount_source="fixed",
        fixed_annual_fen=0)
    form = VersionForm()
    form.valid_from.choices = [(str(Semester.from_ordinal(today.ordinal + k)), Semester.from_ordinal(today.ordinal + k).label)
                               for k in range(0, 5)]
    if request.method == "GET":
        _form_defaults(form, base)
        form.payment_schedule.data = latest.payment_schedule if latest else "semester"
    error = None
    if form.validate_on_submit():
        try:
            rules = _rules_from_form(form, base, Semester.parse(form.valid_from.data))
            service.new_version(current_user, programme, rules, payment_schedule=form.payment_schedule.data,
                                note=form.note.data.strip(), today=today)
        except service.ProgrammeError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(f"已保存{programme.name}的新政策版本", "success")
            return redirect(url_for("programmes.detail", programme_id=programme.id))
    preview = service.average_vs_policy(base)
    status = 422 if (form.errors or error) else 200
    return render_template("programmes/edit.html", programme=programme, form=form, base=base, error=error,
                           preview=preview, max_levels=MAX_LEVELS), status


@bp.route("/local", methods=["POST"])
@roles("province_admin")
def create_local():
    """A province-defined programme; its rules (the first version) are set on the edit page next."""
    form = LocalProgrammeForm()
    form.school_id.choices = [(0, "全省")]
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
        return redirect(url_for("programmes.index"))
    try:
        programme = service.create_local_programme(current_user, form.code.data.strip(), form.name.data.strip(), None)
    except service.ProgrammeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("programmes.index"))
    db.session.commit()
    flash("已新建项目，请设置资助条件和标准", "success")
    return redirect(url_for("programmes.edit", programme_id=programme.id))


@bp.route("/quotas", methods=["GET", "POST"])
@roles(AUTHORITY)
def quotas():
    """Per-school places of the national scholarship for a school year."""
    programme = service.programme_by_code("national_scholarship")
    if programme is None:
        flash("尚未初始化资助项目", "warning")
        return redirect(url_for("programmes.index"))
    semester = service.parse_semester(request.values.get("semester"))
    autumn = Semester(semester.school_year_start, "autumn")
    schools = db.session.execute(scoped_select(School).order_by(School.code)).scalars().all()
    error = None
    if request.method == "POST":
        try:
            for school in schools:
                raw = (request.form.get(f"quota_{school.id}") or "").strip()
                if raw == "":
                    continue
                if not raw.isdigit():
                    raise service.ProgrammeError(f"{school.name}的名额必须是非负整数")
                service.set_quota(current_user, programme, school.id, autumn.year, int(raw))
        except service.ProgrammeError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash("名额已保存", "success")
            return redirect(url_for("programmes.quotas", semester=str(autumn)))
    existing = dict(db.session.execute(select(ProgrammeQuota.school_id, ProgrammeQuota.quota).where(
        ProgrammeQuota.programme_id == programme.id, ProgrammeQuota.school_year_start == autumn.year)).all())
    used = {s.id: service.quota_used(programme, s.id, autumn) for s in schools}
    sems = [(str(Semester(y, "autumn")), f"{y}-{y + 1}学年") for y in range(autumn.year + 1, autumn.year - 4, -1)]
    return render_template("programmes/quotas.html", programme=programme, schools=schools, existing=existing,
                           used=used, semester=autumn, semesters=sems, error=error), (422 if error else 200)
