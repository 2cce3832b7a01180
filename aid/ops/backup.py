"""Consistent backups while the app serves requests, and restore.

SQLite: the online backup API copies a consistent snapshot page by page while
writers continue. PostgreSQL: pg_dump (a consistent snapshot by design). The
personal-data key and the stored documents are copied beside the database: a
database without its key is unreadable, so both are needed to restore.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from aid.extensions import db

MANIFEST = "manifest.json"


class BackupError(Exception):
    """str() is the Chinese message."""


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _pg_env(url) -> tuple[list[str], dict]:
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def backup(target: Path) -> dict:
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"备份目录 {target} 不为空，请指定一个新目录")
    target.mkdir(parents=True, exist_ok=True)
    url = _url()
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        dest = sqlite3.connect(target / "aid.sqlite3")
        with dest:
            source.backup(dest, pages=1024)
        dest.close()
        source.close()
        db_file = "aid.sqlite3"
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_env(url)
        db_file = "aid.pgdump"
        result = subprocess.run(["pg_dump", *args, "-Fc", "-f", str(target / db_file), url.database],
                                env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_dump 失败：{result.stderr.strip()}")
    else:
        raise BackupError(f"不支持备份该数据库类型：{url.get_backend_name()}")
    key_file = Path(current_app.config["DATA_KEY_FILE"])
    if key_file.exists():
        shutil.copy2(key_file, target / "data.key")
        os.chmod(target / "data.key", 0o600)
    storage = Path(current_app.config["STORAGE_DIR"])
    if storage.exists():
        shutil.copytree(storage, target / "storage")
    manifest = {"created_at": datetime.now(timezone.utc).isoformat(), "database": db_file,
                "backend": url.get_backend_name(), "key": (target / "data.key").exists()}
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def restore(source: Path, force: bool = False) -> dict:
    source = Path(source)
    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{source} 不是有效的备份目录（缺少 {MANIFEST}）")
    manifest = json.loads(manifest_path.read_text())
    url = _url()
    if manifest["backend"] != url.get_backend_name():
        raise BackupError(f"备份来自 {manifest['backend']}，当前数据库为 {url.get_backend_name()}")
    key_file = Path(current_app.config["DATA_KEY_FILE"])
    if manifest.get("key"):
        backup_key = (source / "data.key").read_bytes()
        if key_file.exists() and key_file.read_bytes() != backup_key and not force:
            raise BackupError("当前实例的数据密钥与备份不同；确认要覆盖时请加 --force")
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_bytes(backup_key)
        os.chmod(key_file, 0o600)
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        src = sqlite3.connect(source / manifest["database"])
        dest = sqlite3.connect(url.database)
        with dest:
            src.backup(dest)
        dest.close()
        src.close()
    else:
        args, env = _pg_env(url)
        result = subprocess.run(["pg_restore", *args, "--clean", "--if-exists", "--no-owner", "-d", url.database,
                                 str(source / manifest["database"])], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_restore 失败：{result.stderr.strip()}")
    storage = Path(current_app.config["STORAGE_DIR"])
    if (source / "storage").exists():
        shutil.copytree(source / "storage", storage, dirs_exist_ok=True)
    return manifest
