"""gunicorn config for the fault tests: hooks in each worker stop the work at a chosen
point and tell the test (in a marker file) which process to kill. Test-only: production
servers never load this file. Each hook is installed only when its marker variable is set.

- AID_FAULT_MARKER: the roster write announces that its first chunk of rows is inserted
  but not committed, then waits. Only the first import waits (while the marker file does
  not exist yet); later ones run through.
- AID_FAULT_LOCK_MARKER: the batch lock announces, inside its transaction (the lock
  applied, the ledger rendered, nothing committed and the ledger not yet stored), that
  it is there, then waits. Only the first lock.
- AID_FAULT_RENDER_MARKER: once the lock marker exists, the next ledger render
  announces each pdf worker process it starts (it does not wait: the test kills the
  server worker while they render). Only that one render.
"""
import os
import time
from pathlib import Path


def _install_import_pause(marker: Path) -> None:
    from aid.students import importer

    original = importer.write_rows

    def write_rows_with_a_pause(actor, school_id, analysis, filename, progress=None):
        def after_chunk(rows_inserted):
            if progress:
                progress(rows_inserted)
            if not marker.exists():
                marker.write_text(f"{os.getpid()} {rows_inserted}")
                time.sleep(60)  # the test kills this process meanwhile

        return original(actor, school_id, analysis, filename, progress=after_chunk)

    importer.write_rows = write_rows_with_a_pause


def _install_lock_pause(marker: Path) -> None:
    from aid.funds import service

    original = service.lock_batch

    def lock_batch_with_a_pause(*args, **kwargs):
        result = original(*args, **kwargs)
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(60)  # the test kills this process meanwhile
        return result

    service.lock_batch = lock_batch_with_a_pause


def _install_render_announce(marker: Path, armed_by: Path) -> None:
    import subprocess
    import types

    from aid.funds import ledger

    real_popen = subprocess.Popen

    def announcing_popen(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        if armed_by.exists() and not (marker.exists() and marker.read_text().split()[0] != str(os.getpid())):
            pids = marker.read_text().split()[1:] if marker.exists() else []
            tmp = marker.with_name(marker.name + ".part")
            tmp.write_text(" ".join([str(os.getpid()), *pids, str(proc.pid)]))
            os.replace(tmp, marker)
        return proc

    ledger.subprocess = types.SimpleNamespace(**{**vars(subprocess), "Popen": announcing_popen})


def post_worker_init(worker):
    env = os.environ
    if env.get("AID_FAULT_MARKER"):
        _install_import_pause(Path(env["AID_FAULT_MARKER"]))
    if env.get("AID_FAULT_LOCK_MARKER"):
        _install_lock_pause(Path(env["AID_FAULT_LOCK_MARKER"]))
        if env.get("AID_FAULT_RENDER_MARKER"):
            _install_render_announce(Path(env["AID_FAULT_RENDER_MARKER"]), Path(env["AID_FAULT_LOCK_MARKER"]))
