"""Measurements beyond pages (imports, PDFs, dashboards): each returns
{"extra_<name>": {"label": ..., "value": ...}}. Areas add theirs here."""


def run(env, port, logins, password) -> dict:
    return {}
