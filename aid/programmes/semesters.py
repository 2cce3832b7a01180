"""Semesters (学期) and the year of study (年级) computed from the intake date."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import total_ordering

TERMS = ("spring", "autumn")
_TERM_LABEL = {"spring": "春季", "autumn": "秋季"}
_PATTERN = re.compile(r"^\s*(\d{4})-(spring|autumn)\s*$")


@total_ordering
@dataclass(frozen=True)
class Semester:
    year: int
    term: str  # 'spring' | 'autumn'

    def __post_init__(self):
        if self.term not in TERMS:
            raise ValueError(f"term must be 'spring' or 'autumn', not {self.term!r}")
        if not isinstance(self.year, int) or not 1900 <= self.year <= 9998:
            raise ValueError(f"implausible semester year {self.year!r}")

    @classmethod
    def parse(cls, text: str) -> Semester:
        m = _PATTERN.match(text or "")
        if not m:
            raise ValueError(f"not a semester (expected e.g. '2025-autumn'): {text!r}")
        return cls(int(m.group(1)), m.group(2))

    @classmethod
    def containing(cls, day: date) -> Semester:
        if day.month >= 9:
            return cls(day.year, "autumn")
        if day.month <= 2:
            return cls(day.year - 1, "autumn")
        return cls(day.year, "spring")

    @classmethod
    def from_ordinal(cls, n: int) -> Semester:
        return cls(n // 2, TERMS[n % 2])

    @property
    def ordinal(self) -> int:
        """Consecutive semesters have consecutive ordinals."""
        return self.year * 2 + TERMS.index(self.term)

    def __lt__(self, other):
        if not isinstance(other, Semester):
            return NotImplemented
        return self.ordinal < other.ordinal

    def __str__(self) -> str:
        return f"{self.year}-{self.term}"

    @property
    def label(self) -> str:
        return f"{self.year}年{_TERM_LABEL[self.term]}学期"

    @property
    def start_date(self) -> date:
        return date(self.year, 3, 1) if self.term == "spring" else date(self.year, 9, 1)

    @property
    def end_date(self) -> date:
        if self.term == "spring":
            return date(self.year, 8, 31)
        return date(self.year + 1, 2, calendar.monthrange(self.year + 1, 2)[1])

    @property
    def school_year_start(self) -> int:
        """The autumn that opens this semester's school year."""
        return self.year if self.term == "autumn" else self.year - 1

    @property
    def school_year(self) -> str:
        return f"{self.school_year_start}-{self.school_year_start + 1}学年"

    def next(self) -> Semester:
        return Semester.from_ordinal(self.ordinal + 1)

    def prev(self) -> Semester:
        return Semester.from_ordinal(self.ordinal - 1)

    def __contains__(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


def intake_semester(intake: date) -> Semester:
    """The semester a cohort starts in.

    Unlike Semester.containing, an intake date is rounded to the nearest term start:
    classes start in February/March or late August/September, so an intake dated
    2023-08-28 is an autumn-2023 cohort and one dated 2024-02-20 a spring-2024 cohort.
    """
    return Semester(intake.year, "spring" if intake.month <= 6 else "autumn")


def year_of_study(intake: date, semester: Semester) -> int:
    """年级 in `semester` for a class with this intake date; 0 before the intake.

    Every two semesters from the intake semester make one year, so autumn intakes move up
    each autumn and spring intakes each spring.
    """
    elapsed = semester.ordinal - intake_semester(intake).ordinal
    return 0 if elapsed < 0 else elapsed // 2 + 1
