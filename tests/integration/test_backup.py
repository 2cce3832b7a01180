"""Backup while writers are busy, restore into a fresh instance, verify."""
import threading

from sqlalchemy import func, select

from aid import create_app
from aid.audit.models import AuditEvent
from aid.audit.service import record, verify_chain
from aid.core.crypto import DataCipher, load_or_create_key
from aid.extensions import db
from aid.students.models import Student
from aid.students.personal import reveal


def test_backup_during_writes_then_restore(world, app, tmp_path, database_url):
    if not database_url.startswith("sqlite"):
        import shutil
        if shutil.which("pg_dump") is None:
            import pytest
            pytest.skip("pg_dump not installed")
    stop = threading.Event()
    written = []

    def writer():
        with app.app_context():
            n = 0
            while not stop.is_set() and n < 200:
                record("update", object_type="load", object_id=n, summary="并发写入")
                db.session.commit()
                written.append(n)
                n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    import time
    deadline = time.monotonic() + 30
    while len(written) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")])
    stop.set()
    thread.join()
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bk" / "data.key").exists()

    # a fresh instance (new database, no key) restored from the backup
    if database_url.startswith("sqlite"):
        fresh_url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    else:
        from sqlalchemy import create_engine, text
        admin = create_engine(database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS aid_restore_test"))
            conn.execute(text("CREATE DATABASE aid_restore_test"))
        admin.dispose()
        fresh_url = database_url.rsplit("/", 1)[0] + "/aid_restore_test"
    fresh = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": fresh_url,
                        "DATA_KEY_FILE": str(tmp_path / "fresh.key"), "STORAGE_DIR": str(tmp_path / "fresh-storage"),
                        "PASSWORD_HASH_FAST": True})
    with fresh.app_context():  # the CLI runs against the app whose context is current
        restored = fresh.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk"), "--force"])
        assert restored.exit_code == 0, restored.output
        # the restored key replaced the fresh one: a restarted process would load it
        fresh.extensions["aid_cipher"] = DataCipher(load_or_create_key(tmp_path / "fresh.key"))
        students = db.session.scalar(select(func.count()).select_from(Student))
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        assert students == 5
        assert events >= 1 and verify_chain().ok
        one = db.session.scalars(select(Student).order_by(Student.id)).first()
        assert len(reveal(one, "id_number")) == 18  # the key came back with the data
        db.session.remove()
        db.engine.dispose()


def test_backup_refuses_a_non_empty_directory(ctx, tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "file").write_text("keep")
    result = ctx.test_cli_runner().invoke(args=["backup", str(tmp_path / "x")])
    assert result.exit_code == 1 and "不为空" in result.output
