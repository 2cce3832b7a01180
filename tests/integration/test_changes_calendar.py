"""The working-day calendar: official holidays with make-up days, a year the package
lacks gives the error naming it until the province admin enters it (screen and CLI),
every edit audited."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from aid.audit.models import AuditEvent
from aid.changes.calendar import get_calendar, set_day
from aid.changes.models import CalendarDay, CalendarYear
from aid.core.workdays import CalendarUnavailable
from aid.extensions import db
from tests.integration.test_changes_workflow import login


def cli(app, *args):
    return app.test_cli_runner(mix_stderr=False).invoke(args=["calendar", "deadline", *args]) \
        if _supports_mix_stderr() else app.test_cli_runner().invoke(args=["calendar", "deadline", *args])


def _supports_mix_stderr() -> bool:
    import inspect

    from click.testing import CliRunner
    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def test_cli_deadlines_across_spring_festival_2024_and_national_day_2025(app, world):
    assert cli(app, "2024-02-08", "10").output.strip() == "2024-02-28"
    assert cli(app, "2025-09-26", "10").output.strip() == "2025-10-16"
    assert cli(app, "2025-09-27", "1").output.strip() == "2025-09-28"  # the make-up Sunday
    bad = cli(app, "2024-13-01", "10")
    assert bad.exit_code != 0


def test_a_missing_year_errors_until_the_admin_enters_it(app, world):
    result = cli(app, "2027-02-03", "10")
    assert result.exit_code != 0
    assert "2027年" in (result.stderr if hasattr(result, "stderr") and result.stderr else result.output)

    admin = login(app, world, "province_admin")
    page = admin.client.get("/changes/calendar?year=2027&month=2&from=2027-02-03&n=10").get_data(as_text=True)
    assert "工作日历缺少2027年的数据" in page and "未录入" in page

    # declaring the year complete before any entry is refused
    resp = admin.post("/changes/calendar/year", {"year": "2027", "note": ""})
    assert resp.status_code == 422 and "尚未录入任何法定节假日" in resp.get_data(as_text=True)
    # a year the package covers needs no declaration
    resp = admin.post("/changes/calendar/year", {"year": "2025", "note": ""})
    assert resp.status_code == 422 and "已由官方节假日数据覆盖" in resp.get_data(as_text=True)

    # the 2027 Spring Festival (a hypothetical arrangement entered by the admin)
    for day in range(6, 13):
        resp = admin.post("/changes/calendar/day", {"day": f"2027-02-{day:02d}", "is_workday": "0", "note": "春节"})
        assert resp.status_code == 302
    resp = admin.post("/changes/calendar/day", {"day": "2027-02-14", "is_workday": "1", "note": "春节调休上班"})
    assert resp.status_code == 302
    still = admin.client.get("/changes/calendar?year=2027&month=2&from=2027-02-03&n=10").get_data(as_text=True)
    assert "工作日历缺少2027年的数据" in still  # entries alone are not the whole year
    resp = admin.post("/changes/calendar/year", {"year": "2027", "note": "国办发明电〔2026〕号"})
    assert resp.status_code == 302

    # 2/3 → 4, 5, (6–12 off), 14 (make-up Sunday), 15–19, 22, 23 → the 10th working day is 2/23
    page = admin.client.get("/changes/calendar?year=2027&month=2&from=2027-02-03&n=10").get_data(as_text=True)
    assert "2027-02-23" in page and "调休上班" in page and "春节" in page
    assert cli(app, "2027-02-03", "10").output.strip() == "2027-02-23"
    with app.test_request_context():
        assert get_calendar().deadline_after(date(2026, 12, 28), 10) == date(2027, 1, 11)

    # audited; other roles may look but not edit
    actions = set(db.session.execute(select(AuditEvent.action).where(AuditEvent.action.like("calendar.%"))).scalars())
    assert actions == {"calendar.set_day", "calendar.declare_year"}
    officer = login(app, world, "school_officer")
    assert officer.client.get("/changes/calendar?year=2024&month=2").status_code == 200
    assert officer.post("/changes/calendar/day", {"day": "2027-03-01", "is_workday": "0"}).status_code == 403

    # revoking makes the year unknown again
    resp = admin.post("/changes/calendar/year", {"year": "2027", "revoke": "1"})
    assert resp.status_code == 302
    assert cli(app, "2027-02-03", "10").exit_code != 0


def test_month_page_shows_holidays_and_make_up_days(app, world):
    bureau = login(app, world, "bureau_officer")
    page = bureau.client.get("/changes/calendar?year=2025&month=10").get_data(as_text=True)
    assert "国庆节" in page and "调休上班" in page
    assert "10月1日至10月8日放假，共8天" in page
    assert "9月28日（星期日" in page and "10月11日（星期六" in page
    page = bureau.client.get("/changes/calendar?year=2024&month=1").get_data(as_text=True)
    assert "春节：2月10日至2月17日放假，共8天" in page and "2月4日（星期日" in page and "2月18日（星期日" in page
    part = bureau.client.get("/changes/calendar?year=2024&month=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in part and "春节" in part


def test_admin_corrects_a_day_and_deletes_the_correction(app, world):
    admin = login(app, world, "province_admin")
    # a local correction: 2025-10-13 declared a rest day
    assert admin.post("/changes/calendar/day", {"day": "2025-10-13", "is_workday": "0", "note": "更正"}).status_code == 302
    assert cli(app, "2025-09-26", "10").output.strip() == "2025-10-17"
    row = db.session.execute(select(CalendarDay).where(CalendarDay.day == date(2025, 10, 13))).scalar_one()
    assert admin.post(f"/changes/calendar/day/{row.id}/delete").status_code == 302
    assert cli(app, "2025-09-26", "10").output.strip() == "2025-10-16"
    resp = admin.post("/changes/calendar/day", {"day": "", "is_workday": "0"})
    assert resp.status_code == 422 and "请填写日期" in resp.get_data(as_text=True)


def test_get_calendar_is_cached_per_request_and_refreshed_after_an_edit(app, world):
    with app.test_request_context():
        first = get_calendar()
        assert get_calendar() is first
        set_day(world.user("province_admin"), date(2030, 1, 1), False, "元旦")
        assert get_calendar() is not first
        try:
            get_calendar().deadline_after(date(2030, 1, 1), 1)
        except CalendarUnavailable as exc:
            assert exc.year == 2030
        else:
            raise AssertionError("2030 is not complete: no guess")
        db.session.rollback()
    assert db.session.execute(select(CalendarYear)).first() is None
