"""Signing in with a login and a password: throttling first, then the password, then a new session;
every outcome goes to the event log (never the password).

The password is checked outside any write transaction: argon2 is slow on purpose, and SQLite's write
lock must not wait on it.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import JimuError, msg
from ..storage.core_tables import SYSTEM_USER_LOGIN
from .event_log import log_event
from .passwords import burn_time, hash_password, needs_rehash, verify_password
from .sessions import NewSession, SessionSettings, create_session
from .throttle import ThrottleSettings, login_key, reserve_attempt, settle_attempt


class SignInFailed(JimuError):
    status = 401

    def __init__(self) -> None:  # one answer for every cause: no telling which logins exist
        super().__init__("auth.E_SIGNIN", msg("登录名或密码错误", "wrong login or password"))


class TooManyAttempts(JimuError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__("auth.E429", msg(f"登录失败次数过多, 请 {minutes} 分钟后再试",
                                          f"too many failed sign-ins; try again in {minutes} minute(s)"),
                         [{"path": "login", "message": msg("暂时锁定", "temporarily locked"),
                           "retry_after": retry_after}])
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    session: NewSession


def sign_in(runtime, login: str, password: str, *, ip: str | None, sessions: SessionSettings,
            throttle: ThrottleSettings) -> SignedIn:
    """Check the password and open a session; raises TooManyAttempts or SignInFailed."""
    u = runtime.db.core["user"]
    key = login_key(login)
    target = f"login:{key}"  # an attempt names the login typed; the actor is the user when known
    attempt, wait = reserve_attempt(runtime, key, ip, throttle)  # counted before the slow hash
    if wait:
        with runtime.transaction() as c:  # refused attempts are logged but not counted (see throttle)
            log_event(runtime, c, "signin_failed", actor=None, target=target, ip=ip,
                      detail={"login": key, "reason": "throttled", "retry_after": wait})
        raise TooManyAttempts(wait)
    with runtime.connect() as c:
        user = c.execute(sa.select(u.c.id, u.c.active, u.c.password_hash).where(
            u.c.login == login, u.c.login != SYSTEM_USER_LOGIN)).first()

    if user is None:
        burn_time(password)
        ok, reason = False, "unknown_login"
    elif not user.active:
        burn_time(password)
        ok, reason = False, "inactive"
    else:
        ok = verify_password(user.password_hash, password)
        reason = "wrong_password" if user.password_hash else "no_password"
    new_hash = hash_password(password) if ok and needs_rehash(user.password_hash) else None

    with runtime.transaction() as c:
        settle_attempt(runtime, c, attempt, ok)
        if not ok:
            log_event(runtime, c, "signin_failed", actor=user.id if user else None, target=target, ip=ip,
                      detail={"login": key, "reason": reason})
        else:
            if new_hash:
                c.execute(u.update().where(u.c.id == user.id).values(password_hash=new_hash))
            session = create_session(runtime, c, user.id, sessions)
            log_event(runtime, c, "signin", actor=user.id, target=target, ip=ip,
                      detail={"login": key, "session": session.id})
    if not ok:
        raise SignInFailed()
    return SignedIn(user_id=int(user.id), session=session)
