"""Render one HTML file to PDF in a separate process: `python aid/funds/pdfworker.py in.html out.pdf [base_url]`.

Used for page ranges of large ledgers, so WeasyPrint's memory stays out of the app
process. Standalone on purpose: it imports WeasyPrint only, not the aid package.

A worker never outlives the process that started it: if that process dies (a server
worker killed mid-render), the worker notices within a fraction of a second that it has
been re-parented and exits, instead of rendering on for nobody."""
import os
import sys
import threading
import time


def _exit_with_parent(parent: int, interval: float = 0.2) -> None:
    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    # the starter's pid is passed on: it may already be gone by the time this line runs
    _exit_with_parent(int(os.environ.get("AID_PDF_PARENT") or os.getppid()))
    from weasyprint import HTML

    src, out = argv[1], argv[2]
    base_url = argv[3] if len(argv) > 3 else None
    HTML(filename=src, base_url=base_url).write_pdf(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
