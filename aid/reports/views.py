"""Report pages per school, bureau and province; every table exports to .xlsx."""
from flask import Blueprint, abort, flash, make_response, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from aid.access import AUTHORITY, SCHOOL, STAFF, roles
from aid.extensions import db
from aid.home.views import register_panel
from aid.htmx import render_htmx
from aid.org.models import School
from aid.programmes.semesters import Semester
from aid.reports import service
from aid.reports.charts import bar_chart
from aid.reports.export import table_xlsx
from aid.reports.forms import ReportFilterForm
from aid.scoping import scoped_select
from aid.templating import register_nav

bp = Blueprint("reports", __name__, url_prefix="/reports")

register_nav("reports.index", "统计报表", STAFF)


def _filters():
    """The semester and school chosen in the query string, checked against the jurisdiction."""
    form = ReportFilterForm(request.args)
    semesters = service.recent_semesters()
    form.semester.choices = [(str(s), s.label) for s in semesters]
    schools = db.session.execute(scoped_select(School).order_by(School.code)).scalars().all()
    whole = [] if current_user.role in SCHOOL else [(0, "全辖区")]
    form.school_id.choices = whole + [(s.id, f"{s.code} {s.name}") for s in schools]
    try:
        semester = Semester.parse(request.args.get("semester") or str(semesters[0]))
    except ValueError:
        abort(404)
    school_id = request.args.get("school_id", type=int) or 0
    if current_user.role in SCHOOL:
        school_id = current_user.school_id
    elif school_id and school_id not in {s.id for s in schools}:
        abort(404)
    form.semester.data, form.school_id.data = str(semester), school_id
    return form, semester, school_id or None


def _charts(report):
    registered = report.table("registered")
    applications = report.table("applications")
    charts = []
    if registered.total:
        charts.append(bar_chart([("全日制", registered.total[2]), ("非全日制", registered.total[3])],
                                f"在籍学生（{report.semester.label}）", "人"))
    by_programme: dict[str, int] = {}
    for name, _level, _n, recipients, _amount in applications.rows:
        by_programme[name] = by_programme.get(name, 0) + recipients
    charts.append(bar_chart(sorted(by_programme.items()), "受助学生人数（按资助项目）", "人"))
    return charts


def _report(semester, school_id, only=None):
    """One school's report is live; a whole jurisdiction's sums the stored figures per school."""
    if school_id or current_user.role in SCHOOL:
        return service.build_report(current_user, semester, school_id, only=only)
    return service.jurisdiction_report(current_user, semester, only=only)


@bp.route("/")
@roles(STAFF)
def index():
    """Every report table for the chosen semester and school (or the whole jurisdiction)."""
    form, semester, school_id = _filters()
    report = _report(semester, school_id)
    return render_htmx("reports/index.html", form=form, report=report, charts=_charts(report),
                       args={"semester": str(semester), **({"school_id": school_id} if school_id else {})})


@bp.route("/export/<table>.xlsx")
@roles(STAFF)
def export(table):
    """One report table as an .xlsx download."""
    if table not in service.BUILDERS:
        abort(404)
    _form, semester, school_id = _filters()
    report = _report(semester, school_id, only=table)
    data = table_xlsx(report.tables[0], semester.label, report.scope_label)
    resp = make_response(data)
    resp.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    resp.headers["Content-Disposition"] = f'attachment; filename="report-{table}-{semester}.xlsx"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/refresh", methods=["POST"])
@roles(AUTHORITY)
def refresh():
    """刷新: recompute the stored figures of every school in the jurisdiction for the semester."""
    _form, semester, _school_id = _filters()
    service.refresh_jurisdiction(current_user, semester)
    flash(f"{semester.label}统计数据已刷新。", "success")
    return redirect(url_for("reports.index", semester=str(semester)))


def _panel(user):
    """Home-page figures: students on the register now, per study mode and the largest schools,
    from the trigger-kept student tallies (the report page has the semester's tables)."""
    from aid.students import tallies

    semester = service.recent_semesters(1)[0]
    per_school: dict[int, int] = {}
    per_mode = {"full_time": 0, "part_time": 0}
    for school_id, mode, n in tallies.counts(user, "school_id", "study_mode", status="在籍"):
        per_school[school_id] = per_school.get(school_id, 0) + int(n)
        per_mode[mode] = per_mode.get(mode, 0) + int(n)
    charts = []
    if sum(per_mode.values()):
        charts.append(bar_chart([("全日制", per_mode["full_time"]), ("非全日制", per_mode["part_time"])],
                                "在籍学生（当前）", "人"))
    if len(per_school) > 1:
        largest = sorted(per_school.items(), key=lambda item: -item[1])[:10]
        names = dict(db.session.execute(select(School.id, School.name).where(School.id.in_([s for s, _ in largest]))).all())
        charts.append(bar_chart([(names.get(sid, ""), n) for sid, n in largest], "在籍学生最多的学校", "人"))
    return {"charts": charts, "semester": semester}


register_panel(STAFF, "reports/_panel.html", _panel)
