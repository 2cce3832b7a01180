"""The one place PDFs are rendered (WeasyPrint) and official documents stored.

Fonts decide both correctness and speed: a CJK font must be installed (or
Chinese prints as boxes) and HarfBuzz's subsetter (libharfbuzz-subset0) keeps
font subsetting fast; `font_health()` reports both for /healthz.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import re
import socket
import subprocess
from functools import lru_cache
from pathlib import Path

from flask import current_app, render_template, send_file

from aid.extensions import db
from aid.printing.models import StoredDocument

PDF_FONT_FAMILY = '"Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", serif'


def render_html(template: str, **context) -> str:
    return render_template(template, pdf_font_family=PDF_FONT_FAMILY, **context)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported lazily: it loads Pango

    static_dir = Path(current_app.root_path).parent / "static"
    return HTML(string=html, base_url=str(static_dir)).write_pdf()


def render_pdf(template: str, **context) -> bytes:
    return html_to_pdf(render_html(template, **context))


def storage_dir() -> Path:
    path = Path(current_app.config["STORAGE_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


# Temporary files are named after the process that writes them (a tag of the host and the
# pid), so that a process starting later can remove those of a process that died mid-way
# (aid.printing.jobs.sweep_scratch) and never touches those of a live one.
HOST_TAG = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
SCRATCH_DIR_RE = re.compile(r"^[a-z_]+-(?P<tag>[0-9a-f]{8})-(?P<pid>\d+)-")
TEMP_FILE_RE = re.compile(r"^\..*\.(?P<tag>[0-9a-f]{8})-(?P<pid>\d+)\.tmp$")


def scratch_dir() -> Path:
    """Working space inside the storage directory (same file system, swept on start)."""
    path = storage_dir() / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def scratch_prefix(kind: str) -> str:
    """The name prefix of a temporary directory in scratch_dir() owned by this process."""
    return f"{kind}-{HOST_TAG}-{os.getpid()}-"


def temp_name(target: Path) -> Path:
    """A hidden temporary name next to `target`, owned by this process (then os.replace)."""
    return target.with_name(f".{target.name}.{HOST_TAG}-{os.getpid()}.tmp")


def store_document(data: bytes, *, kind: str, title: str, school_id: int | None,
                   object_type: str = "", object_id: int | None = None, created_by: int | None = None,
                   mimetype: str = "application/pdf", suffix: str = ".pdf") -> StoredDocument:
    """Write the bytes once under their SHA-256 (atomic rename) and record them."""
    digest = hashlib.sha256(data).hexdigest()
    relative = Path("documents") / digest[:2] / f"{digest}{suffix}"
    target = storage_dir() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_name(target)
        tmp.write_bytes(data)
        os.replace(tmp, target)
    doc = StoredDocument(kind=kind, title=title, school_id=school_id, object_type=object_type,
                         object_id=object_id, sha256=digest, path=str(relative), size=len(data),
                         mimetype=mimetype, created_by=created_by)
    db.session.add(doc)
    db.session.flush()
    return doc


def document_path(doc: StoredDocument) -> Path:
    return storage_dir() / doc.path


def verify_document(doc: StoredDocument) -> bool:
    path = document_path(doc)
    return path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == doc.sha256


def send_document(doc: StoredDocument, download_name: str):
    """Serve a stored document; the name keeps an ASCII fallback for Content-Disposition."""
    return send_file(document_path(doc), mimetype=doc.mimetype, as_attachment=False,
                     download_name=download_name, max_age=0, etag=doc.sha256)


def pdf_response(data: bytes, ascii_name: str, inline: bool = True):
    from flask import make_response

    resp = make_response(data)
    resp.headers["Content-Type"] = "application/pdf"
    disposition = "inline" if inline else "attachment"
    resp.headers["Content-Disposition"] = f'{disposition}; filename="{ascii_name}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


@lru_cache(maxsize=1)
def cjk_fonts() -> tuple[str, ...]:
    try:
        out = subprocess.run(["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(sorted({line.split(",")[0].strip() for line in out.splitlines() if line.strip()}))


@lru_cache(maxsize=1)
def harfbuzz_subset_available() -> bool:
    for name in (ctypes.util.find_library("harfbuzz-subset"), "libharfbuzz-subset.so.0"):
        if not name:
            continue
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def font_health() -> dict:
    fonts = cjk_fonts()
    return {"cjk_font": bool(fonts), "cjk_fonts": list(fonts)[:5], "harfbuzz_subset": harfbuzz_subset_available()}
