"""Small htmx response helpers (cf. django-htmx): one template pair per view,
client redirects, merged triggers and the stop-polling status."""
from __future__ import annotations

import json

from flask import Response, make_response, render_template, request

STOP_POLLING = 286


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def render_htmx(template: str, partial: str | None = None, **context) -> Response:
    """The full page normally; its partial (`area/_name.html` by default) for htmx."""
    if is_htmx():
        if partial is None:
            folder, _, name = template.rpartition("/")
            partial = f"{folder}/_{name}" if folder else f"_{name}"
        resp = make_response(render_template(partial, **context))
    else:
        resp = make_response(render_template(template, **context))
    resp.headers["Vary"] = "HX-Request"
    return resp


def client_redirect(url: str, status: int = 200) -> Response:
    resp = make_response("", status)
    resp.headers["HX-Redirect"] = url
    return resp


def add_trigger(resp: Response, event: str, detail=None) -> Response:
    """Merge an event into HX-Trigger. json.dumps escapes every non-ASCII character (ensure_ascii),
    which keeps the header valid for a real WSGI server."""
    existing = resp.headers.get("HX-Trigger")
    events = json.loads(existing) if existing and existing.startswith("{") else ({existing: None} if existing else {})
    events[event] = detail
    resp.headers["HX-Trigger"] = json.dumps(events, ensure_ascii=True)
    return resp
