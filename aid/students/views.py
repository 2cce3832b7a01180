"""Student register views (built out by the register issue)."""
from flask import Blueprint

bp = Blueprint("students", __name__, url_prefix="/students")
