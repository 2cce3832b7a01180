"""技工院校学籍与资助管理 — the application factory."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask

from aid.config import Config
from aid.extensions import csrf, db, htmx_ext, login_manager, migrate

# Areas, each a sub-package with a `views.bp` blueprint and, optionally,
# `models`, `cli` (register(app)) and `demo` (demo_step(ctx)) modules that are
# discovered by name. Add new areas here, in dependency order.
AREAS = [
    "auth", "home", "org", "audit", "health",
    "students",
    "changes",
    "programmes", "hardship", "applications",
    "notices",
    "funds",
    "supervision", "reports",
    "ops",
]


def area_module(area: str, name: str):
    """The module aid.<area>.<name>, or None when the area has none."""
    import importlib
    import importlib.util

    full = f"aid.{area}.{name}"
    # only this checkout's areas: an editable install's import finder could otherwise
    # supply an area of another checkout that this one does not have
    if not (Path(__file__).resolve().parent / area).is_dir():
        return None
    if importlib.util.find_spec(full) is None:
        return None
    return importlib.import_module(full)


def create_app(config: type | dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    _configure_paths_and_keys(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx_ext.init_app(app)

    with app.app_context():
        from aid.database import configure_engine
        configure_engine(db.engine)

    from aid import models  # noqa: F401  (registers every model with the metadata)
    from aid.auth.sessions import init_login
    from aid.errors import init_errors
    from aid.security import init_security
    from aid.templating import init_templating
    from aid.timing import init_timing

    init_login(app)
    init_errors(app)
    init_security(app)
    init_templating(app)
    init_timing(app)
    _bound_int_urls(app)
    for area in AREAS:
        views = area_module(area, "views")
        if views is not None:
            app.register_blueprint(views.bp)

    from aid.cli import register_cli
    register_cli(app)
    _configure_logging(app)
    _recover_jobs(app)
    return app


def _bound_int_urls(app: Flask) -> None:
    """`<int:…>` in URLs matches only what fits a database integer: a longer number (an ID
    number typed into a URL, say) is a 404, not a database error on PostgreSQL."""
    from werkzeug.routing import IntegerConverter

    class DatabaseInteger(IntegerConverter):
        def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
            super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    app.url_map.converters["int"] = DatabaseInteger


def _recover_jobs(app: Flask) -> None:
    """A starting server process marks jobs whose process died as failed (aid/printing/jobs.py)."""
    if not app.config.get("RECOVER_JOBS_ON_START", True):
        return
    from aid.printing.jobs import recover_stale_jobs

    try:
        with app.app_context():
            marked = recover_stale_jobs()
            if marked:
                app.logger.warning("marked %d orphaned job(s) as failed", marked)
    except Exception:  # a database that is not reachable yet must not stop the start  # noqa: BLE001
        app.logger.warning("could not check for orphaned jobs", exc_info=True)


def _configure_paths_and_keys(app: Flask) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'aid.sqlite3'}"
    if not app.config.get("STORAGE_DIR"):
        app.config["STORAGE_DIR"] = str(instance / "storage")
    if not app.config.get("SECRET_KEY"):
        key_file = instance / "secret_key"
        if not key_file.exists():
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    from aid.core.crypto import DataCipher, load_or_create_key

    key_path = Path(app.config.get("DATA_KEY_FILE") or instance / "data.key")
    app.config["DATA_KEY_FILE"] = str(key_path)
    app.extensions["aid_cipher"] = DataCipher(load_or_create_key(key_path, os.environ.get("AID_DATA_KEY")))


def _configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
