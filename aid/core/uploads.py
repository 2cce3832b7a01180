"""Uploaded evidence files, one place for every area: the type is decided by the
file's content (never its name or the browser's claim), the size is limited,
images must decode, and files are stored by content hash under STORAGE_DIR
(outside static/) with an atomic rename, to be served only by access-checked views."""
from __future__ import annotations

import hashlib
import os
from io import BytesIO
from pathlib import Path

from flask import current_app

from aid.core.errors import InvalidValue

# (magic prefix, mimetype, suffix)
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
SUFFIXES = {mimetype: suffix for _magic, mimetype, suffix in SIGNATURES}


def sniff(content: bytes) -> tuple[str, str] | None:
    """(mimetype, suffix) of a JPEG, PNG or PDF file, else None."""
    for magic, mimetype, suffix in SIGNATURES:
        if content.startswith(magic):
            return mimetype, suffix
    return None


def clean_name(filename: str, default: str = "证明材料") -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip() or default
    return "".join(ch for ch in name if ch.isprintable())[:120]


def max_bytes() -> int:
    return int(current_app.config.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


def _image_intact(content: bytes) -> bool:
    from PIL import Image

    try:
        with Image.open(BytesIO(content)) as img:
            img.verify()
        return True
    except Exception:  # noqa: BLE001 - any decoder error means a broken or disguised file
        return False


def check_evidence(filename: str, content: bytes) -> tuple[str, str]:
    """(mimetype, suffix) of an acceptable file; InvalidValue with a Chinese message otherwise."""
    name = clean_name(filename)
    if not content:
        raise InvalidValue(f"文件“{name}”是空文件")
    limit = max_bytes()
    if len(content) > limit:
        raise InvalidValue(f"文件“{name}”超过{limit // (1024 * 1024) or 1}MB的大小限制")
    kind = sniff(content)
    if kind is None:
        raise InvalidValue(f"文件“{name}”不是JPEG、PNG图片或PDF文件（按文件内容判断），请重新选择")
    if kind[0] != "application/pdf" and not _image_intact(content):
        raise InvalidValue(f"文件“{name}”图片已损坏或不是有效的图片")
    return kind


def evidence_root() -> Path:
    return Path(current_app.config["STORAGE_DIR"]) / "evidence"


def store_evidence_blob(content: bytes, suffix: str) -> tuple[str, str]:
    """Write once under its SHA-256 (temp file + rename); returns (relative path, digest)."""
    digest = hashlib.sha256(content).hexdigest()
    relative = Path(digest[:2]) / f"{digest}{suffix}"
    target = evidence_root() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(content)
        os.replace(tmp, target)
    return str(relative), digest
