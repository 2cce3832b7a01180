"""Every red flag whose data exists finds its planted case in the demo district."""
from sqlalchemy import select

from aid.auth.models import User
from aid.demo import build_demo
from aid.extensions import db
from aid.supervision.flags import RED_FLAGS
from aid.supervision.models import Finding, Inspection, Measure, RollCall
from aid.supervision.service import redraw_check

PLANTED = {
    "duplicate_id": "厦门技师学院",
    "aid_not_enrolled": "退学",
    "long_suspension": "",
    "shared_card": "福州东方技工学校",
    "school_dup": "法定代表人",
    "rollcall_absent": "外出务工",
    "paid_not_enrolled": "",
    "overdue_changes": "",
}


def test_every_red_flag_finds_its_planted_case(ctx):
    assert build_demo()
    admin = db.session.execute(select(User).where(User.username == "admin")).scalar_one()
    flags = {f.code: f for f in RED_FLAGS}
    for code, text in PLANTED.items():
        count = flags[code].count_fn(admin)
        assert count is not None and count.total >= 1, code
        rows = flags[code].page(admin).rows
        assert any(text in " ".join(r.cells) for r in rows), (code, [r.cells for r in rows])
    assert {f.code for f in RED_FLAGS} == set(PLANTED), "every red flag has a planted case"

    rc = db.session.execute(select(RollCall)).scalar_one()
    assert redraw_check(rc).matches
    finding = db.session.execute(select(Finding).where(Finding.source == "rollcall")).scalar_one()
    measure = db.session.execute(select(Measure)).scalar_one()
    assert measure.state == "open" and measure.kind == "interview" and measure.findings == [finding]
    inspection = db.session.execute(select(Inspection)).scalar_one()
    assert len(inspection.points) == 5
