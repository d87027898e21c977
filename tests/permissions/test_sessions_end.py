"""Issue 11 item 7: every path that changes a password or deactivates a user ends their sessions, the
way ``jimu users passwd`` does — the admin API, the organisation import, and deactivation."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from .test_org_admin import _xlsx
from .test_read_matrix import _user

NEW_PASSWORD = "a-new-password-2026"


def _live_sessions(erp, login_name: str) -> int:
    s = erp.db.core["session"]
    with erp.connect() as c:
        return c.execute(sa.select(sa.func.count()).where(s.c.user_id == _user(erp, login_name),
                                                          s.c.revoked_at.is_(None))).scalar()


def _alive(client) -> bool:
    return client.get("/api/v1/auth/me").status_code == 200


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_item7_admin_api_password_reset_or_deactivation_ends_sessions(erp, login, change):
    rep, other = login("rep_east1"), login("rep_east2")
    assert _alive(rep)
    admin = login("admin_user")
    body = {"password": NEW_PASSWORD} if change == "password" else {"active": False}
    r = admin.patch(f"/api/v1/admin/users/{_user(erp, 'rep_east1')}", json=body)
    assert r.status_code == 200, r.text
    assert not _alive(rep)  # the session the old password opened is over
    assert _alive(other) and _alive(admin)  # nobody else's
    assert _live_sessions(erp, "rep_east1") == 0  # so coming back after a deactivation brings none back
    events = admin.get("/api/v1/admin/events", params={"target": f"user:{_user(erp, 'rep_east1')}"}).json()["items"]
    assert events[0]["detail"]["sessions_ended"] == 1


def test_item7_org_import_with_a_password_ends_sessions(erp, login):
    rep = login("rep_east1")
    admin = login("admin_user")
    book = _xlsx([["编码", "名称"]], [["登录名", "姓名", "密码"], ["rep_east1", "张伟", NEW_PASSWORD]])
    r = admin.post("/api/v1/admin/org/import", params={"app": "sales_erp"},
                   files={"file": ("org.xlsx", book, "application/octet-stream")})
    assert r.status_code == 200, r.text
    assert not _alive(rep)
