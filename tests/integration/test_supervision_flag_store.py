"""Stored red-flag counts: per jurisdiction root they equal the live counts (after a refresh and
after a review, for a bureau and the province); the pages say "数据截至" and show them until 刷新;
刷新 is for authority roles and stores the user's jurisdiction only; a GET never writes; the
`supervision refresh-flags` command stores every jurisdiction in use."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from aid.auth.models import User
from aid.extensions import db
from aid.students.personal import reveal, set_aid_card, set_id_number
from aid.supervision import flag_store, service
from aid.supervision.flags import FLAGS_BY_CODE, flag_counts
from aid.supervision.models import StoredFlagCount
from tests.conftest import csrf_from
from tests.integration.test_supervision_flags import _application
from tests.world import add_student

ROLES = ("province_admin", "bureau_officer", "bureau_officer_b", "z_admin")


def _plain(counts):
    return [(flag.code, None if c is None else (c.total, c.reviewed)) for flag, c in counts]


def _stored_rows():
    return db.session.scalar(select(func.count()).select_from(StoredFlagCount))


def _flags(world):
    """One case of most flags, several spanning the two bureaus."""
    a1, a2, b1 = world.obj["A1"], world.obj["A2"], world.obj["B1"]
    set_aid_card(b1.student, reveal(a1.student, "aid_card"))                 # across bureaus A and B
    twin = add_student(a2.school, a2.school_class, "重号学生")
    set_id_number(twin, reveal(a1.student, "id_number"))                   # two schools of bureau A
    gone_a = add_student(a1.school, a1.school_class, "甲退学", status="退学")
    gone_b = add_student(b1.school, b1.school_class, "乙转出", status="转出")
    apps = [_application(gone_a, "bureau_approved"), _application(gone_a, "disbursed", semester="2026-spring"),
            _application(gone_b, "disbursed")]
    old = add_student(a1.school, a1.school_class, "久休学", status="休学")
    old.updated_at = datetime.now() - timedelta(days=3 * 365)
    world.schools["A1"].legal_representative = "张三"                       # 一校两牌 across bureaus
    world.schools["B1"].legal_representative = "张三"
    db.session.commit()
    return apps


def _assert_stored_equal_live(world):
    for role in ROLES:
        user = world.user(role)
        summary = flag_store.summary(user)
        assert summary.as_of is not None, role
        assert _plain(summary.counts) == _plain(flag_counts(user)), role


def test_stored_counts_equal_the_live_counts_for_bureaus_and_the_province(world):
    _flags(world)
    flag_store.refresh([world.authorities[k].id for k in ("P", "A", "B", "Z")])
    _assert_stored_equal_live(world)
    stored = dict(_plain(flag_store.summary(world.user("province_admin")).counts))
    assert stored["shared_card"][0] >= 1 and stored["aid_not_enrolled"] == (3, 0)
    assert stored["school_dup"] == (1, 0) and stored["long_suspension"] == (1, 0)
    assert dict(_plain(flag_store.summary(world.user("bureau_officer_b")).counts))["aid_not_enrolled"] == (1, 0)


def test_a_review_updates_the_stored_counts_of_every_jurisdiction_holding_the_row(world):
    apps = _flags(world)
    flag_store.refresh([world.authorities[k].id for k in ("P", "A", "B", "Z")])
    bureau = world.user("bureau_officer")
    before = {role: dict(_plain(flag_store.summary(world.user(role)).counts)) for role in ROLES}
    # a group spanning both bureaus, reviewed by bureau A: bureau B and the province count it too
    a1 = world.obj["A1"]
    service.review_flag(bureau, FLAGS_BY_CODE["shared_card"], a1.student.aid_card_hash, "已核实")
    service.review_flag(bureau, FLAGS_BY_CODE["school_dup"], "legal_representative:张三", "已核实")
    service.review_flag(bureau, FLAGS_BY_CODE["aid_not_enrolled"], f"app-{apps[0].id}", "已追回")
    db.session.commit()
    _assert_stored_equal_live(world)
    after = {role: dict(_plain(flag_store.summary(world.user(role)).counts)) for role in ROLES}
    for role in ("province_admin", "bureau_officer", "bureau_officer_b"):
        for code in ("shared_card", "school_dup"):
            assert after[role][code][1] == before[role][code][1] + 1, (role, code)
    assert after["province_admin"]["aid_not_enrolled"] == (3, 1)
    assert after["bureau_officer"]["aid_not_enrolled"] == (2, 1)
    assert after["bureau_officer_b"]["aid_not_enrolled"] == (1, 0)
    assert after["z_admin"] == before["z_admin"]
    # the other flags keep the refresh's time: the page still dates the counts by the oldest
    times = dict(db.session.execute(select(StoredFlagCount.flag_code, StoredFlagCount.computed_at)
                                    .where(StoredFlagCount.authority_id == world.authorities["P"].id)).all())
    assert times["aid_not_enrolled"] > times["long_suspension"]
    assert flag_store.summary(world.user("province_admin")).as_of == times["long_suspension"]


def test_without_stored_counts_the_pages_count_live_and_a_get_writes_nothing(world, client, auth):
    _flags(world)
    auth.login("p_admin")
    for path in ("/supervision/flags", "/supervision/", "/home"):
        page = client.get(path).get_data(as_text=True)
        assert "实时统计" in page and "数据截至" not in page and "刷新" in page, path
    assert _stored_rows() == 0
    flag_store.refresh([world.authorities["P"].id])
    stamped = db.session.execute(select(StoredFlagCount.flag_code, StoredFlagCount.computed_at)
                                 .order_by(StoredFlagCount.id)).all()
    for path in ("/supervision/flags", "/supervision/", "/home", "/supervision/flags/shared_card"):
        assert client.get(path).status_code == 200
    db.session.expire_all()
    assert db.session.execute(select(StoredFlagCount.flag_code, StoredFlagCount.computed_at)
                              .order_by(StoredFlagCount.id)).all() == stamped


def _shown(page: str, label: str) -> int:
    m = re.search(re.escape(label) + r'.*?<td class="num">(\d+)</td>', page, re.S)
    assert m, label
    return int(m.group(1))


def test_the_pages_show_the_stored_counts_until_refresh(world, client, auth):
    _flags(world)
    flag_store.refresh([world.authorities["P"].id])
    auth.login("p_admin")
    page = client.get("/supervision/flags").get_data(as_text=True)
    assert "数据截至" in page and _shown(page, "长期空挂学籍") == 1
    o = world.obj["A2"]
    late = add_student(o.school, o.school_class, "又一久休学", status="休学")
    late.updated_at = datetime.now() - timedelta(days=3 * 365)
    db.session.commit()
    for path in ("/supervision/flags", "/supervision/", "/home"):
        page = client.get(path).get_data(as_text=True)
        assert "数据截至" in page and _shown(page, "长期空挂学籍") == 1, path
    # the flag's own list is live
    assert "又一久休学" in client.get("/supervision/flags/long_suspension").get_data(as_text=True)
    resp = client.post("/supervision/flags/refresh", data={"csrf_token": csrf_from(page), "back": "home"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/home")
    page = client.get("/supervision/flags").get_data(as_text=True)
    assert "风险提示条数已重新统计" in page and _shown(page, "长期空挂学籍") == 2
    assert "数据截至" in page
    # a review through the page moves the row from 待复核 at once, in the stored counts too
    resp = auth.post("/supervision/flags/long_suspension/review", {"key": f"stu-{late.id}", "note": "已核实"})
    assert resp.status_code == 302
    page = client.get("/supervision/flags").get_data(as_text=True)
    assert re.search(r'长期空挂学籍.*?<td class="num">2</td>\s*<td class="num"><span class="badge danger">1</span>',
                     page, re.S)
    assert dict(_plain(flag_store.summary(world.user("province_admin")).counts))["long_suspension"] == (2, 1)


def test_refresh_is_for_authority_roles_and_stores_their_own_jurisdiction(world, client, auth):
    _flags(world)
    auth.login("a_bureau")
    token = csrf_from(client.get("/supervision/flags").get_data(as_text=True))
    resp = client.post("/supervision/flags/refresh", data={"csrf_token": token, "back": "https://evil.example/"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/supervision/flags")
    assert set(db.session.execute(select(StoredFlagCount.authority_id)).scalars()) == {world.authorities["A"].id}
    assert _stored_rows() == len(FLAGS_BY_CODE)
    assert client.post("/supervision/flags/refresh", data={"back": "flags"}).status_code in (400, 403)  # no CSRF
    auth.logout()
    for username in ("a1_officer", "a1_leader", "a1_student"):
        auth.login(username)
        token = csrf_from(client.get("/home").get_data(as_text=True))
        home = client.get("/home").get_data(as_text=True)
        assert "数据截至" not in home and "supervision/flags/refresh" not in home
        assert client.post("/supervision/flags/refresh", data={"csrf_token": token}).status_code == 403
        auth.logout()
    assert _stored_rows() == len(FLAGS_BY_CODE)


def test_refresh_flags_command(world, app):
    _flags(world)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["supervision", "refresh-flags"])
    assert result.exit_code == 0, result.output
    assert "已统计4个管辖范围" in result.output
    db.session.expire_all()
    roots = set(db.session.execute(select(User.authority_id).where(
        User.role.in_(("bureau_officer", "province_admin")))).scalars())
    assert set(db.session.execute(select(StoredFlagCount.authority_id)).scalars()) == roots
    _assert_stored_equal_live(world)
    assert runner.invoke(args=["supervision", "refresh-flags"]).exit_code == 0   # replaces, never duplicates
    assert _stored_rows() == len(roots) * len(FLAGS_BY_CODE)
