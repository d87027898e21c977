"""API tokens: long-lived credentials for scripts and other systems, sent as
``Authorization: Bearer jimu_<prefix>_<secret>``.

The plain token is shown once, when it is made; the database keeps its sha256 and its prefix (so a
list can show which token is which without being able to use it). A token acts with exactly its
user's permissions — the user's roles as they are at each request — and stops working when it is
revoked, when it expires, or when its user is deactivated.

Use is recorded without a write per request: ``last_used_at`` moves at most once a minute, and a
``token_used`` entry goes to the event log at most once an hour per token.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..errors import NotFound, ValidationFailed, detail, msg
from ..storage.core_tables import SYSTEM_USER_LOGIN
from .event_log import log_event

TOKEN_RE = re.compile(r"^jimu_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")
TOUCH_INTERVAL = dt.timedelta(minutes=1)
LOG_INTERVAL = dt.timedelta(hours=1)
MAX_NAME = 128


@dataclass(frozen=True)
class NewToken:
    id: int
    name: str
    prefix: str
    token: str  # the only time the plain token exists outside the caller's hands
    created_at: dt.datetime
    expires_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "prefix": self.prefix, "token": self.token,
                "created_at": _iso(self.created_at), "expires_at": _iso(self.expires_at)}


@dataclass(frozen=True)
class TokenUse:
    id: int
    user_id: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(runtime, conn: sa.Connection, user_id: int, name: str, *, expires_at: dt.datetime | None = None,
                 actor: int | None = None, ip: str | None = None) -> NewToken:
    """A new token for ``user_id``; ``actor`` is who asked for it (the user, or an admin)."""
    name = (name or "").strip()
    problems = []
    if not name or len(name) > MAX_NAME:
        problems.append(detail("name", f"请填写令牌名称 (最多 {MAX_NAME} 个字符)",
                               f"give the token a name (at most {MAX_NAME} characters)"))
    now = runtime.clock()
    if expires_at is not None and expires_at <= now:
        problems.append(detail("expires_at", "过期时间应在将来", "the expiry must be in the future"))
    if problems:
        raise ValidationFailed("auth.E_TOKEN_INVALID", msg("无法创建令牌", "cannot create the token"), problems)
    u = runtime.db.core["user"]
    user = conn.execute(sa.select(u.c.login, u.c.active).where(u.c.id == user_id)).first()
    if user is None or not user.active or user.login == SYSTEM_USER_LOGIN:
        raise NotFound("auth.E_USER_NOT_FOUND", msg("用户不存在或已停用", "no such active user"))
    prefix = secrets.token_hex(4)
    token = f"jimu_{prefix}_{secrets.token_urlsafe(32)}"
    t = runtime.db.core["api_token"]
    tid = conn.execute(t.insert().values(user_id=user_id, name=name, prefix=prefix, token_hash=token_hash(token),
                                         created_at=now, expires_at=expires_at)).inserted_primary_key[0]
    log_event(runtime, conn, "token_created", actor=actor if actor is not None else user_id,
              target=f"api_token:{tid}", ip=ip, detail={"user_id": user_id, "name": name, "prefix": prefix})
    return NewToken(id=int(tid), name=name, prefix=prefix, token=token, created_at=now, expires_at=expires_at)


def list_tokens(runtime, user_id: int, conn: sa.Connection | None = None) -> list[dict[str, Any]]:
    """The user's tokens, newest first, without anything that could be used to sign in."""
    t = runtime.db.core["api_token"]
    now = runtime.clock()
    with runtime.connect(conn) as c:
        rows = c.execute(sa.select(t.c.id, t.c.name, t.c.prefix, t.c.created_at, t.c.expires_at, t.c.last_used_at,
                                   t.c.revoked_at).where(t.c.user_id == user_id).order_by(t.c.id.desc())).all()
    return [{"id": r.id, "name": r.name, "prefix": r.prefix, "hint": f"jimu_{r.prefix}_…",
             "created_at": _iso(r.created_at), "expires_at": _iso(r.expires_at),
             "last_used_at": _iso(r.last_used_at), "revoked_at": _iso(r.revoked_at),
             "active": r.revoked_at is None and (r.expires_at is None or r.expires_at > now)} for r in rows]


def revoke_token(runtime, conn: sa.Connection, token_id: int, *, owner: int | None, actor: int | None,
                 ip: str | None = None) -> None:
    """Revoke a token; with ``owner`` given, only one of that user's (another user's token is "not
    found", not "forbidden": ids of other people's tokens are not confirmed)."""
    t = runtime.db.core["api_token"]
    cond = [t.c.id == token_id]
    if owner is not None:
        cond.append(t.c.user_id == owner)
    row = conn.execute(sa.select(t.c.id, t.c.user_id, t.c.revoked_at).where(*cond)).first()
    if row is None:
        raise NotFound("auth.E_TOKEN_NOT_FOUND", msg("令牌不存在", "no such token"))
    if row.revoked_at is None:
        conn.execute(t.update().where(t.c.id == token_id).values(revoked_at=runtime.clock()))
        log_event(runtime, conn, "token_revoked", actor=actor, target=f"api_token:{token_id}", ip=ip,
                  detail={"user_id": row.user_id})


def find_token(runtime, plain: str, ip: str | None = None) -> TokenUse | None:
    """The live token ``plain`` is, recording its use; None for anything else."""
    if not TOKEN_RE.match(plain or ""):
        return None
    t = runtime.db.core["api_token"]
    now = runtime.clock()
    with runtime.connect() as c:
        row = c.execute(sa.select(t.c.id, t.c.user_id, t.c.prefix, t.c.last_used_at).where(
            t.c.token_hash == token_hash(plain), t.c.revoked_at.is_(None),
            sa.or_(t.c.expires_at.is_(None), t.c.expires_at > now))).first()
    if row is None:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_INTERVAL:
        _record_use(runtime, row, now, ip)
    return TokenUse(id=int(row.id), user_id=int(row.user_id))


def _record_use(runtime, row, now: dt.datetime, ip: str | None) -> None:
    t, ev = runtime.db.core["api_token"], runtime.db.core["event_log"]
    target = f"api_token:{row.id}"
    with runtime.transaction() as c:
        # conditional, so of several requests at once only one goes on to the event log
        won = c.execute(t.update().where(t.c.id == row.id, sa.or_(t.c.last_used_at.is_(None),
                                                                  t.c.last_used_at <= now - TOUCH_INTERVAL))
                        .values(last_used_at=now)).rowcount
        if not won:
            return
        logged = c.execute(sa.select(ev.c.id).where(ev.c.kind == "token_used", ev.c.target == target,
                                                    ev.c.at > now - LOG_INTERVAL).limit(1)).first()
        if logged is None:
            log_event(runtime, c, "token_used", actor=row.user_id, target=target, ip=ip,
                      detail={"prefix": row.prefix})


def _iso(v: dt.datetime | None) -> str | None:
    return None if v is None else v.isoformat() + "Z"
