"""Measurements beyond pages, run in the app's process (tests/bench/inprocess.py) on the
same database: the 10,000-row roster import, the 50-row notice PDF, and each red-flag
count. Each entry is {"extra_<name>": {"label": ..., "value": ..., "data": {...}}}.

The ledger PDF against headless Chromium (DESIGN §5: ≤ 2× Chromium's time, served again
< 100 ms, < 500 MB RSS at 5,000 rows) belongs here once the funds area has landed: render
a 1,000-row ledger of a bench payment batch with its service, print the same HTML with
`chromium --headless --print-to-pdf`, and report both times and the ratio. The funds
area's bench step (aid/funds/bench.py) provides the batches."""
from __future__ import annotations

import json
import subprocess
import sys

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
    return results
