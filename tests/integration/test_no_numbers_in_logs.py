"""No full ID or card number of the test data in any log line or in any URL the app
generates: a full request cycle (import, search by ID, reveal, exports, errors) with all
logging captured, then a crawl of the pages each staff role can reach."""
from __future__ import annotations

import logging
import re
from urllib.parse import unquote, urljoin, urlparse

from sqlalchemy import select

from aid.extensions import db
from aid.students.models import Student
from aid.students.personal import reveal
from tests.conftest import login_client
from tests.students_helpers import good_row, person, xlsx

URL_ATTR = re.compile(r'(?:href|src|action|hx-get|hx-post|hx-put|hx-delete|hx-push-url|data-url)="([^"]*)"')
SKIP = ("/logout", "/static/")


def _numbers() -> set[str]:
    found = set()
    for s in db.session.execute(select(Student)).scalars():
        found.add(reveal(s, "id_number"))
        if s.aid_card_enc:
            found.add(reveal(s, "aid_card"))
    return {n for n in found if n}


def _urls_of(resp, base: str) -> list[str]:
    urls = [resp.headers.get(h) for h in ("Location", "HX-Push-Url", "HX-Redirect", "HX-Location")]
    if resp.mimetype == "text/html":
        urls += [u.replace("&amp;", "&") for u in URL_ATTR.findall(resp.get_data(as_text=True))]
    return [urljoin(base, u) for u in urls if u]


def _crawl(client, start: str, limit: int) -> set[str]:
    """GET the pages reachable from start (same origin, HTML only); every URL seen is returned."""
    seen, queue, urls = set(), [start], set()
    while queue and len(seen) < limit:
        url = queue.pop(0)
        path = urlparse(url).path or "/"
        full = path + ("?" + urlparse(url).query if urlparse(url).query else "")
        if full in seen or any(path.startswith(s) for s in SKIP) or path.endswith((".pdf", ".xlsx", ".csv")):
            continue
        seen.add(full)
        resp = client.get(full)
        assert resp.status_code < 500, (full, resp.status_code)
        for u in _urls_of(resp, "http://localhost" + full):
            urls.add(u)
            if urlparse(u).netloc in ("", "localhost") and "/export" not in u:
                queue.append(u)
    return urls


def test_a_full_cycle_logs_no_full_id_or_card_and_no_url_carries_one(world, client, auth, app, caplog):
    caplog.set_level(logging.DEBUG)
    urls: list[str] = []
    officer = world.user("school_officer")
    auth.login(officer.username)
    # import (small roster: previewed and written in the request)
    cls = world.obj["A1"].school_class.name
    rows = [good_row(91, cls, "L091", "罗一"), good_row(92, cls, "L092", "罗二")]
    bad = good_row(93, cls, "L093", "罗三")
    bad[2] = bad[2][:-1] + ("0" if bad[2][-1] != "0" else "1")  # a wrong check digit: refused
    import io
    resp = auth.post("/students/import", {"file": (io.BytesIO(xlsx(rows + [bad])), "名册.xlsx")},
                     token_from="/students/import", content_type="multipart/form-data")
    urls += _urls_of(resp, "http://localhost/")
    token = re.search(r"token=([A-Za-z0-9_-]{32})", resp.headers["Location"]).group(1)
    urls += _urls_of(client.get(f"/students/import/preview?token={token}"), "http://localhost/")
    resp = auth.post("/students/import", {"file": (io.BytesIO(xlsx(rows)), "名册.xlsx")},
                     token_from="/students/import", content_type="multipart/form-data")
    token = re.search(r"token=([A-Za-z0-9_-]{32})", resp.headers["Location"]).group(1)
    client.get(f"/students/import/preview?token={token}")
    resp = auth.post("/students/import/confirm", {"token": token}, token_from=f"/students/import/preview?token={token}")
    assert resp.status_code == 302
    urls += _urls_of(resp, "http://localhost/")
    numbers = _numbers() | {person(93)[0], bad[2]}
    student = world.obj["A1"].student
    full_id = reveal(student, "id_number")
    # search by a full ID (a POST; the history URL must carry a hash instead)
    for headers in ({}, {"HX-Request": "true"}):
        resp = auth.post("/students/", {"q": full_id}, token_from="/students/", headers=headers)
        assert resp.status_code in (200, 303)
        urls += _urls_of(resp, "http://localhost/")
    # reveal (audited), exports, errors
    for field in ("id_number", "aid_card"):
        resp = auth.post(f"/students/{student.id}/reveal/{field}", token_from=f"/students/{student.id}",
                         headers={"HX-Request": "true"})
        assert resp.status_code == 200
        assert reveal(student, field) in resp.get_data(as_text=True)  # (the numbers we look for are the real ones)
    for path in ("/students/export", "/students/export?mode=part_time", "/students/quality/export"):
        assert client.get(path).status_code == 200
    assert client.get("/students/99999999").status_code == 404
    assert client.post(f"/students/{student.id}/reveal/id_number").status_code == 400  # no CSRF token
    assert client.get(f"/students/{full_id}").status_code == 404  # a URL typed with an ID: refused, not logged
    # the pages each staff role reaches
    for username in (officer.username, world.user("school_leader").username, world.user("bureau_officer").username):
        c = login_client(app, username)
        urls += sorted(_crawl(c, "http://localhost/home", limit=60))

    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    leaks = sorted(n for n in numbers if n in logged)
    assert not leaks, f"full numbers in the logs: {len(leaks)}"
    typed = f"/students/{full_id}"
    url_leaks = sorted({u for u in urls for n in numbers if n in unquote(u) and typed not in u})
    assert not url_leaks, url_leaks[:5]
    assert len(set(urls)) > 100  # the crawl really looked at the app's links


def test_an_over_long_number_in_a_url_is_a_404_not_a_database_error(world, client, auth):
    """Found on PostgreSQL: /students/<an 18-digit ID> overflowed the integer column (a 500,
    with the number in the error log)."""
    auth.login(world.user("school_officer").username)
    for path in ("/students/350102200805171777", "/students/2147483648", "/applications/99999999999/form.pdf"):
        assert client.get(path).status_code == 404
    assert client.get("/students/2147483647").status_code == 404  # the largest id that fits: looked up, not found
