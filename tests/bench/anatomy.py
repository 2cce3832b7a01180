"""Every benchmarked page in one process, split into SQL and the rest: where to look first.

    DATABASE_URL=sqlite:///… python -m tests.bench.anatomy [--repeat 7] [--only NAME]

Through the Flask test client (no gunicorn, no HTTP), so the figures are lower than the
runner's; per page: median total ms, median ms in SQL, statements per request.
"""
from __future__ import annotations

import argparse
import statistics
import time

LOOK_AT_MS = 35  # pages slower than this in-process are marked: the runner's figures are higher


def main(argv=None) -> None:
    from aid import create_app
    from aid.extensions import db
    from tests.bench.pages import PAGES
    from tests.bench.run import LOGINS, PASSWORD
    from tests.bench.inprocess import sample as sample_student
    from tests.bench.profile import record_statements

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only")
    args = parser.parse_args(argv)
    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        sample = sample_student()
        statements = record_statements(db.engine)

    clients = {}
    print(f"{'page':<36} {'total':>7} {'sql':>7} {'other':>7} {'stmts':>5}")
    for name, role, path, htmx, *form in PAGES:
        if args.only and args.only not in name:
            continue
        client = clients.get(role)
        if client is None:
            client = clients[role] = app.test_client()
            client.post("/login", data={"username": LOGINS[role], "password": PASSWORD})
        headers = {"HX-Request": "true"} if htmx else {}
        path = path.format(**sample)
        data = {k: v.format(**sample) for k, v in form[0].items()} if form else None
        call = (lambda: client.post(path, data=data, headers=headers)) if form else \
            (lambda: client.get(path, headers=headers))
        call()
        totals, sqls, counts = [], [], []
        for _ in range(args.repeat):
            statements.clear()
            t0 = time.perf_counter()
            resp = call()
            totals.append((time.perf_counter() - t0) * 1000)
            sqls.append(sum(ms for ms, _ in statements))
            counts.append(len(statements))
        total, in_sql = statistics.median(totals), statistics.median(sqls)
        flag = " !" if total > LOOK_AT_MS else ""
        print(f"{name:<36} {total:7.1f} {in_sql:7.1f} {total - in_sql:7.1f} {max(counts):5d}  {resp.status_code}{flag}",
              flush=True)


if __name__ == "__main__":
    main()
