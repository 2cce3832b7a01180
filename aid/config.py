"""Configuration read from the environment (12-factor); defaults suit one server."""
import os
from datetime import timedelta


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")  # when unset, a key file in instance/ is used
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # default: SQLite in instance/
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    DATA_KEY_FILE = os.environ.get("AID_DATA_KEY_FILE")  # personal-data encryption key
    STORAGE_DIR = os.environ.get("AID_STORAGE_DIR")  # stored PDFs and uploads, outside static/

    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("AID_HTTPS", "0") == "1"
    SESSION_COOKIE_NAME = "aid_session"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    # Account policy (also editable as settings; these are the defaults)
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    SESSION_IDLE_MINUTES = 30

    DEMO_ON_FIRST_RUN = True
    PROVINCE_NAME = os.environ.get("AID_PROVINCE_NAME", "福建省")


class TestConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = True
    PASSWORD_HASH_FAST = True
