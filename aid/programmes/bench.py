"""Bench data: the shipped programmes and hardship categories (through the seed
functions the `programmes seed` command uses) and a scholarship quota per school."""
from sqlalchemy import insert

from aid.extensions import db
from aid.hardship.service import seed_categories
from aid.programmes.models import ProgrammeQuota
from aid.programmes.semesters import Semester
from aid.programmes.service import programme_by_code, seed_defaults


def bench_step(ctx) -> None:
    admin = ctx.users["province_admin"]
    seed_defaults(admin)
    seed_categories()
    scholarship = programme_by_code("national_scholarship")
    year = Semester.parse(ctx.semester).school_year_start
    db.session.execute(insert(ProgrammeQuota), [
        dict(programme_id=scholarship.id, school_id=sid, school_year_start=year, quota=3, updated_by=admin.id)
        for sid in ctx.school_ids])
