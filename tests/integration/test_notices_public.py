"""The public pages: no login, no personal data beyond the allowed fields,
short shared caching, the policy page generated from the programmes in force."""
from __future__ import annotations

import dataclasses
import re

from aid.extensions import db
from aid.notices.policy import rules_to_json
from aid.programmes.defaults import DEFAULT_GRANT_LEVELS, NATIONAL_GRANT_2025
from aid.programmes.eligibility import Level
from aid.programmes.models import Programme, ProgrammeVersion


def _max_age(resp) -> int:
    cc = resp.headers["Cache-Control"]
    assert cc.startswith("public") and "no-store" not in cc
    return int(re.search(r"max-age=(\d+)", cc).group(1))


def test_public_pages_need_no_login_and_cache_briefly(app, world):
    anon = app.test_client()
    p = world.authorities["P"]
    a1 = world.obj["A1"]
    for url in ("/public/notices", f"/public/provinces/{p.id}/notices", f"/public/schools/{a1.school.id}/notices",
                f"/public/notices/{a1.notice.id}", f"/public/notices/{a1.notice.id}/pdf",
                f"/public/provinces/{p.id}/policy"):
        resp = anon.get(url)
        assert resp.status_code == 200, url
        assert _max_age(resp) <= 3600, url
        assert "Set-Cookie" not in resp.headers, url
    page = anon.get(f"/public/notices/{a1.notice.id}")
    assert _max_age(page) <= 300
    html = page.get_data(as_text=True)
    assert "A1学生甲" in html and 'name="viewport"' in html
    assert "csrf" not in html.lower() and "<script" not in html
    # a province lists only its own schools' notices
    z_page = anon.get(f"/public/provinces/{world.authorities['Z'].id}/notices").get_data(as_text=True)
    assert "Z1学生甲" not in z_page and world.obj["Z1"].notice.title in z_page
    assert world.obj["A1"].notice.title not in z_page


def test_unknown_or_non_public_records_are_404(app, world):
    anon = app.test_client()
    assert anon.get("/public/notices/999999").status_code == 404
    assert anon.get("/public/schools/999999/notices").status_code == 404
    assert anon.get(f"/public/provinces/{world.authorities['A'].id}/policy").status_code == 404  # a city
    notice = world.obj["A1"].notice
    notice.state = "approved"
    db.session.commit()
    assert anon.get(f"/public/notices/{notice.id}").status_code == 404
    assert anon.get(f"/public/notices/{notice.id}/pdf").status_code == 404


def test_policy_page_follows_the_programme_settings_in_force(app, world):
    anon = app.test_client()
    url = f"/public/provinces/{world.authorities['P'].id}/policy"
    prog = Programme(code="fj_grant", name="国家助学金（福建）", kind="national_grant")
    db.session.add(prog)
    db.session.flush()
    rules = dataclasses.replace(NATIONAL_GRANT_2025, code="fj_grant", name="国家助学金（福建）",
                                levels=(Level("一档", 400000), Level("二档", 250000), Level("三档", 150000)))
    db.session.add(ProgrammeVersion(programme_id=prog.id, valid_from=str(rules.valid_from),
                                    valid_from_ordinal=rules.valid_from.ordinal, rules_json=rules_to_json(rules),
                                    payment_schedule="monthly"))
    db.session.commit()
    html = anon.get(url).get_data(as_text=True)
    assert "国家助学金（福建）" in html and "一档：每生每年4,000.00元" in html and "按月发放" in html
    assert "非全日制学生不享受" in html and "诚信承诺" in html and "如实提供家庭经济情况" in html
    assert "三（三）" in html and "何时、如何申请" in html
    assert f"不少于5个工作日" in html


def test_policy_page_falls_back_to_the_national_defaults(app, ctx):
    from aid.org.models import Authority

    p = Authority(name="默认省", level="province")
    db.session.add(p)
    db.session.commit()
    html = app.test_client().get(f"/public/provinces/{p.id}/policy").get_data(as_text=True)
    assert "免学费" in html and "国家奖学金" in html and "每生每年6,000.00元" in html
    assert f"{DEFAULT_GRANT_LEVELS[0].name}：每生每年3,000.00元" in html
