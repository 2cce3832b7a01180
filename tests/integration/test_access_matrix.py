"""Walks every route in app.url_map as every role: each route must declare its
roles; the wrong role is refused; a record outside the jurisdiction is never
reachable (404/403), HTMX partials and downloads included."""
from __future__ import annotations

import pytest

from aid.access import ALL_ROLES
from tests.access_registry import OWN_STATUS, ROUTE_ARGS
from tests.conftest import Auth, csrf_from
from tests.world import FOREIGN_KEYS

DENIED = (403, 404)


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule


def test_every_route_declares_its_roles(app):
    missing = [r.endpoint for r in _routes(app) if not hasattr(app.view_functions[r.endpoint], "access_roles")]
    assert not missing, f"routes without @roles/@public: {missing}"


def test_every_parametrised_route_is_registered(app):
    missing = [r.endpoint for r in _routes(app) if r.arguments and r.endpoint not in ROUTE_ARGS]
    assert not missing, f"routes with URL parameters missing from tests/access_registry.py: {missing}"


def _url(app, rule, kwargs):
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **kwargs)


def _method(rule):
    return "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]


def _request(client, method, url, token):
    headers = {"X-CSRFToken": token}
    return client.open(url, method=method, headers=headers, data={"csrf_token": token})


@pytest.mark.parametrize("role", ALL_ROLES)
def test_route_role_matrix(app, world, role):
    client = app.test_client()
    auth = Auth(client)
    user = world.user(role)
    assert auth.login(user.username).status_code == 302
    token = csrf_from(client.get("/home").get_data(as_text=True))
    failures = []
    for rule in _routes(app):
        view = app.view_functions[rule.endpoint]
        allowed = view.access_roles == "public" or role in view.access_roles
        method = _method(rule)
        own_key = "A1"
        kwargs = ROUTE_ARGS[rule.endpoint](world, own_key) if rule.arguments else {}
        url = _url(app, rule, kwargs)
        if not allowed:
            for hx in (False, True):
                headers = {"X-CSRFToken": token, **({"HX-Request": "true"} if hx else {})}
                resp = client.open(url, method=method, headers=headers, data={"csrf_token": token})
                if resp.status_code != 403:
                    failures.append(f"{role} {method} {url} (hx={hx}): expected 403, got {resp.status_code}")
            continue
        if method == "GET":
            resp = client.get(url)
            ok = OWN_STATUS.get(rule.endpoint, ())
            if not (resp.status_code < 400 or resp.status_code in ok):
                failures.append(f"{role} GET {url}: own record gave {resp.status_code}")
        if not rule.arguments or view.access_roles == "public":
            continue
        for key in FOREIGN_KEYS[role]:
            try:
                fkwargs = ROUTE_ARGS[rule.endpoint](world, key)
            except KeyError:
                continue
            if fkwargs == kwargs:
                continue
            furl = _url(app, rule, fkwargs)
            for hx in (False, True):
                headers = {"X-CSRFToken": token, **({"HX-Request": "true"} if hx else {})}
                resp = client.open(furl, method=method, headers=headers, data={"csrf_token": token})
                if resp.status_code not in DENIED:
                    failures.append(f"{role} {method} {furl} [{key}] (hx={hx}): foreign record gave {resp.status_code}")
    assert not failures, "\n".join(failures)


def test_anonymous_is_sent_to_login(app, world):
    client = app.test_client()
    for rule in _routes(app):
        view = app.view_functions[rule.endpoint]
        if view.access_roles == "public":
            continue
        kwargs = ROUTE_ARGS[rule.endpoint](world, "A1") if rule.arguments else {}
        url = _url(app, rule, kwargs)
        if _method(rule) == "GET":
            resp = client.get(url)
            assert resp.status_code == 302 and "/login" in resp.headers["Location"], url
            hx = client.get(url, headers={"HX-Request": "true"})
            assert hx.status_code == 401 and "/login" in hx.headers["HX-Redirect"], url
