"""A Markdown table of one or more benchmark JSON files (tests/bench/run.py), side by side:

    python -m tests.bench.report bench-results/bench-sqlite-….json [bench-results/bench-postgresql-….json]

Each page row shows median / p95 in ms per file; "✗" marks a page over the bars of DESIGN §5
(lists and partials: median 50 ms, p95 150 ms; the province home page: 500 ms)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

DASHBOARD = "首页 province"


def over_bar(row) -> bool:
    if row["name"] == DASHBOARD:
        return row["median_ms"] >= 500
    return row["median_ms"] >= 50 or row["p95_ms"] >= 150


def table(runs: list[dict]) -> str:
    head = "| page / partial | " + " | ".join(f"{r['database']} {r['date'][11:16]} UTC median / p95 ms"
                                               for r in runs) + " |"
    lines = [head, "|---|" + "---:|" * len(runs)]
    by_name = [{row["name"]: row for row in r["pages"]} for r in runs]
    for row in runs[0]["pages"]:
        cells = []
        for pages in by_name:
            other = pages.get(row["name"])
            cells.append("—" if other is None else
                         f"{other['median_ms']:.1f} / {other['p95_ms']:.1f}{' ✗' if over_bar(other) else ''}")
        lines.append(f"| {row['name']} | " + " | ".join(cells) + " |")
    for key, extra in runs[0].items():
        if key.startswith("extra_"):
            lines.append(f"| {extra['label']} | " + " | ".join(r.get(key, {}).get("value", "—") for r in runs) + " |")
    lines.append("| throughput, officer's queue, 16 clients | " + " | ".join(
        f"{r['throughput']['rps']:.0f} req/s (ceiling {r['throughput'].get('ceiling_rps', 0):.0f}, "
        f"ratio {r['throughput']['rps'] / max(r['throughput'].get('ceiling_rps', 1), 1):.2f})" for r in runs) + " |")
    lines.append("| peak RSS, largest gunicorn process | " + " | ".join(f"{r['rss_mb']:.0f} MB" for r in runs) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table([json.loads(Path(p).read_text()) for p in sys.argv[1:]]))
