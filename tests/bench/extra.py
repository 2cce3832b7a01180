"""Measurements beyond pages, run in the app's process (tests/bench/inprocess.py) on the
same database: the 10,000-row roster import, the 50-row notice PDF, each red-flag count,
and the ledger bars of DESIGN §5. Each entry is
{"extra_<name>": {"label": ..., "value": ..., "data": {...}}}.

The ledger (aid/funds/bench.py makes the 1,000-line locked batch of the school officer's
school on first use):
- `inprocess ledger`: the product's renderer cold (first render in the process) and warm
  (median of 3), each run alternating with headless Chromium printing the same HTML
  (median of 4); the ratio is warm / Chromium;
- served again: the stored ledger GET over HTTP through gunicorn as the school officer,
  the server time (Server-Timing) and the client's wall time, median of 20;
- `inprocess ledger_rss 5000`: in a fresh process, the peak RSS (VmHWM) of the process
  that renders a 5,000-row ledger, and of the largest render worker, separately."""
from __future__ import annotations

import json
import statistics
import subprocess
import sys

from tests.bench.client import Client
from tests.bench.run import ROOT


def inprocess(env, *args) -> dict:
    out = subprocess.run([sys.executable, "-m", "tests.bench.inprocess", *args], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(env, port, logins, password) -> dict:
    results = {}
    imp = inprocess(env, "import", "10000")
    results["extra_import"] = {"label": "导入 10,000 行名册（校验+写入）",
                               "value": f"{imp['total_s']:.1f} s, {imp['rows_per_s']:.0f} rows/s", "data": imp}
    pdf = inprocess(env, "notice_pdf")
    results["extra_notice_pdf"] = {"label": f"公示 PDF（{pdf['rows']} 行）",
                                   "value": f"warm {pdf['warm_median_s']:.2f} s, cold {pdf['cold_s']:.2f} s",
                                   "data": pdf}
    flags = inprocess(env, "flags")
    results["extra_flags"] = {"label": "红旗计数（省级，合计）", "value": f"{sum(flags.values()):.0f} ms",
                              "data": flags}
    results.update(ledger(env, port, logins, password))
    return results


def served_again(port, login, password, batch_id, repeat=20) -> dict:
    """GET the stored ledger as the school officer: server time and client wall time (ms)."""
    client = Client("127.0.0.1", port)
    client.login(login, password)
    path = f"/funds/batches/{batch_id}/ledger"
    status, body, *_ = client.get(path)  # warm-up
    if status != 200 or not body.startswith(b"%PDF"):
        raise RuntimeError(f"{path}: {status}")
    server, wall = [], []
    for _ in range(repeat):
        status, body, server_ms, wall_ms, _h = client.get(path)
        server.append(server_ms if server_ms is not None else wall_ms)
        wall.append(wall_ms)
    return {"path": path, "bytes": len(body), "server_median_ms": statistics.median(server),
            "wall_median_ms": statistics.median(wall), "n": repeat}


def ledger(env, port, logins, password) -> dict:
    led = inprocess(env, "ledger", "1000")
    served = served_again(port, logins["school_officer"], password, led["batch_id"])
    rss = inprocess(env, "ledger_rss", "5000")
    return {
        "extra_ledger_pdf": {"label": f"发放台账 PDF（{led['rows']} 行）vs Chromium",
                             "value": f"warm {led['warm_median_s']:.1f} s, cold {led['cold_s']:.1f} s, "
                                      f"Chromium {led['chromium_median_s']:.1f} s, ratio {led['ratio']:.2f}",
                             "data": led},
        "extra_ledger_served": {"label": "发放台账再次下载（存储，HTTP）",
                                "value": f"server {served['server_median_ms']:.1f} ms, "
                                         f"wall {served['wall_median_ms']:.1f} ms", "data": served},
        "extra_ledger_rss": {"label": f"渲染 {rss['rows']} 行台账时峰值 RSS",
                             "value": f"app {rss['app_hwm_mb']:.0f} MB, worker {rss['largest_worker_mb']:.0f} MB",
                             "data": rss},
    }
