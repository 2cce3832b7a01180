"""Health check for monitoring: database, CJK font, HarfBuzz subsetter."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from aid.access import public
from aid.extensions import db
from aid.printing.service import font_health

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    """JSON status; 503 when something the product needs is missing."""
    try:
        db.session.execute(text("SELECT 1"))
        database = True
    except Exception:  # noqa: BLE001 — any failure means "not answering"
        db.session.rollback()
        database = False
    fonts = font_health()
    ok = database and fonts["cjk_font"] and fonts["harfbuzz_subset"]
    body = {"status": "ok" if ok else "degraded", "database": database, **fonts}
    return jsonify(body), (200 if ok else 503)
