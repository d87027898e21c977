"""API tokens: made once, used as their user, listed without their secret, revoked, expired; their
use reaches the event log, but not once per request."""
from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.errors import JimuError
from engine.identity.api_tokens import create_token
from engine.identity.event_log import query_events

from .conftest import sign_in

TOKENS = "/api/v1/auth/tokens"
ME = "/api/v1/auth/me"


def _bearer(app, token: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def _new_token(browser, name="sync", **extra) -> dict:
    r = browser.post(TOKENS, json={"name": name, **extra}, headers={"X-CSRF-Token": browser.csrf})
    assert r.status_code == 201, r.text
    return r.json()


def test_create_use_list_revoke(erp, app, make_user):
    uid = make_user("ma")
    ra = erp.db.core["role_assignment"]
    with erp.transaction() as c:
        c.execute(ra.insert().values(app="sales_erp", role="sales_rep", user_id=uid))
    browser = sign_in(app, "ma")
    made = _new_token(browser, "erp-sync")
    token = made["token"]
    m = re.fullmatch(r"jimu_([0-9a-f]{8})_([A-Za-z0-9_-]{43})", token)
    assert m and made["prefix"] == m.group(1) and made["expires_at"] is None

    # the token acts as its user: same user, same roles, no more
    by_token = _bearer(app, token).get(ME).json()
    by_session = browser.get(ME).json()
    assert by_token["via"] == "token" and by_token["user"] == by_session["user"]
    assert by_token["user"]["is_admin"] is False and by_token["csrf_token"] is None

    listed = browser.get(TOKENS)
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["name"] == "erp-sync" and item["prefix"] == made["prefix"] and item["active"] is True
    assert m.group(2) not in listed.text and token not in listed.text and "token" not in item

    t = erp.db.core["api_token"]  # only the hash and the prefix are stored
    with erp.connect() as c:
        row = c.execute(sa.select(t).where(t.c.id == made["id"])).mappings().one()
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert m.group(2) not in " ".join(str(v) for v in row.values())

    r = browser.delete(f"{TOKENS}/{made['id']}", headers={"X-CSRF-Token": browser.csrf})
    assert r.status_code == 200
    assert _bearer(app, token).get(ME).status_code == 401
    assert browser.get(TOKENS).json()["items"][0]["active"] is False
    kinds = {e["kind"] for e in query_events(erp, target=f"api_token:{made['id']}")["items"]}
    assert {"token_created", "token_revoked"} <= kinds


def test_a_token_can_revoke_only_its_own_users_tokens(app, make_user):
    make_user("niu")
    make_user("yang")
    niu, yang = sign_in(app, "niu"), sign_in(app, "yang")
    theirs = _new_token(yang, "yang's")
    mine = _new_token(niu, "niu's")
    assert [i["name"] for i in niu.get(TOKENS).json()["items"]] == ["niu's"]
    r = niu.delete(f"{TOKENS}/{theirs['id']}", headers={"X-CSRF-Token": niu.csrf})
    assert r.status_code == 404
    assert _bearer(app, theirs["token"]).get(ME).json()["user"]["login"] == "yang"
    # a token may manage its own user's tokens (no CSRF token needed with a bearer token)
    assert _bearer(app, mine["token"]).delete(f"{TOKENS}/{mine['id']}").status_code == 200
    assert _bearer(app, mine["token"]).get(ME).status_code == 401


def test_an_expired_token_stops_working(app, clock, make_user):
    make_user("xu")
    made = _new_token(sign_in(app, "xu"), "short", expires_days=1)
    assert made["expires_at"] is not None
    c = _bearer(app, made["token"])
    clock.advance(hours=23, minutes=59)
    assert c.get(ME).status_code == 200
    clock.advance(minutes=1)
    assert c.get(ME).status_code == 401


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "x" * 129}, {"name": "ok", "expires_days": 0},
                                  {"name": "ok", "expires_days": "7"}, {"expires_days": 3}])
def test_bad_token_requests_are_422(app, make_user, body):
    make_user("gao")
    browser = sign_in(app, "gao")
    r = browser.post(TOKENS, json=body, headers={"X-CSRF-Token": browser.csrf})
    assert r.status_code == 422 and r.json()["details"]
    assert browser.get(TOKENS).json()["items"] == []


def test_deactivating_the_user_stops_their_tokens_and_sessions(erp, app, make_user):
    uid = make_user("lu")
    browser = sign_in(app, "lu")
    token = _new_token(browser)["token"]
    u = erp.db.core["user"]
    with erp.transaction() as c:
        c.execute(u.update().where(u.c.id == uid).values(active=False))
    assert _bearer(app, token).get(ME).status_code == 401
    assert browser.get(ME).status_code == 401
    with erp.transaction() as c:  # and back on: both work again (neither was revoked)
        c.execute(u.update().where(u.c.id == uid).values(active=True))
    assert _bearer(app, token).get(ME).status_code == 200


def test_token_use_is_logged_once_an_hour_not_per_request(erp, app, clock, make_user):
    uid = make_user("tang")
    with erp.transaction() as c:
        made = create_token(erp, c, uid, "poller")
    t = erp.db.core["api_token"]

    def last_used():
        with erp.connect() as c:
            return c.execute(sa.select(t.c.last_used_at).where(t.c.id == made.id)).scalar_one()

    client = _bearer(app, made.token)
    for _ in range(10):
        assert client.get("/api/v1/apps").status_code == 200
        clock.advance(seconds=5)
    used = query_events(erp, kind="token_used", target=f"api_token:{made.id}")
    assert used["total"] == 1 and used["items"][0]["actor"] == uid
    first_use = last_used()

    clock.advance(minutes=1)  # last_used_at moves, at most once a minute
    client.get("/api/v1/apps")
    assert last_used() > first_use
    assert query_events(erp, kind="token_used")["total"] == 1

    clock.advance(hours=1)
    client.get("/api/v1/apps")
    client.get("/api/v1/apps")
    assert query_events(erp, kind="token_used", target=f"api_token:{made.id}")["total"] == 2


def test_no_token_for_the_system_user_or_a_missing_one(erp):
    with erp.transaction() as c:
        for uid in (erp.db.system_user_id, 999_999):
            with pytest.raises(JimuError):
                create_token(erp, c, uid, "x")
