"""Status-change rules without HTTP: deadlines on the official calendar, timeliness
categories, the transition table and evidence type checks."""
from datetime import date
from types import SimpleNamespace

import pytest

from aid.changes.evidence import sniff
from aid.changes.service import action_for, timeliness
from aid.changes.workflow import CHANGE_WORKFLOW, FINAL_STATES, OPEN_STATES, RECEIVER_STATES
from aid.core.workdays import CalendarUnavailable, WorkdayCalendar

D = date.fromisoformat
CAL = WorkdayCalendar()


def change(happened, state="recorded", processed=None, kind="suspend"):
    return SimpleNamespace(happened_on=D(happened), state=state, school_processed_on=D(processed) if processed else None,
                           kind=kind, is_transfer=kind == "transfer")


@pytest.mark.parametrize("happened, deadline", [
    # 2024 春节: 2月10日至17日放假；2月4日（日）、2月18日（日）上班
    ("2024-02-08", "2024-02-28"),  # Fri 9th, then the make-up Sunday 18th counts
    ("2024-02-09", "2024-02-29"),
    ("2024-02-03", "2024-02-21"),  # the make-up Sunday 4th is the first working day
    ("2024-02-12", "2024-02-29"),  # happened during the holiday: the make-up Sunday 18th is the first
    # 2025 国庆·中秋: 10月1日至8日放假；9月28日（日）、10月11日（六）上班
    ("2025-09-26", "2025-10-16"),  # Sunday 28th and Saturday 11th both count
    ("2025-09-30", "2025-10-21"),
    ("2025-10-03", "2025-10-21"),
])
def test_deadline_is_the_tenth_working_day_after_the_event(happened, deadline):
    assert timeliness(change(happened), today=D(happened), cal=CAL, n=10).deadline == D(deadline)


def test_first_working_day_after_new_years_day_2026_is_the_make_up_sunday():
    assert CAL.deadline_after(D("2026-01-01"), 1) == D("2026-01-04")


def test_open_change_counts_days_left_then_days_overdue():
    c = change("2025-09-26")
    t = timeliness(c, today=D("2025-10-13"), cal=CAL, n=10)
    assert (t.category, t.label) == ("open", "还剩3个工作日")
    t = timeliness(c, today=D("2025-10-16"), cal=CAL, n=10)
    assert (t.category, t.label, t.overdue) == ("open", "今天到期", False)
    t = timeliness(c, today=D("2025-10-20"), cal=CAL, n=10)
    assert (t.category, t.overdue) == ("open_overdue", True)
    assert t.label == "已逾期2个工作日"  # 17th (Fri) and 20th (Mon)


def test_processed_by_the_school_on_or_before_the_deadline_is_on_time():
    t = timeliness(change("2024-02-08", "approved", processed="2024-02-28"), today=D("2024-06-01"), cal=CAL, n=10)
    assert (t.category, t.label, t.overdue) == ("on_time", "按时办理", False)


def test_processed_after_the_deadline_is_late_with_the_overrun():
    t = timeliness(change("2024-02-08", "school_approved", processed="2024-03-01"), today=D("2024-06-01"), cal=CAL, n=10)
    assert t.category == "late" and t.overdue
    assert t.label == "逾期办理（超期2个工作日）"


def test_cancelled_change_is_closed_not_overdue():
    t = timeliness(change("2024-02-08", "cancelled"), today=D("2024-06-01"), cal=CAL, n=10)
    assert t.category == "closed" and not t.overdue


def test_the_deadline_setting_is_honoured():
    assert timeliness(change("2025-09-26"), today=D("2025-09-26"), cal=CAL, n=3).deadline == D("2025-09-30")


def test_year_missing_from_the_calendar_is_an_error_naming_it_never_a_guess():
    t = timeliness(change("2027-03-01"), today=D("2027-03-02"), cal=CAL, n=10)
    assert t.deadline is None and t.category == "unknown"
    assert "2027年" in t.error
    with pytest.raises(CalendarUnavailable):
        CAL.deadline_after(D("2026-12-28"), 10)  # runs into 2027


def test_a_year_entered_and_declared_complete_works():
    overrides = {D("2027-02-08"): False, D("2027-02-09"): False}
    cal = WorkdayCalendar(overrides, complete_years=[2027])
    assert cal.deadline_after(D("2027-02-05"), 2) == D("2027-02-11")


def test_transition_table():
    wf = CHANGE_WORKFLOW
    assert wf.get("approve_school").roles == ("school_leader",)
    assert set(wf.get("approve_school").separate_from) >= {"record", "resubmit"}
    assert wf.get("confirm").target == "approved" and wf.get("confirm").roles == ("bureau_officer",)
    assert wf.get("confirm_transfer").target == "awaiting_receiver"
    assert set(wf.get("confirm").separate_from) >= {"record", "approve_school"}
    for action in ("return_by_school", "return_by_bureau", "decline", "cancel"):
        assert wf.get(action).needs_reason
    assert wf.get("accept").sources == ("awaiting_receiver",)
    assert not set(OPEN_STATES) & set(FINAL_STATES)
    assert "recorded" not in RECEIVER_STATES and "school_approved" not in RECEIVER_STATES


def test_bureau_confirmation_of_a_transfer_becomes_the_handshake_step():
    assert action_for(change("2025-01-01", kind="transfer"), "confirm") == "confirm_transfer"
    assert action_for(change("2025-01-01", kind="suspend"), "confirm_transfer") == "confirm"
    assert action_for(change("2025-01-01", kind="suspend"), "confirm") == "confirm"


@pytest.mark.parametrize("content, expected", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
    (b"%PDF-1.7\n", "application/pdf"),
    (b"GIF89a", None),
    (b"MZ\x90\x00", None),
    (b"<html><script>", None),
    (b"PK\x03\x04", None),
])
def test_evidence_type_is_decided_by_content(content, expected):
    result = sniff(content)
    assert (result[0] if result else None) == expected
