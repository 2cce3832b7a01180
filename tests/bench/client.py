"""A minimal HTTP client with cookies and CSRF for driving the live server."""
from __future__ import annotations

import http.client
import re
import time
import urllib.parse
from http.cookies import SimpleCookie

TOKEN_RE = re.compile(r'"X-CSRFToken": "([^"]+)"|name="csrf_token" value="([^"]+)"')


class Client:
    TIMEOUT = 60  # seconds

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(host, port, timeout=self.TIMEOUT)

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        hdrs = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        hdrs.update(headers or {})
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=hdrs)
            resp = self.conn.getresponse()
        except (http.client.HTTPException, ConnectionError):  # a closed keep-alive: once more
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.TIMEOUT)
            self.conn.request(method, path, body=data, headers=hdrs)
            resp = self.conn.getresponse()
        payload = resp.read()
        wall = (time.perf_counter() - t0) * 1000
        for header in resp.headers.get_all("Set-Cookie") or []:
            c = SimpleCookie()
            c.load(header)
            for key, morsel in c.items():
                self.cookies[key] = morsel.value
        server = resp.headers.get("Server-Timing", "")
        server_ms = float(server.split("dur=")[1]) if "dur=" in server else None
        return resp.status, payload, server_ms, wall, resp.headers

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def token(self, path="/home") -> str:
        _s, body, *_ = self.get(path)
        m = TOKEN_RE.search(body.decode())
        return m.group(1) or m.group(2)

    def login(self, username: str, password: str) -> None:
        token = self.token("/login")
        status, *_ = self.request("POST", "/login", {"username": username, "password": password, "csrf_token": token})
        if status != 302:
            raise RuntimeError(f"login failed for {username}: {status}")
