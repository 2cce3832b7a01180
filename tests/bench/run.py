"""Benchmark: the real app under gunicorn (2 workers) on a generated province,
driven over HTTP from this process. Prints a table and writes JSON.

    .venv/bin/python -m tests.bench.run [--database-url URL] [--schools 150 --students 200000]

Without --database-url it generates (once) instance/bench.sqlite3.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from tests.bench.client import Client
from tests.bench.pages import PAGES, THROUGHPUT_PAGE

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
LOGINS = {"province_admin": "bench_admin", "bureau_officer": "bench_bureau", "school_officer": "bench_officer",
          "school_leader": "bench_leader", "student": "bench_student"}
PASSWORD = "Bench-2026-aid"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env, *args):
    return subprocess.run([str(VENV_BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)


def start_gunicorn(env, port, app="app:app", workers=2):
    proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
                             "--timeout", "300", "--log-level", "warning", app], cwd=ROOT, env=env,
                            start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def stop(proc):
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a worker still busy with a request over the client's timeout
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def rss_mb(proc) -> float:
    """Peak RSS (VmHWM) of the gunicorn master and workers, the largest one."""
    peak = 0
    pids = [proc.pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                                        text=True).stdout.split()]
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
    return peak / 1024


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure_pages(port, repeat, sample, only=None):
    clients, tokens = {}, {}
    rows = []
    for name, role, path, htmx, *form in PAGES:
        if only and only not in name:
            continue
        client = clients.get(role)
        if client is None:
            client = clients[role] = Client("127.0.0.1", port)
            client.login(LOGINS[role], PASSWORD)
            tokens[role] = client.token()
        headers = {"HX-Request": "true"} if htmx else {}
        path = path.format(**sample)
        body = None
        if form:
            body = {k: v.format(**sample) for k, v in form[0].items()}
            headers["X-CSRFToken"] = tokens[role]
        method = "POST" if form else "GET"
        times, statuses = [], set()
        try:
            client.request(method, path, body, headers)  # warm-up
            for _ in range(repeat):
                status, _body, server_ms, wall, _h = client.request(method, path, body, headers)
                statuses.add(status)
                times.append(server_ms if server_ms is not None else wall)
        except OSError:  # over the client's timeout: reported, and the next page goes on
            print(f"{name}: no answer within {Client.TIMEOUT} s", file=sys.stderr)
            clients.pop(role).conn.close()
            rows.append({"name": name, "path": path if not form else f"POST {path}", "status": ["timeout"],
                         "median_ms": Client.TIMEOUT * 1000, "p95_ms": Client.TIMEOUT * 1000, "n": 0})
            continue
        rows.append({"name": name, "path": path if not form else f"POST {path}", "status": sorted(statuses), "median_ms": statistics.median(times),
                     "p95_ms": pct(times, 95), "n": repeat})
    return rows


def throughput(port, path, role, seconds=10, concurrency=16, login=True):
    done = []
    errors = []
    clients = []
    for _ in range(concurrency):  # log in first: the clock measures the page, not password hashing
        c = Client("127.0.0.1", port)
        if login:
            c.login(LOGINS[role], PASSWORD)
        clients.append(c)
    stop_at = time.time() + seconds

    def worker(c):
        n = 0
        while time.time() < stop_at:
            status, *_ = c.get(path)
            if status != 200:
                errors.append(status)
            n += 1
        done.append(n)

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.time() - t0), len(errors)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--schools", type=int, default=150)
    parser.add_argument("--students", type=int, default=200000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--out", default=str(ROOT / "bench-results"))
    parser.add_argument("--only", help="measure only the pages whose name contains this (no extras, no throughput)")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    else:
        db_file = ROOT / "instance" / f"bench-{args.schools}-{args.students}.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{db_file}"
        if not db_file.exists():
            flask(env, "db", "upgrade")
            print(flask(env, "bench-data", "--schools", str(args.schools), "--students", str(args.students)).stdout)
    flask(env, "db", "upgrade")
    # the stored red-flag counts, as the scheduled refresh keeps them in service (a data set
    # generated before migration 0016 has none: the pages would count live)
    flask(env, "supervision", "refresh-flags")
    port = free_port()
    proc = start_gunicorn(env, port)
    results = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
               "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "database": env["DATABASE_URL"].split("://")[0], "schools": args.schools, "students": args.students}
    try:
        from tests.bench import extra

        sample = extra.inprocess(env, "sample")
        results["pages"] = measure_pages(port, args.repeat, sample, args.only)
        if args.only:
            results["rss_mb"] = rss_mb(proc)
            print_table(results)
            return
        results.update(extra.run(env, port, LOGINS, PASSWORD))
        name, role, path = THROUGHPUT_PAGE
        rps, errors = throughput(port, path, role)
        sized = Client("127.0.0.1", port)
        sized.login(LOGINS[role], PASSWORD)
        body_size = len(sized.get(path)[1])  # the ceiling serves a page of the same size
        results["throughput"] = {"page": name, "rps": rps, "errors": errors}
        results["rss_mb"] = rss_mb(proc)
    finally:
        stop(proc)
    cport = free_port()
    cenv = dict(env, CEILING_BYTES=str(body_size))
    ceiling = start_gunicorn(cenv, cport, app="tests.bench.ceiling_app:app")
    try:
        results["throughput"]["ceiling_rps"], _ = throughput(cport, "/", role, login=False)
    finally:
        stop(ceiling)
    print_table(results)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"bench-{results['database']}-{datetime.now():%Y%m%d-%H%M%S}.json"
    target.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"\nJSON: {target}")


def print_table(r):
    print(f"\n{r['database']} · {r['schools']} schools · {r['students']} students · {r['machine']['cpus']} CPUs · {r['date']}")
    print(f"{'page / partial':<34}{'status':>8}{'median ms':>11}{'p95 ms':>9}")
    for row in r["pages"]:
        print(f"{row['name']:<34}{','.join(map(str, row['status'])):>8}{row['median_ms']:>11.1f}{row['p95_ms']:>9.1f}")
    for key, value in r.items():
        if key.startswith("extra_"):
            print(f"{value['label']:<34}{value['value']:>28}")
    t = r.get("throughput")
    if t:
        print(f"throughput {t['page']}: {t['rps']:.0f} req/s (16 clients, errors {t['errors']}); "
              f"bare Flask ceiling {t.get('ceiling_rps', 0):.0f} req/s; ratio {t['rps'] / max(t.get('ceiling_rps', 1), 1):.2f}")
    print(f"peak RSS (largest process): {r['rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
