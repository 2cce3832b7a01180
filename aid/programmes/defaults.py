"""The programme versions the product ships (DESIGN §3.5): national rules of 2023 and the
2025 change to the national grant. The province admin copies and edits these as data."""
from __future__ import annotations

from .eligibility import ProgrammeRules, Level
from .semesters import Semester

YUAN = 100  # fen

DEFAULT_GRANT_LEVELS = (
    Level("特别困难", 3000 * YUAN),
    Level("比较困难", 2000 * YUAN),
    Level("一般困难", 1000 * YUAN),
)

# 免学费: 农村（含县镇）学生、城市涉农专业学生和家庭经济困难学生免除学费（艺术类相关表演专业
# 学生除外）, plus students of schools in ethnic-minority areas and opera majors.
# The national text puts the performing-arts exclusion on all three of the first groups,
# with no exception for hardship, so a rural or hardship-determined student of another
# performing-arts major is NOT waived by default; the exclusion does not touch the
# separate ethnic-minority-area and opera inclusions. A province whose rules waive such
# students when they are hardship-determined adds "hardship" to performing_arts_allowed_via.
TUITION_WAIVER = ProgrammeRules(
    code="tuition_waiver",
    name="免学费",
    kind="waiver",
    valid_from=Semester(2023, "spring"),
    years_of_study=(1, 2, 3),
    include_rural=True,
    include_urban_agriculture=True,
    include_hardship=True,
    include_ethnic_minority_area_school=True,
    include_opera=True,
    exclude_other_performing_arts=True,
    performing_arts_allowed_via=("ethnic_minority_area_school", "opera"),
    # private schools: the caller passes the standard of a public school's same major
    amount_source="tuition_standard",
)

_GRANT_COMMON = dict(
    code="national_grant",
    name="国家助学金",
    kind="grant",
    include_agriculture_major=True,
    include_hardship=True,
    include_poverty_area_rural=True,
    amount_source="level",
    levels=DEFAULT_GRANT_LEVELS,
)

NATIONAL_GRANT_2023 = ProgrammeRules(
    **_GRANT_COMMON,
    valid_from=Semester(2023, "spring"),
    valid_to=Semester(2024, "autumn"),
    years_of_study=(1, 2),
    policy_average_fen=2000 * YUAN,
)

# From 2025 spring: year 3 included and the average raised to 2300 yuan. The shipped
# levels are unchanged; with equal head counts they average 2000, so the province sets
# levels/weights that reach the policy average (see levels_average_fen).
NATIONAL_GRANT_2025 = ProgrammeRules(
    **_GRANT_COMMON,
    valid_from=Semester(2025, "spring"),
    years_of_study=(1, 2, 3),
    policy_average_fen=2300 * YUAN,
)

NATIONAL_SCHOLARSHIP = ProgrammeRules(
    code="national_scholarship",
    name="国家奖学金",
    kind="scholarship",
    valid_from=Semester(2023, "spring"),
    min_year=2,
    require_excellence=True,
    amount_source="fixed",
    fixed_annual_fen=6000 * YUAN,
    paid_once=True,
    quota=None,  # set per school, passed to eligibility(quota=...)
)

DEFAULT_PROGRAMMES: tuple[ProgrammeRules, ...] = (
    TUITION_WAIVER,
    NATIONAL_GRANT_2023,
    NATIONAL_GRANT_2025,
    NATIONAL_SCHOLARSHIP,
)
