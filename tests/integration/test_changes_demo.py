"""The demo district's status changes: every state, an overdue suspension visible at the
school and the bureau, a transfer waiting for the receiving school."""
from sqlalchemy import select

from aid.changes.models import StatusChange
from aid.demo import DEMO_PASSWORD, build_demo
from aid.extensions import db
from tests.conftest import Auth


def test_demo_changes(app, ctx):
    assert build_demo()
    states = set(db.session.execute(select(StatusChange.state)).scalars())
    assert {"recorded", "returned", "school_approved", "awaiting_receiver", "approved"} <= states

    def login(username):
        auth = Auth(app.test_client())
        assert auth.login(username, DEMO_PASSWORD).status_code == 302
        return auth

    home = login("fz_bureau").client.get("/home").get_data(as_text=True)
    panel = home[home.index('id="changes-panel"'):]
    assert panel.index("福州技师学院") < panel.index("福州东方技工学校")
    assert "badge danger" in panel
    school_home = login("s3501001_leader").client.get("/home").get_data(as_text=True)
    assert "未办结且已逾期" in school_home
    queue = login("s3501001_officer").client.get("/changes/").get_data(as_text=True)
    assert "已逾期" in queue
    incoming = login("s3502001_officer").client.get("/changes/?todo=y").get_data(as_text=True)
    assert "福州技师学院" in incoming and "待转入学校接收" in incoming
    xm_bureau = login("xm_bureau").client.get("/changes/").get_data(as_text=True)
    assert "待转入学校接收" in xm_bureau
