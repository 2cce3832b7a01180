"""Payment periods: a semester ("2025-autumn") or, where the programme version pays
monthly, one of the semester's five payment months ("2025-10")."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from aid.core.errors import InvalidValue
from aid.programmes.eligibility import MONTHS_PER_SEMESTER
from aid.programmes.semesters import Semester

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
# the five payment months of each term (MONTHS_PER_SEMESTER): autumn Sep–Jan, spring Mar–Jul
_TERM_MONTHS = {"autumn": (9, 10, 11, 12, 1), "spring": (3, 4, 5, 6, 7)}
assert all(len(m) == MONTHS_PER_SEMESTER for m in _TERM_MONTHS.values())


@dataclass(frozen=True)
class Period:
    semester: Semester
    month: date | None = None  # first day of the payment month; None: the whole semester

    @property
    def key(self) -> str:
        return f"{self.month:%Y-%m}" if self.month else str(self.semester)

    @property
    def label(self) -> str:
        if self.month:
            return f"{self.month.year}年{self.month.month}月（{self.semester.label}）"
        return self.semester.label

    @property
    def start_date(self) -> date:
        return self.month or self.semester.start_date

    @property
    def instalment_index(self) -> int | None:
        """0-based index of the month among the semester's payment months."""
        if self.month is None:
            return None
        return semester_months(self.semester).index(self.month)

    def __str__(self) -> str:
        return self.key


def semester_months(semester: Semester) -> list[date]:
    months = []
    for m in _TERM_MONTHS[semester.term]:
        year = semester.year + (1 if semester.term == "autumn" and m < 9 else 0)
        months.append(date(year, m, 1))
    return months


def parse_period(text: str) -> Period:
    """A semester key or a payment month; a Chinese message when neither."""
    text = (text or "").strip()
    try:
        return Period(Semester.parse(text))
    except ValueError:
        pass
    m = _MONTH.match(text)
    if not m:
        raise InvalidValue("期次格式不正确：按学期填写如 2025-autumn，按月填写如 2025-10")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12 or not 1900 <= year <= 9998:
        raise InvalidValue("期次中的月份无效")
    first = date(year, month, 1)
    semester = Semester.containing(first)
    if first not in semester_months(semester):
        raise InvalidValue(f"{year}年{month}月不是助学金按月发放的月份（秋季学期9月至次年1月，春季学期3月至7月）")
    return Period(semester, first)


def periods_of(semester: Semester, schedule: str) -> list[Period]:
    if schedule == "monthly":
        return [Period(semester, m) for m in semester_months(semester)]
    return [Period(semester)]


def period_in_semester(period_key: str, semester: Semester) -> bool:
    try:
        return parse_period(period_key).semester == semester
    except InvalidValue:
        return False
