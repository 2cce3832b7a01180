"""Evidence files for status changes: type checked by content (magic bytes), size-limited,
stored under STORAGE_DIR (outside static/) by content hash, served by an access-checked view."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import current_app

from aid.audit.service import record
from aid.core.errors import InvalidValue
from aid.extensions import db

# (magic prefix, mimetype, suffix)
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
MAX_FILES = 10


def sniff(content: bytes) -> tuple[str, str] | None:
    for magic, mimetype, suffix in SIGNATURES:
        if content.startswith(magic):
            return mimetype, suffix
    return None


def max_bytes() -> int:
    return int(current_app.config.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


def validate_evidence(filename: str, content: bytes) -> tuple[str, str]:
    name = clean_name(filename)
    if not content:
        raise InvalidValue(f"文件“{name}”是空文件")
    limit = max_bytes()
    if len(content) > limit:
        raise InvalidValue(f"文件“{name}”超过{limit // (1024 * 1024) or 1}MB的大小限制")
    kind = sniff(content)
    if kind is None:
        raise InvalidValue(f"文件“{name}”不是JPEG、PNG图片或PDF文件（按文件内容判断），请重新选择")
    return kind


def clean_name(filename: str) -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip() or "证明材料"
    return "".join(ch for ch in name if ch.isprintable())[:120]


def evidence_root() -> Path:
    return Path(current_app.config["STORAGE_DIR"]) / "evidence"


def store_evidence(change, filename: str, content: bytes, user):
    from aid.changes.models import ChangeEvidence

    mimetype, suffix = validate_evidence(filename, content)
    digest = hashlib.sha256(content).hexdigest()
    relative = Path(digest[:2]) / f"{digest}{suffix}"
    target = evidence_root() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(content)
        os.replace(tmp, target)
    row = ChangeEvidence(change_id=change.id, school_id=change.school_id, filename=clean_name(filename),
                         mimetype=mimetype, size=len(content), sha256=digest, path=str(relative),
                         uploaded_by=user.id)
    db.session.add(row)
    db.session.flush()
    record("status_change.evidence", row, user=user,
           after={"change_id": change.id, "filename": row.filename, "sha256": digest, "size": row.size},
           summary=f"上传异动证明材料：{row.filename}")
    return row


def evidence_path(row) -> Path:
    return evidence_root() / row.path
