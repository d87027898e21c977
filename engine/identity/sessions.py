"""Browser sessions: signing in sets an HttpOnly, SameSite=Lax cookie ``jimu_session`` holding a random
token; the database keeps only the token's sha256, with a CSRF token of the session's own that every
unsafe request made with the cookie must echo in the ``X-CSRF-Token`` header.

A session ends at the first of: signing out (revoked), its idle time passing without a request (each
request slides it; ``last_seen_at`` is written at most once a minute, not on every request), or its
absolute lifetime passing however busy it is.

Settings, from environment variables (read when the API app is created):

=========================  ========  ================================================================
JIMU_SESSION_IDLE_MINUTES  480       minutes without a request after which a session ends (8 hours)
JIMU_SESSION_MAX_DAYS      7         days after signing in after which a session ends
JIMU_COOKIE_SECURE         auto      ``auto``: the cookie is Secure when the request came over https
                                     (behind a proxy, name it in JIMU_TRUSTED_PROXIES);
                                     ``1``/``true``: always; ``0``/``false``: never
=========================  ========  ================================================================
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass
from typing import Mapping

import sqlalchemy as sa

COOKIE_NAME = "jimu_session"
CSRF_HEADER = "x-csrf-token"
TOUCH_INTERVAL = dt.timedelta(minutes=1)  # how stale last_seen_at may get: one write a minute, not per request


@dataclass(frozen=True)
class SessionSettings:
    idle: dt.timedelta = dt.timedelta(hours=8)
    lifetime: dt.timedelta = dt.timedelta(days=7)
    cookie_secure: str = "auto"  # auto, always, never

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SessionSettings:
        env = os.environ if env is None else env
        secure = env.get("JIMU_COOKIE_SECURE", "auto").strip().lower()
        modes = {"auto": "auto", "1": "always", "true": "always", "yes": "always", "0": "never", "false": "never",
                 "no": "never"}
        if secure not in modes:
            raise ValueError(f"JIMU_COOKIE_SECURE must be auto, true or false, not {secure!r}")
        return cls(idle=dt.timedelta(minutes=_positive(env, "JIMU_SESSION_IDLE_MINUTES", 480)),
                   lifetime=dt.timedelta(days=_positive(env, "JIMU_SESSION_MAX_DAYS", 7)),
                   cookie_secure=modes[secure])

    def secure_cookie(self, scheme: str) -> bool:
        return self.cookie_secure == "always" or (self.cookie_secure == "auto" and scheme in ("https", "wss"))


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be greater than 0, not {raw!r}")
    return value


@dataclass(frozen=True)
class NewSession:
    id: int
    token: str  # the cookie value: shown to the browser once, never stored
    csrf_token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class ActiveSession:
    id: int
    user_id: int
    csrf_token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(runtime, conn: sa.Connection, user_id: int, settings: SessionSettings) -> NewSession:
    s = runtime.db.core["session"]
    now = runtime.clock()
    # sessions of this user that can no longer be used are dropped here rather than by a sweeper
    conn.execute(s.delete().where(s.c.user_id == user_id, sa.or_(
        s.c.expires_at <= now, s.c.revoked_at.is_not(None),
        sa.func.coalesce(s.c.last_seen_at, s.c.created_at) <= now - settings.idle)))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + settings.lifetime
    sid = conn.execute(s.insert().values(token_hash=token_hash(token), csrf_token=csrf, user_id=user_id,
                                         created_at=now, expires_at=expires, last_seen_at=now)).inserted_primary_key[0]
    return NewSession(id=int(sid), token=token, csrf_token=csrf, expires_at=expires)


def find_session(runtime, token: str, settings: SessionSettings) -> ActiveSession | None:
    """The live session the cookie value ``token`` opens, sliding its idle time; None otherwise."""
    if not token:
        return None
    s = runtime.db.core["session"]
    now = runtime.clock()
    with runtime.connect() as c:
        row = c.execute(sa.select(s.c.id, s.c.user_id, s.c.csrf_token, s.c.created_at, s.c.last_seen_at).where(
            s.c.token_hash == token_hash(token), s.c.revoked_at.is_(None), s.c.expires_at > now)).first()
    if row is None:
        return None
    last = row.last_seen_at or row.created_at
    if now - last >= settings.idle:
        return None
    if now - last >= TOUCH_INTERVAL:
        with runtime.transaction() as c:  # the condition makes concurrent requests write it once
            c.execute(s.update().where(s.c.id == row.id, sa.or_(s.c.last_seen_at.is_(None),
                                                                   s.c.last_seen_at <= now - TOUCH_INTERVAL))
                      .values(last_seen_at=now))
    return ActiveSession(id=int(row.id), user_id=int(row.user_id), csrf_token=row.csrf_token)


def revoke_session(runtime, conn: sa.Connection, session_id: int) -> bool:
    s = runtime.db.core["session"]
    res = conn.execute(s.update().where(s.c.id == session_id, s.c.revoked_at.is_(None))
                       .values(revoked_at=runtime.clock()))
    return res.rowcount > 0


def revoke_user_sessions(runtime, conn: sa.Connection, user_id: int) -> int:
    """End every session of a user (a changed password, a deactivated account); returns how many."""
    s = runtime.db.core["session"]
    res = conn.execute(s.update().where(s.c.user_id == user_id, s.c.revoked_at.is_(None))
                       .values(revoked_at=runtime.clock()))
    return res.rowcount


def cookie_kwargs(settings: SessionSettings, scheme: str, expires_at: dt.datetime, now: dt.datetime) -> dict:
    """Arguments for Starlette's ``Response.set_cookie``."""
    return {"key": COOKIE_NAME, "max_age": max(0, int((expires_at - now).total_seconds())), "path": "/",
            "httponly": True, "samesite": "lax", "secure": settings.secure_cookie(scheme)}
