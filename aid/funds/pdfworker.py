"""Render HTML files to PDF in processes apart from the app.

    python aid/funds/pdfworker.py in.html out.pdf [base_url]   # one file, then exit
    python aid/funds/pdfworker.py --serve                      # a pre-warmed render server

Used for the page ranges of large ledgers, so WeasyPrint's memory stays out of the app
process. Standalone on purpose: it imports WeasyPrint only, not the aid package.

The server imports WeasyPrint once and then forks one child per file, so a render does
not pay the ~1.5 s CPU of starting Python and loading WeasyPrint again (measured: a
10-page range took 4.3 s CPU in a new process, 2.7 s in a child forked from the server;
rendering a page of the ledger in the server first, to warm the CJK font too, saved
nothing more). It reads one request
per line on stdin, a JSON object {"jobs": [[html, pdf, base_url, err], ...],
"workers": N}, runs at most N children at a time and answers one JSON line per
finished job ({"done": index, "maxrss_kb": peak RSS, "cpu_s": CPU seconds of that child}), then
{"end": true} — or {"failed": index, "status": code} after killing the other
children. End of input (the app process closed the pipe or died) kills the children
and ends the server, also in the middle of a request."""
import gc
import json
import os
import select
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1


def render(src: str, out: str, base_url: str | None) -> None:
    """One file, in a process that ends afterwards: without the cyclic garbage collector,
    which WeasyPrint's many small objects keep triggering (measured on a 28-page range:
    ~10% less CPU, 3 MB more peak RSS; a range is at most ledger.PAGES_PER_CHUNK pages)."""
    from weasyprint import HTML

    gc.disable()
    HTML(filename=src, base_url=base_url).write_pdf(out)


def _exit_with_parent(parent: int, interval: float = 0.2) -> None:
    """A one-file worker never outlives the process that started it: if that process dies
    (a server worker killed mid-render), it notices within `interval` that it has been
    re-parented and exits instead of rendering on for nobody."""
    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[1] == "--serve":
        return serve()
    # the starter's pid is passed on: it may already be gone by the time this line runs
    _exit_with_parent(int(os.environ.get("AID_PDF_PARENT") or os.getppid()))
    render(argv[1], argv[2], argv[3] if len(argv) > 3 else None)
    return 0


def _die_with_parent() -> None:
    """The child gets SIGKILL when the server (its parent) dies."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _child(job: list) -> None:
    html, pdf, base_url, err = job
    code = 1
    try:
        fd = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 2)
        _die_with_parent()
        if os.getppid() == 1:  # the server died before prctl
            os._exit(1)
        render(html, pdf, base_url)
        code = 0
    except BaseException:  # noqa: BLE001 - reported on the job's error file
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


def _send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _kill(children: dict) -> None:
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in list(children):
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        children.pop(pid, None)


def serve() -> int:
    from weasyprint import HTML

    HTML(string="<p>0</p>").write_pdf()  # loads WeasyPrint's lazily imported parts, once
    gc.freeze()  # what is loaded now stays shared with the children (no copy-on-write by the collector)

    stdin = sys.stdin.buffer
    _send({"ready": True})
    while True:
        line = stdin.readline()
        if not line:
            return 0
        request = json.loads(line)
        jobs, workers = request["jobs"], max(1, int(request.get("workers", 1)))
        pending = list(enumerate(jobs))
        children: dict[int, int] = {}
        failed = False
        while (pending or children) and not failed:
            while pending and len(children) < workers:
                index, job = pending.pop(0)
                sys.stdout.flush()
                pid = os.fork()
                if pid == 0:
                    _child(job)
                children[pid] = index
            pid, status, usage = os.wait4(-1, os.WNOHANG)
            if pid == 0:
                readable, _w, _x = select.select([stdin], [], [], 0.05)
                if readable and not stdin.peek(1):  # the app went away: stop everything
                    _kill(children)
                    return 0
                continue
            index = children.pop(pid)
            code = os.waitstatus_to_exitcode(status)
            if code != 0:
                _kill(children)
                _send({"failed": index, "status": code})
                failed = True
            else:
                _send({"done": index, "maxrss_kb": usage.ru_maxrss, "cpu_s": usage.ru_utime + usage.ru_stime})
        if not failed:
            _send({"end": True})


if __name__ == "__main__":
    sys.exit(main(sys.argv))
