"""The throughput ceiling: a bare Flask view returning a static page of the
same size as the measured page, served by the same gunicorn set-up."""
import os

from flask import Flask

app = Flask(__name__)
BODY = "x" * int(os.environ.get("CEILING_BYTES", "8000"))


@app.route("/")
def index():
    return BODY
