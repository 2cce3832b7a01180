"""Server-Timing header: the time the app spent on each request, read by the
benchmark (tests/bench) and visible in browser dev tools."""
import time

from flask import Flask, g


def init_timing(app: Flask) -> None:
    @app.before_request
    def _start():
        g._t0 = time.perf_counter()

    @app.after_request
    def _stop(resp):
        t0 = g.pop("_t0", None)
        if t0 is not None:
            resp.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - t0) * 1000:.1f}"
        return resp
