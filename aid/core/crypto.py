"""Encryption at rest for personal data (ID, card and phone numbers).

AES-256-GCM with a random nonce per value; a keyed hash (HMAC-SHA256) of the
normalised value allows exact-match search and duplicate detection without
decrypting. The key lives outside the database: in AID_DATA_KEY (base64) or in a
key file created on first use with mode 0600.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 12


class DataCipher:
    def __init__(self, master_key: bytes):
        if len(master_key) != 32:
            raise ValueError("data key must be 32 bytes")
        self._aead = AESGCM(_derive(master_key, b"aid-aes-gcm"))
        self._mac_key = _derive(master_key, b"aid-hmac-search")

    def encrypt(self, plaintext: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), None)

    def decrypt(self, blob: bytes) -> str:
        return self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], None).decode()

    def search_hash(self, value: str) -> str:
        return hmac.new(self._mac_key, value.encode(), hashlib.sha256).hexdigest()


def _derive(master_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(master_key)


def load_or_create_key(path: Path, env_value: str | None = None) -> bytes:
    if env_value:
        return base64.b64decode(env_value)
    if path.exists():
        return base64.b64decode(path.read_bytes().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64encode(key) + b"\n")
    return key
