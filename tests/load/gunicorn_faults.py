"""gunicorn config for the fault tests: in each worker, the roster write announces
(in the file $AID_FAULT_MARKER) that its first chunk of rows is inserted but not
committed, then waits, so the test can kill the process at exactly that point. Only the
first import waits (while the marker file does not exist yet); later ones run through.
Test-only: production servers never load this file."""
import os
import time
from pathlib import Path


def post_worker_init(worker):
    from aid.students import importer

    original = importer.write_rows
    marker = Path(os.environ["AID_FAULT_MARKER"])

    def write_rows_with_a_pause(actor, school_id, analysis, filename, progress=None):
        def after_chunk(rows_inserted):
            if progress:
                progress(rows_inserted)
            if not marker.exists():
                marker.write_text(f"{os.getpid()} {rows_inserted}")
                time.sleep(60)  # the test kills this process meanwhile

        return original(actor, school_id, analysis, filename, progress=after_chunk)

    importer.write_rows = write_rows_with_a_pause
