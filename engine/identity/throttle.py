"""Throttled sign-in: failed attempts are counted in ``jimu_login_attempt`` per login and per client IP.
Once a login has had too many failures within the window, every further attempt — even with the
right password — is refused (HTTP 429 with Retry-After) until the oldest of those failures leaves the
window. Each attempt is counted before its password is checked (``reserve_attempt``), so parallel
attempts cannot all slip past the limit while the slow hash runs. Refused attempts are not counted,
so someone hammering a login cannot keep it locked for ever.
A successful sign-in clears the login's count (failures before it no longer count); it does not
clear the IP's count, or signing in to one's own account would reset a password-guessing run.

The per-IP limit is higher than the per-login one by default because an office signs in from one
address behind its NAT: a few typing mistakes of colleagues must not lock the whole office out.

Settings, from environment variables (read when the API app is created):

===============================  =======  ==========================================================
JIMU_LOGIN_MAX_FAILURES          5        failures of one login within the window before refusing
JIMU_LOGIN_MAX_FAILURES_PER_IP   20       failures from one client address within the window
JIMU_LOGIN_WINDOW_MINUTES        15       the window, in minutes
===============================  =======  ==========================================================
"""
from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from typing import Mapping

import sqlalchemy as sa

MAX_LOGIN = 128  # the column's length: longer input is cut to it before counting


@dataclass(frozen=True)
class ThrottleSettings:
    max_failures: int = 5
    max_failures_per_ip: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ThrottleSettings:
        env = os.environ if env is None else env
        return cls(max_failures=_count(env, "JIMU_LOGIN_MAX_FAILURES", 5),
                   max_failures_per_ip=_count(env, "JIMU_LOGIN_MAX_FAILURES_PER_IP", 20),
                   window=dt.timedelta(minutes=_count(env, "JIMU_LOGIN_WINDOW_MINUTES", 15)))


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {raw!r}")
    return value


def login_key(login: str) -> str:
    return (login or "")[:MAX_LOGIN]


def reserve_attempt(runtime, login: str, ip: str | None, settings: ThrottleSettings) -> tuple[int | None, int | None]:
    """Count this attempt before its password is checked: (attempt id, None) when it may go on,
    (None, seconds to wait) when it is refused.

    The failures in the window are counted and, when under the limits, this attempt is inserted as
    a failure in the same transaction, serialised per login and per address (SQLite: the write lock
    a write transaction takes when it begins; PostgreSQL: transaction-scoped advisory locks on the
    login and the address, taken in one order). So of any number of concurrent attempts exactly as
    many reach the (slow) password check as the limit leaves room for — never more, and never none
    (counting first and inserting after would let a burst refuse itself entirely). No lock is held
    while hashing; a refused attempt leaves no row (refusals do not count)."""
    a = runtime.db.core["login_attempt"]
    now = runtime.clock()
    login = login_key(login)
    with runtime.transaction() as c:
        if c.dialect.name == "postgresql":
            for key in sorted({f"login:{login}", *([f"ip:{ip[:64]}"] if ip else [])}):
                c.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})
        # attempts older than the window count for nothing any more: keep the table small as we go
        c.execute(a.delete().where(a.c.login == login, a.c.at <= now - settings.window))
        wait = _retry_after(runtime, c, login, ip, settings, None)
        if wait is not None:
            return None, wait
        mine = c.execute(a.insert().values(login=login, ip=(ip or None) and ip[:64], at=now, ok=False)
                         ).inserted_primary_key[0]
    return int(mine), None


def _retry_after(runtime, conn, login: str, ip: str | None, settings: ThrottleSettings, mine) -> int | None:
    a = runtime.db.core["login_attempt"]
    now = runtime.clock()
    since = now - settings.window
    others = [a.c.id != mine] if mine is not None else []
    last_ok = conn.execute(sa.select(sa.func.max(a.c.id)).where(a.c.login == login, a.c.ok.is_(True))).scalar()
    conds = [a.c.login == login, a.c.ok.is_(False), a.c.at > since, *others]
    if last_ok is not None:
        conds.append(a.c.id > last_ok)
    waits = [_wait(conn, a, conds, settings.max_failures, settings.window, now)]
    if ip:
        waits.append(_wait(conn, a, [a.c.ip == ip[:64], a.c.ok.is_(False), a.c.at > since, *others],
                           settings.max_failures_per_ip, settings.window, now))
    waits = [w for w in waits if w is not None]
    return max(waits) if waits else None


def _wait(conn, a: sa.Table, conds, limit: int, window: dt.timedelta, now: dt.datetime) -> int | None:
    # the limit-th most recent failure: once it leaves the window, fewer than `limit` remain in it
    times = conn.execute(sa.select(a.c.at).where(*conds).order_by(a.c.at.desc(), a.c.id.desc()).limit(limit)
                         ).scalars().all()
    if len(times) < limit:
        return None
    return max(1, math.ceil((times[limit - 1] + window - now).total_seconds()))


def settle_attempt(runtime, conn: sa.Connection, attempt: int, ok: bool) -> None:
    """The reserved attempt's outcome: a success clears the login's count from here on."""
    if ok:
        a = runtime.db.core["login_attempt"]
        conn.execute(a.update().where(a.c.id == attempt).values(ok=True))
