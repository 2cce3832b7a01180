"""Where one page spends its time: every SQL statement with its duration, and the top
of a cProfile, through the test client on the bench database (DATABASE_URL set).

    python -m tests.bench.profile bench_admin /home [--hx] [--cprofile]
"""
from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time

from sqlalchemy import event

SQL_CHARS = int(os.environ.get("PROFILE_SQL_CHARS", "400"))  # how much of each statement to print


def record_statements(engine) -> list[tuple[float, str]]:
    """The list to which every statement the engine runs from now on is appended, as (ms, SQL);
    the time runs until the first row (see docs/performance.md on what that leaves out)."""
    statements: list[tuple[float, str]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, params, context, executemany):
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, params, context, executemany):
        statements.append(((time.perf_counter() - conn.info["t0"]) * 1000, statement))

    return statements


def main(argv: list[str]) -> None:
    from aid import create_app
    from aid.extensions import db
    from tests.bench.run import PASSWORD

    username, path = argv[0], argv[1]
    headers = {"HX-Request": "true"} if "--hx" in argv else {}
    app = create_app({"WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"username": username, "password": PASSWORD})
    client.get(path, headers=headers)  # warm-up
    with app.app_context():
        statements = record_statements(db.engine)

    profiler = cProfile.Profile() if "--cprofile" in argv else None
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    resp = client.get(path, headers=headers)
    if profiler:
        profiler.disable()
    total = (time.perf_counter() - t0) * 1000
    print(f"{path}: {resp.status_code}, {total:.1f} ms, {len(statements)} statements, "
          f"{sum(ms for ms, _ in statements):.1f} ms in SQL")
    for ms, statement in sorted(statements, reverse=True)[:12]:
        print(f"{ms:8.1f} ms  {' '.join(statement.split())[:SQL_CHARS]}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main(sys.argv[1:])
