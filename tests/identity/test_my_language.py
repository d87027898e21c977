"""A user chooses their language (PATCH /api/v1/auth/me): it is kept with the account, shown by /me,
and messages sent to them afterwards are in it. Nothing else about the account changes there."""
from __future__ import annotations

import sqlalchemy as sa

from engine.platform.notifications import notify

from .conftest import sign_in

ME = "/api/v1/auth/me"


def test_a_user_switches_language_and_it_is_kept(erp, app, make_user):
    uid = make_user("lan")
    c = sign_in(app, "lan")
    assert c.get(ME).json()["user"]["language"] == "zh"
    r = c.patch(ME, json={"language": "en"}, headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["language"] == "en"
    assert sign_in(app, "lan").get(ME).json()["user"]["language"] == "en"  # another session sees it too

    with erp.transaction() as conn:  # a message sent now is stored in the language chosen
        notify(erp, conn, uid, "test", {"zh": "你好", "en": "Hello"})
    assert c.get("/api/v1/notifications").json()["items"][0]["title"] == "Hello"


def test_only_zh_and_en_and_only_the_language_can_be_changed(erp, app, make_user):
    uid = make_user("lan2")
    c = sign_in(app, "lan2")
    h = {"X-CSRF-Token": c.csrf}
    bad = c.patch(ME, json={"language": "fr"}, headers=h)
    assert bad.status_code == 422 and bad.json()["details"][0]["path"] == "language"
    for body in ({"is_admin": True}, {"language": "en", "name": "新名字"}, {"login": "root"}):
        r = c.patch(ME, json=body, headers=h)
        assert r.status_code == 422, body
    assert c.patch(ME, json=["en"], headers=h).status_code == 422
    u = erp.db.core["user"]
    with erp.connect() as conn:
        row = conn.execute(sa.select(u.c.language, u.c.is_admin, u.c.name).where(u.c.id == uid)).one()
    assert tuple(row) == ("zh", False, "用户 lan2")  # nothing of the refused requests was written


def test_changing_the_language_needs_the_csrf_token(app, make_user):
    make_user("lan3")
    c = sign_in(app, "lan3")
    assert c.patch(ME, json={"language": "en"}).status_code == 403
    assert c.get(ME).json()["user"]["language"] == "zh"
