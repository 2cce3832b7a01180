"""No notice page or PDF shows a protected value: every notice kind is rendered
to the public page, the staff page and the PDF (stored and draft), and none of
the ID, card or phone numbers (full or masked), addresses, birth dates (in
several formats), hardship categories, circumstances or family details of any
student in the test data may appear."""
from __future__ import annotations

import io
import json
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from aid.extensions import db
from aid.hardship.models import HardshipApplication, HardshipCategory
from aid.notices import service
from aid.students.models import Student
from aid.students.personal import reveal
from tests.areas import notices as fx
from tests.conftest import Auth
from tests.world import add_student

TODAY = date(2025, 9, 29)
CATEGORIES = {"dibao": "最低生活保障家庭", "tekun": "特困供养", "orphan": "孤儿", "martyr": "烈士子女",
              "disabled_parent": "残疾人子女", "monitor": "防止返贫监测对象"}


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(service, "local_today", lambda: TODAY)
    monkeypatch.setattr("aid.notices.views.local_today", lambda: TODAY)


def _students(world):
    objs = world.obj["A1"]
    people = [objs.student, world.obj["A1b"].student]
    for i, born in enumerate((date(2009, 1, 3), date(2008, 11, 30), date(2010, 7, 9))):
        people.append(add_student(objs.school, objs.school_class, f"隐私学生{'甲乙丙'[i]}", born=born,
                                  gender="女" if i % 2 else "男"))
    for i, s in enumerate(people):
        s.address = f"福建省永泰县清凉镇长坑村{17 + i}号"
    from sqlalchemy import select
    existing = set(db.session.scalars(select(HardshipCategory.code)))
    for i, code in enumerate(CATEGORIES):
        if code not in existing:  # the test world may have seeded the list already
            db.session.add(HardshipCategory(code=code, name=CATEGORIES[code], sort_order=i))
    db.session.flush()
    return people


def _forbidden_values() -> list[str]:
    values = []
    for s in db.session.execute(select(Student)).scalars():
        d = s.birth_date
        values += [reveal(s, "id_number"), s.id_number_masked, s.address,
                   d.isoformat(), d.strftime("%Y%m%d"), d.strftime("%Y/%m/%d"), d.strftime("%Y.%m.%d"),
                   f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month:02d}月{d.day:02d}日"]
        if s.aid_card_enc:
            values += [reveal(s, "aid_card"), s.aid_card_masked]
        if s.phone_enc:
            values += [reveal(s, "phone"), s.phone_masked]
    values += list(CATEGORIES.values())
    values += list(db.session.scalars(select(HardshipCategory.name)))
    for h in db.session.execute(select(HardshipApplication)).scalars():
        values.append(h.circumstances)
        for member in json.loads(h.family_json):
            values += [member.get("name"), member.get("employer")]
    return [v for v in values if v]


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_no_notice_page_or_pdf_shows_a_protected_field(app, world, client, clock):
    people = _students(world)
    officer, leader = world.users["school_officer"], world.users["school_leader"]
    grant = fx.programme("pv_grant", "national_grant", "国家助学金")
    local = fx.programme("pv_local", "local", "市级助学金")
    scholarship = fx.programme("pv_sch", "national_scholarship", "国家奖学金")
    sources = {"hardship": [], "grant": [], "scholarship": []}
    for i, s in enumerate(people):
        h = fx.hardship(s, level=("特别困难", "比较困难", "一般困难")[i % 3],
                        categories=list(CATEGORIES)[i % 6: i % 6 + 2],
                        circumstances=f"父亲因病丧失劳动能力，母亲务农，家庭年收入{8000 + i}元")
        h.family_json = json.dumps([{"name": f"家长{s.name}父", "relation": "父亲", "employer": f"清凉镇第{i}砖厂",
                                     "income_fen": 800000 + i}], ensure_ascii=False)
        sources["hardship"].append(h)
        sources["grant"].append(fx.application(s, local if i == 2 else grant, level="二档"))
        if i % 2:
            sources["scholarship"].append(fx.application(s, scholarship, level=""))
    db.session.commit()
    forbidden = _forbidden_values()
    assert len(forbidden) > 50

    rendered: dict[str, str] = {}
    auth_client = app.test_client()
    Auth(auth_client).login(officer.username)
    anon = app.test_client()
    for kind, rows in sources.items():
        notice = service.create_notice(officer, kind=kind, semester="2025-autumn", source_ids=[r.id for r in rows],
                                       first_day=TODAY, end_day=date(2025, 10, 11), today=TODAY)
        rendered[f"{kind} draft pdf"] = _pdf_text(service.render_notice_pdf(notice, draft=True))
        service.submit_notice(officer, notice)
        service.approve_notice(leader, notice)
        service.post_notice(leader, notice, today=TODAY)
        db.session.commit()
        rendered[f"{kind} public page"] = anon.get(f"/public/notices/{notice.id}").get_data(as_text=True)
        rendered[f"{kind} school page"] = anon.get(f"/public/schools/{notice.school_id}/notices").get_data(as_text=True)
        rendered[f"{kind} staff page"] = auth_client.get(f"/notices/{notice.id}").get_data(as_text=True)
        rendered[f"{kind} staff pdf"] = _pdf_text(auth_client.get(f"/notices/{notice.id}/pdf").data)
        rendered[f"{kind} public pdf"] = _pdf_text(anon.get(f"/public/notices/{notice.id}/pdf").data)
    rendered["candidates"] = auth_client.get("/notices/candidates?kind=hardship&semester=2025-autumn").get_data(as_text=True)
    rendered["public index"] = anon.get("/public/notices").get_data(as_text=True)

    # the renderings really hold the lists (the text extraction works)
    for name, text in rendered.items():
        if not name.endswith(("index", "candidates", "school page")):
            assert "隐私学生乙" in text, name
    assert "特别困难" in rendered["hardship public pdf"] and "国家奖学金" in rendered["scholarship public page"]
    # compare without white space too: a PDF may break a value across lines
    compact = {name: "".join(text.split()) for name, text in rendered.items()}
    leaks = [(name, value) for name, text in rendered.items() for value in forbidden
             if value in text or "".join(value.split()) in compact[name]]
    assert not leaks, leaks
