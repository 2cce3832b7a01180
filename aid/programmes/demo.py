"""Demo: the shipped programmes and a scholarship quota for every school."""
from aid.programmes import service
from aid.programmes.semesters import Semester

DEMO_SEMESTER = Semester(2025, "autumn")


def demo_step(ctx) -> None:
    admin = ctx.users["admin"]
    service.seed_defaults(admin)
    scholarship = service.programme_by_code("national_scholarship")
    for school in ctx.schools:
        service.set_quota(admin, scholarship, school.id, DEMO_SEMESTER.school_year_start, 3)
