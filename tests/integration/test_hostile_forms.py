"""A crawl of every form with hostile values: each answer is a clear message or
a safe render — never a 500, never raw markup echoed back."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.access_registry import ROUTE_ARGS
from tests.conftest import login_client

HOSTILE = [
    "<script>alert(1)</script>",
    "x" * 5000,
    "'; DROP TABLE students; --",
    "=HYPERLINK(\"http://evil\")",
    "１２３４５６",
    "line\x00break\x1f\x7f",
    "   ",
    "-1",
    "99999999999999999999",
]
SKIP_ACTIONS = ("/logout", "/account/password")


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            method = (a.get("method") or a.get("hx-post") and "post" or "get").lower()
            action = a.get("hx-post") or a.get("action") or ""
            self._current = {"method": "post" if a.get("hx-post") else method, "action": action, "fields": {},
                             "selects": {}}
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "textarea", "select") and a.get("name"):
            kind = (a.get("type") or tag).lower()
            if kind == "select":
                self._current["selects"][a["name"]] = None
            elif kind not in ("submit", "button", "file"):
                self._current["fields"][a["name"]] = (kind, a.get("value") or "")
        elif self._current is not None and tag == "option" and self._current["selects"]:
            last = list(self._current["selects"])[-1]
            if self._current["selects"][last] is None:
                self._current["selects"][last] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _get_routes(app, world):
    with app.test_request_context():
        from flask import url_for
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            kwargs = ROUTE_ARGS[rule.endpoint](world, "A1") if rule.arguments else {}
            yield url_for(rule.endpoint, **kwargs)


@pytest.mark.parametrize("role", ["school_officer", "school_leader", "bureau_officer", "province_admin", "student"])
def test_hostile_values_in_every_form(world, app, role):
    client = login_client(app, world.user(role).username)
    failures, tried = [], 0
    for url in _get_routes(app, world):
        resp = client.get(url)
        if resp.status_code != 200 or "text/html" not in resp.content_type:
            continue
        parser = FormParser()
        parser.feed(resp.get_data(as_text=True))
        for form in parser.forms:
            if form["method"] != "post" or any(form["action"].startswith(s) for s in SKIP_ACTIONS):
                continue
            action = form["action"] or url
            for value in HOSTILE:
                data = {}
                for name, (kind, default) in form["fields"].items():
                    if name == "csrf_token" or kind == "hidden":
                        data[name] = default
                    elif kind == "checkbox":
                        data[name] = default or "y"
                    else:
                        data[name] = value
                data.update({k: v for k, v in form["selects"].items() if v is not None})
                answer = client.post(action, data=data)
                tried += 1
                body = answer.get_data(as_text=True) if "text" in (answer.content_type or "") else ""
                if answer.status_code >= 500:
                    failures.append(f"{role} POST {action} with {value[:20]!r}: {answer.status_code}")
                if "<script>alert(1)</script>" in body:
                    failures.append(f"{role} POST {action}: markup echoed unescaped")
            if client.get("/home").status_code != 200:  # a form must not end the session
                client = login_client(app, world.user(role).username)
    assert not failures, "\n".join(failures)
    assert tried > 0 or role == "student"
