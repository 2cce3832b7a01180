"""Tests marked `slow` (the live-server suite in this folder) are collected by every run
but only executed with AID_SLOW=1 (as .ci/run does)."""
from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("AID_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set AID_SLOW=1 to run (as .ci/run does)")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)
