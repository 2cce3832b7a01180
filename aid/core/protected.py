"""Personal data at rest: encrypt, hash for search, mask for display — and reveal
on purpose, which is audited."""
from __future__ import annotations

from flask import current_app

from aid.core.crypto import DataCipher


def cipher() -> DataCipher:
    return current_app.extensions["aid_cipher"]


def seal(value: str) -> tuple[bytes, str]:
    """(ciphertext, keyed hash) of a normalised value."""
    c = cipher()
    return c.encrypt(value), c.search_hash(value)


def search_hash(value: str) -> str:
    return cipher().search_hash(value)


def open_sealed(blob: bytes | None) -> str:
    return cipher().decrypt(blob) if blob else ""
