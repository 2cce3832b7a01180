"""bandit over the application code: no high-severity finding (also a step of .ci/run)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_bandit_reports_no_high_severity_issue():
    bandit = shutil.which("bandit", path=str(Path(sys.executable).parent))
    if bandit is None:
        pytest.skip("bandit is not installed (pip install -e '.[test]')")
    out = subprocess.run([bandit, "-r", "aid", "-lll", "-f", "json", "-q"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    report = json.loads(out.stdout)
    high = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]
            if r["issue_severity"] == "HIGH"]
    assert not high, high
    assert out.returncode == 0, out.stderr
