"""Bulk steps on the hardship list: a school officer reviews many applications at once, the
leader determines them, rows someone else changed (or that the step does not fit) are reported
and left alone, and missing input changes nothing."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from aid.audit.models import AuditEvent
from aid.extensions import db
from aid.hardship.models import HardshipApplication
from tests.areas.notices import hardship
from tests.world import add_student


def _rows(world, n, state="submitted", categories=("dibao",)):
    objs = world.obj["A1"]
    rows = []
    for i in range(n):
        student = add_student(objs.school, objs.school_class, f"批量{i:02d}")
        rows.append(hardship(student, state=state, level="", categories=categories))
    db.session.commit()
    return rows


def _sel(rows):
    return [f"{r.id}:{r.version}" for r in rows]


def _post(auth, data):
    return auth.post("/hardship/bulk", data, token_from="/hardship/?state=submitted",
                     headers={"HX-Request": "true"})


def _states(rows):
    db.session.expire_all()
    return [db.session.get(HardshipApplication, r.id).state for r in rows]


def test_officer_reviews_the_selected_rows_in_one_step(world, client, auth):
    rows = _rows(world, 5)
    auth.login("a1_officer")
    page = client.get("/hardship/?state=submitted").get_data(as_text=True)
    assert 'data-select-all="sel"' in page and "班级评议通过" in page and f'value="{rows[0].id}:{rows[0].version}"' in page
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    resp = _post(auth, {"sel": _sel(rows[:4]), "action": "class_review", "opinion": "经班级民主评议，情况属实",
                        "state": "submitted"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "已处理4条" in html and 'id="hardship-bulk"' in html
    assert _states(rows) == ["class_reviewed"] * 4 + ["submitted"]
    assert db.session.get(HardshipApplication, rows[0].id).class_opinion == "经班级民主评议，情况属实"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) > events


def test_missing_input_or_selection_changes_nothing(world, client, auth):
    rows = _rows(world, 2)
    auth.login("a1_officer")
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    resp = _post(auth, {"sel": _sel(rows), "action": "class_review", "opinion": "  "})
    assert resp.status_code == 422 and "请填写班级评议意见" in resp.get_data(as_text=True)
    resp = _post(auth, {"action": "class_review", "opinion": "同意"})
    assert resp.status_code == 422 and "请先选择要处理的记录" in resp.get_data(as_text=True)
    resp = _post(auth, {"sel": ["1:x"], "action": "class_review", "opinion": "同意"})
    assert resp.status_code == 422 and "选择的记录无效" in resp.get_data(as_text=True)
    resp = _post(auth, {"sel": _sel(rows), "action": "determine", "level": "一般困难"})  # a leader's step
    assert resp.status_code == 422 and "请选择要执行的操作" in resp.get_data(as_text=True)
    resp = _post(auth, {"sel": _sel(rows), "action": "return_to_applicant"})
    assert resp.status_code == 422 and "退回必须填写原因" in resp.get_data(as_text=True)
    assert _states(rows) == ["submitted", "submitted"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_stale_foreign_and_unfit_rows_are_reported_and_left_alone(world, client, auth):
    rows = _rows(world, 3)
    reviewed = _rows(world, 1, state="class_reviewed")[0]
    foreign = hardship(add_student(world.obj["A2"].school, world.obj["A2"].school_class, "外校"), state="submitted",
                       level="")
    db.session.commit()
    auth.login("a1_officer")
    stale = f"{rows[2].id}:{rows[2].version + 1}"
    resp = _post(auth, {"sel": _sel(rows[:2]) + [stale, f"{reviewed.id}:{reviewed.version}",
                                                 f"{foreign.id}:{foreign.version}"],
                        "action": "class_review", "opinion": "同意"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已处理2条；1条已被他人处理" in html and "2条不能执行" in html
    assert "当前状态为“班级已评议”，不能班级评议" in html and "记录不存在或不在管辖范围内" in html
    assert _states(rows) == ["class_reviewed", "class_reviewed", "submitted"]
    assert _states([reviewed, foreign]) == ["class_reviewed", "submitted"]


def test_leader_determines_and_a_priority_student_needs_a_written_reason(world, client, auth):
    rows = _rows(world, 3, state="class_reviewed", categories=("orphan",))  # 孤儿: a priority category
    auth.login("a1_leader")
    resp = _post(auth, {"sel": _sel(rows[:2]), "action": "determine", "level": "不困难"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "必须填写书面理由" in html and "批量00" in html
    assert _states(rows) == ["class_reviewed"] * 3
    db.session.expire_all()
    resp = _post(auth, {"sel": _sel([db.session.get(HardshipApplication, r.id) for r in rows]),
                        "action": "determine", "level": "特别困难"})
    assert resp.status_code == 200 and "已处理3条" in resp.get_data(as_text=True)
    assert _states(rows) == ["determined"] * 3
    assert {db.session.get(HardshipApplication, r.id).level for r in rows} == {"特别困难"}
    other = _rows(world, 1, state="class_reviewed")[0]
    resp = _post(auth, {"sel": _sel([other]), "action": "determine", "level": "没有这个等级"})
    assert resp.status_code == 409 and "没有“没有这个等级”这一认定等级" in resp.get_data(as_text=True)
    assert _states([other]) == ["class_reviewed"]


def test_without_htmx_the_list_is_shown_again_with_the_message(world, client, auth):
    rows = _rows(world, 1)
    auth.login("a1_officer")
    resp = auth.post("/hardship/bulk", {"sel": _sel(rows), "action": "class_review", "opinion": "同意",
                                        "state": "submitted"}, token_from="/hardship/?state=submitted")
    assert resp.status_code == 302 and re.search(r"/hardship/\?state=submitted$", resp.headers["Location"])
    assert "已处理1条" in client.get(resp.headers["Location"]).get_data(as_text=True)
