"""Evidence files for status changes: type checked by content (magic bytes), size-limited,
stored under STORAGE_DIR (outside static/) by content hash, served by an access-checked view."""
from __future__ import annotations

from pathlib import Path

from aid.audit.service import record
from aid.core.uploads import check_evidence, clean_name, evidence_root, sniff, store_evidence_blob  # noqa: F401
from aid.extensions import db

MAX_FILES = 10


def validate_evidence(filename: str, content: bytes) -> tuple[str, str]:
    return check_evidence(filename, content)


def store_evidence(change, filename: str, content: bytes, user):
    from aid.changes.models import ChangeEvidence

    mimetype, suffix = validate_evidence(filename, content)
    relative, digest = store_evidence_blob(content, suffix)
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
