"""电子注册 reads its list as plain columns (registration_page) and its per-school table as
prepared cells: the same students, order, pages and counts as the register's records."""
from __future__ import annotations

import re

import pytest

from aid.extensions import db
from aid.students import service
from aid.students.models import REGISTRATION_STATES, STUDY_MODES, SchoolClass
from tests.world import add_student


@pytest.fixture
def register(world):
    w = world
    a1, a2 = w.obj["A1"], w.obj["A2"]
    second = SchoolClass(school_id=a1.school.id, major_id=a1.major.id, name="A1数控2025级2班",
                         intake_date=a1.school_class.intake_date)
    db.session.add(second)
    db.session.flush()
    made = []
    for i, state in enumerate(["submitted", "submitted", "draft", "returned", "verified", "submitted"]):
        made.append(add_student(a1.school, second if i % 2 else a1.school_class, f"王注册{i}", registration_state=state))
    made.append(add_student(a2.school, a2.school_class, "王外校", registration_state="submitted"))
    loose = add_student(a2.school, a2.school_class, "李无班级", registration_state="submitted")
    loose.class_id = None
    made.append(loose)
    made.append(add_student(a1.school, a1.school_class, "王非全日制", study_mode="part_time",
                            registration_state="submitted"))
    made[3].registration_note = "照片不清晰"
    db.session.commit()
    return made


FILTERS = [
    {"reg": "submitted"}, {"reg": "draft"}, {"reg": "returned"}, {"reg": "submitted", "mode": "part_time"},
    {"reg": "submitted", "q": "王"}, {"reg": "submitted", "sort": "name", "desc": "1"},
    {"reg": "submitted", "page_size": 2, "page": 2}, {"reg": "submitted", "page_size": 2, "page": 3},
]


@pytest.mark.parametrize("who", ["province_admin", "bureau_officer", "school_officer"])
@pytest.mark.parametrize("args", FILTERS)
def test_registration_lines_equal_the_sorted_records(world, register, who, args):
    user = world.users[who]
    f = service.StudentFilter.from_args({k: str(v) for k, v in args.items() if k != "page_size"})
    f.page_size = args.get("page_size", 100)
    records, more = service.sorted_page(user, f)
    lines, more_lines = service.registration_page(user, f)
    assert more_lines == more
    assert [line.id for line in lines] == [s.id for s in records]
    assert [(line.register_no, line.name, line.id_number_masked, line.registration_state, line.registration_note,
             line.school_name, line.class_name) for line in lines] == \
        [(s.register_no, s.name, s.id_number_masked, s.registration_state, s.registration_note, s.school.name,
          s.school_class.name if s.school_class else None) for s in records]


def test_the_page_shows_the_lines_and_each_schools_cells(world, register, client, auth):
    auth.login("p_admin")
    page = client.get("/students/registration?reg=submitted").get_data(as_text=True)
    f = service.StudentFilter.from_args({"reg": "submitted"})
    f.page_size = 100
    records, _more = service.sorted_page(world.users["province_admin"], f)
    names = re.findall(r'<td><a href="/students/\d+">([^<]*)</a></td>', page)
    assert names == [s.name for s in records] and "李无班级" in names
    assert "<td>未分班</td>" in page and "王非全日制" not in names
    table = {row["school"].id: row for row in service.registration_by_school(world.users["province_admin"])}
    for school in (world.schools["A1"], world.schools["A2"]):
        row = re.search(rf"<tr><td>{school.name}</td>(.*?)</tr>", page, re.S).group(1)
        cells = re.findall(r'<td class="num">(?:<a href="([^"]*)">)?(\d+)', row)
        expected = [(table[school.id][m].get(k, 0), m, k) for m in STUDY_MODES for k in REGISTRATION_STATES]
        assert [int(n) for _href, n in cells] == [n for n, _m, _k in expected]
        for (href, n), (count, m, k) in zip(cells, expected):
            assert href == (f"/students/registration?school_id={school.id}&amp;reg={k}&amp;mode={m}" if count else "")
