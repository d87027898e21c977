"""Signing in with a password: the cookie, /me, signing out, session expiry, CSRF, throttling and the
event log."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.errors import ValidationFailed
from engine.identity import passwords
from engine.identity.api_tokens import create_token
from engine.identity.event_log import query_events
from engine.identity.sessions import SessionSettings
from engine.identity.throttle import ThrottleSettings

from .conftest import PASSWORD, sign_in

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
CUSTOMERS = "/api/v1/records/sales_erp/customer"


def _cookie_header(r) -> str:
    return next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("jimu_session="))


# --- passwords -------------------------------------------------------------------------------------
def test_password_policy_and_hashing():
    for bad in ("short1", "1234567890", ""):
        with pytest.raises(ValidationFailed) as e:
            passwords.check_policy(bad)
        assert all(d["message"]["zh"] and d["message"]["en"] for d in e.value.details)
    passwords.check_policy("abcdefgh")
    h = passwords.hash_password("abcdefgh")
    assert h.startswith("$argon2id$") and "abcdefgh" not in h
    assert passwords.verify_password(h, "abcdefgh") and not passwords.verify_password(h, "abcdefgH")
    assert not passwords.verify_password(None, "abcdefgh") and not passwords.verify_password("garbage", "x")
    assert not passwords.needs_rehash(h)
    from argon2 import PasswordHasher

    assert passwords.needs_rehash(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("abcdefgh"))
    made = {passwords.generate_password() for _ in range(20)}
    assert len(made) == 20 and all(not passwords.policy_problems(p) for p in made)


# --- signing in and out ----------------------------------------------------------------------------
def test_login_sets_an_httponly_samesite_cookie_and_me_works(erp, app, make_user):
    uid = make_user("li")
    ra = erp.db.core["role_assignment"]
    with erp.transaction() as c:
        c.execute(ra.insert().values(app="sales_erp", role="sales_rep", user_id=uid))
    c = TestClient(app)
    r = c.post(LOGIN, json={"login": "li", "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"] == {"id": uid, "login": "li", "name": "用户 li", "language": "zh", "is_admin": False,
                            "roles": [{"app": "sales_erp", "role": "sales_rep"}]}
    assert len(body["csrf_token"]) >= 32
    cookie = _cookie_header(r)
    attrs = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attrs and "samesite=lax" in attrs and "path=/" in attrs and "secure" not in attrs
    value = cookie.split(";")[0].split("=", 1)[1]
    me = c.get(ME).json()
    assert me["user"]["login"] == "li" and me["via"] == "session" and me["csrf_token"] == body["csrf_token"]

    s = erp.db.core["session"]  # only the cookie's hash is kept
    with erp.connect() as conn:
        row = conn.execute(sa.select(s).where(s.c.user_id == uid)).mappings().one()
    assert row["token_hash"] == hashlib.sha256(value.encode()).hexdigest()
    assert value not in json.dumps({k: str(v) for k, v in row.items()})


def test_a_hash_with_outdated_parameters_is_renewed_at_sign_in(erp, app, make_user):
    uid = make_user("old_hash")
    from argon2 import PasswordHasher

    u = erp.db.core["user"]
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with erp.transaction() as c:
        c.execute(u.update().where(u.c.id == uid).values(password_hash=weak))
    sign_in(app, "old_hash")
    with erp.connect() as c:
        renewed = c.execute(sa.select(u.c.password_hash).where(u.c.id == uid)).scalar_one()
    assert renewed != weak and not passwords.needs_rehash(renewed) and passwords.verify_password(renewed, PASSWORD)


def test_the_cookie_is_secure_over_https(app, make_user):
    make_user("https_user")
    r = TestClient(app, base_url="https://jimu.example").post(LOGIN, json={"login": "https_user",
                                                                          "password": PASSWORD})
    assert "secure" in [a.strip().lower() for a in _cookie_header(r).split(";")]


def test_wrong_password_and_unknown_login_answer_alike(anon, make_user):
    make_user("wang")
    wrong = anon.post(LOGIN, json={"login": "wang", "password": "not the one"})
    unknown = anon.post(LOGIN, json={"login": "nobody", "password": "not the one"})
    for r in (wrong, unknown):
        assert r.status_code == 401 and "set-cookie" not in r.headers
    assert wrong.json() == unknown.json() and wrong.json()["code"] == "auth.E_SIGNIN"
    assert anon.get(ME).status_code == 401


def test_login_takes_json_only(anon, make_user):
    make_user("form")
    r = anon.post(LOGIN, data={"login": "form", "password": PASSWORD})  # a cross-site form could send this
    assert r.status_code == 415 and "set-cookie" not in r.headers
    r = anon.post(LOGIN, content=json.dumps({"login": "form", "password": PASSWORD}),
                  headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert anon.post(LOGIN, json={"login": "form"}).status_code == 422


def test_logout_ends_the_session_even_for_a_replayed_cookie(erp, app, make_user):
    uid = make_user("zhao")
    c = sign_in(app, "zhao")
    value = c.cookies.get("jimu_session")
    assert c.post("/api/v1/auth/logout").status_code == 403  # CSRF applies to signing out too
    r = c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 200 and r.json() == {"signed_out": True}
    assert c.get(ME).status_code == 401
    assert TestClient(app).get(ME, headers={"Cookie": f"jimu_session={value}"}).status_code == 401
    assert query_events(erp, kind="signout", actor=uid)["total"] == 1


def test_signing_in_again_ends_the_previous_session(app, make_user):
    make_user("feng")
    c = sign_in(app, "feng")
    first = c.cookies.get("jimu_session")
    assert c.post(LOGIN, json={"login": "feng", "password": PASSWORD}).status_code == 200
    assert c.cookies.get("jimu_session") != first and c.get(ME).status_code == 200
    assert TestClient(app).get(ME, headers={"Cookie": f"jimu_session={first}"}).status_code == 401


def test_oversized_credentials_are_refused_before_hashing(anon):
    r = anon.post(LOGIN, json={"login": "x" * 129, "password": "p" * 2000})
    assert r.status_code == 422 and {d["path"] for d in r.json()["details"]} == {"login", "password"}


def test_an_inactive_user_cannot_sign_in_and_their_session_stops(erp, app, make_user):
    uid = make_user("qian")
    c = sign_in(app, "qian")
    u = erp.db.core["user"]
    with erp.transaction() as conn:
        conn.execute(u.update().where(u.c.id == uid).values(active=False))
    r = c.get(ME)
    assert r.status_code == 401 and 'jimu_session=""' in r.headers.get("set-cookie", "")  # the dead cookie goes
    assert TestClient(app).post(LOGIN, json={"login": "qian", "password": PASSWORD}).status_code == 401


# --- expiry ----------------------------------------------------------------------------------------
def test_idle_expiry_slides_with_use(app, clock, make_user):
    make_user("sun")
    c = sign_in(app, "sun")
    clock.advance(hours=7)
    assert c.get(ME).status_code == 200
    clock.advance(hours=7)  # 14 h after signing in, 7 h after the last request
    assert c.get(ME).status_code == 200
    clock.advance(hours=8, seconds=1)
    assert c.get(ME).status_code == 401


def test_absolute_expiry_ends_even_a_busy_session(app, clock, make_user):
    make_user("zhou")
    c = sign_in(app, "zhou")
    for _ in range(23):  # every 7 h for 161 h: never idle for 8 h
        clock.advance(hours=7)
        assert c.get(ME).status_code == 200
    clock.advance(hours=7)  # 168 h = 7 days
    assert c.get(ME).status_code == 401


def test_last_seen_is_written_at_most_once_a_minute(erp, app, clock, make_user):
    uid = make_user("wu")
    c = sign_in(app, "wu")
    s = erp.db.core["session"]

    def last_seen():
        with erp.connect() as conn:
            return conn.execute(sa.select(s.c.last_seen_at).where(s.c.user_id == uid)).scalar_one()

    signed_in = last_seen()
    for _ in range(3):
        clock.advance(seconds=15)
        assert c.get(ME).status_code == 200
    assert last_seen() == signed_in
    clock.advance(seconds=20)
    c.get(ME)
    assert last_seen() == signed_in + dt.timedelta(seconds=65)


def test_session_durations_come_from_the_environment(erp, clock, make_user, monkeypatch):
    monkeypatch.setenv("JIMU_SESSION_IDLE_MINUTES", "30")
    app = create_app(erp)
    make_user("zheng")
    c = sign_in(app, "zheng")
    assert "max-age=604800" in _cookie_header(c.post(LOGIN, json={"login": "zheng", "password": PASSWORD})).lower()
    clock.advance(minutes=29)
    assert c.get(ME).status_code == 200
    clock.advance(minutes=31)
    assert c.get(ME).status_code == 401


def test_settings_name_the_bad_variable():
    assert SessionSettings.from_env({}) == SessionSettings()
    assert SessionSettings.from_env({"JIMU_SESSION_MAX_DAYS": "1"}).lifetime == dt.timedelta(days=1)
    with pytest.raises(ValueError, match="JIMU_SESSION_IDLE_MINUTES"):
        SessionSettings.from_env({"JIMU_SESSION_IDLE_MINUTES": "eight hours"})
    with pytest.raises(ValueError, match="JIMU_COOKIE_SECURE"):
        SessionSettings.from_env({"JIMU_COOKIE_SECURE": "maybe"})
    assert ThrottleSettings.from_env({"JIMU_LOGIN_WINDOW_MINUTES": "5"}).window == dt.timedelta(minutes=5)
    with pytest.raises(ValueError, match="JIMU_LOGIN_MAX_FAILURES"):
        ThrottleSettings.from_env({"JIMU_LOGIN_MAX_FAILURES": "0"})


# --- CSRF ------------------------------------------------------------------------------------------
def _customer(erp, cid: int) -> dict | None:
    t = erp.table("sales_erp", "customer")
    with erp.connect() as c:
        row = c.execute(sa.select(t).where(t.c.id == cid)).mappings().first()
    return dict(row) if row else None


def test_cookie_writes_need_the_csrf_token(erp, app, make_user):
    make_user("csrf_admin", admin=True)
    c = sign_in(app, "csrf_admin")
    ok = {"X-CSRF-Token": c.csrf}
    bad = {"X-CSRF-Token": c.csrf[:-2] + "xx"}
    count = c.get(CUSTOMERS).json()["total"]
    for headers in ({}, bad):
        r = c.post(CUSTOMERS, json={"name": "跨站客户"}, headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "auth.E_CSRF"
    assert c.get(CUSTOMERS).json()["total"] == count

    created = c.post(CUSTOMERS, json={"name": "正常客户"}, headers=ok)
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    for headers in ({}, bad):
        assert c.patch(f"{CUSTOMERS}/{cid}", json={"version": 1, "phone": "x"}, headers=headers).status_code == 403
        assert c.delete(f"{CUSTOMERS}/{cid}", headers=headers).status_code == 403
    row = _customer(erp, cid)
    assert row["phone"] is None and row["deleted_at"] is None and row["version"] == 1

    assert c.patch(f"{CUSTOMERS}/{cid}", json={"version": 1, "phone": "021-1"}, headers=ok).status_code == 200
    assert c.delete(f"{CUSTOMERS}/{cid}", headers=ok).status_code == 200
    row = _customer(erp, cid)
    assert row["phone"] == "021-1" and row["deleted_at"] is not None


def test_a_bearer_token_needs_no_csrf_token(erp, app, make_user):
    uid = make_user("bearer_admin", admin=True)
    with erp.transaction() as conn:
        token = create_token(erp, conn, uid, "script").token
    c = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    r = c.post(CUSTOMERS, json={"name": "脚本客户"})
    assert r.status_code == 201, r.text
    assert c.delete(f"{CUSTOMERS}/{r.json()['id']}").status_code == 200


# --- throttling ------------------------------------------------------------------------------------
def test_five_failures_lock_the_login_until_the_window_passes(erp, app, clock, make_user):
    uid = make_user("chen")
    c = TestClient(app)
    for _ in range(5):
        assert c.post(LOGIN, json={"login": "chen", "password": "guess-123"}).status_code == 401
        clock.advance(minutes=1)
    r = c.post(LOGIN, json={"login": "chen", "password": PASSWORD})  # the right password, 5 min after the first
    assert r.status_code == 429 and r.json()["code"] == "auth.E429" and "set-cookie" not in r.headers
    assert r.headers["retry-after"] == str(10 * 60)
    assert r.json()["message"]["zh"] and r.json()["message"]["en"]
    clock.advance(minutes=9)  # hammering while locked does not extend the lock
    assert c.post(LOGIN, json={"login": "chen", "password": "guess-456"}).status_code == 429
    clock.advance(minutes=1, seconds=1)
    assert c.post(LOGIN, json={"login": "chen", "password": PASSWORD}).status_code == 200

    events = query_events(erp, kind="signin_failed")["items"]
    assert len(events) == 7 and all(e["target"] == "login:chen" for e in events)
    assert sorted(e["detail"]["reason"] for e in events) == ["throttled"] * 2 + ["wrong_password"] * 5
    assert query_events(erp, kind="signin", actor=uid)["total"] == 1
    everything = json.dumps(query_events(erp, limit=1000), ensure_ascii=False)
    for secret in ("guess-123", "guess-456", PASSWORD):
        assert secret not in everything


def test_a_success_clears_the_login_count(app, clock, make_user):
    make_user("lin")
    c = TestClient(app)
    for _ in range(4):
        assert c.post(LOGIN, json={"login": "lin", "password": "nope-nope"}).status_code == 401
    assert c.post(LOGIN, json={"login": "lin", "password": PASSWORD}).status_code == 200
    for _ in range(4):
        assert c.post(LOGIN, json={"login": "lin", "password": "nope-nope"}).status_code == 401
    assert c.post(LOGIN, json={"login": "lin", "password": PASSWORD}).status_code == 200
    assert c.post(LOGIN, json={"login": "lin", "password": "nope-nope"}).status_code == 401
    assert c.post(LOGIN, json={"login": "lin", "password": PASSWORD}).status_code == 200


def test_failures_from_one_address_lock_it_for_every_login(erp, clock, make_user, monkeypatch):
    monkeypatch.setenv("JIMU_LOGIN_MAX_FAILURES_PER_IP", "3")
    app = create_app(erp)
    make_user("he")
    c = TestClient(app)
    for login in ("a1", "a2", "a3"):  # password spraying: one try per login
        assert c.post(LOGIN, json={"login": login, "password": "Spring2024"}).status_code == 401
    assert c.post(LOGIN, json={"login": "he", "password": PASSWORD}).status_code == 429
    other = TestClient(app, client=("10.1.2.3", 5000))  # another address is not locked
    assert other.post(LOGIN, json={"login": "he", "password": PASSWORD}).status_code == 200
    clock.advance(minutes=15, seconds=1)
    assert c.post(LOGIN, json={"login": "he", "password": PASSWORD}).status_code == 200
