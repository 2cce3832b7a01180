"""Print an HTML file with headless Chromium and report its wall and CPU time as JSON:

    python -m tests.bench.chromium in.html out.pdf

This process makes itself the child subreaper, so the helper processes Chromium forks
and leaves behind are reaped here and their CPU time is counted too."""
from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--headless"]
PR_SET_CHILD_SUBREAPER = 36


def binary() -> str:
    return os.environ.get("AID_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def main(argv: list[str]) -> None:
    html, pdf = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # CPU then counts only what Chromium reaps itself
    pdf.unlink(missing_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run([binary(), *FLAGS, f"--print-to-pdf={pdf}", html.as_uri()], capture_output=True,
                          timeout=600)
    wall = time.perf_counter() - t0
    while True:  # the orphaned helpers
        try:
            os.wait()
        except ChildProcessError:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0 or not pdf.exists():
        raise SystemExit(f"chromium failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-500:]}")
    print(json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime}))


if __name__ == "__main__":
    main(sys.argv[1:])
