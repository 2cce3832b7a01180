"""Security headers on every response."""
import re

from flask import Flask, request


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_chars(values) -> bool:
    return any(isinstance(v, str) and CONTROL_CHARS.search(v) for v in values)


def init_security(app: Flask) -> None:
    @app.before_request
    def _refuse_control_characters():
        # NUL and other control characters have no place in any field; PostgreSQL
        # would refuse NUL with a server error, so refuse them first, in Chinese.
        if has_control_chars(request.args.values()) or (
                request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
                    "application/x-www-form-urlencoded", "multipart/form-data")
                and has_control_chars(request.form.values())):
            from aid.errors import render_error
            return render_error(400, "输入内容包含不允许的控制字符，请删除后重新提交。")

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure or app.config.get("SESSION_COOKIE_SECURE"):
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static" and resp.mimetype == "text/html":
            # pages hold personal data: keep them out of shared and back/forward caches
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp
