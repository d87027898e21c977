"""The first admin: a fresh installation has no one who can sign in, so ``jimu serve`` makes an
``admin`` account with a random password and prints it once to the operator.

It runs whenever no active platform admin with a password exists — also after every admin was
deactivated, which makes restarting the server the way back in for whoever runs it (they hold the
database anyway). An existing ``admin`` account is then re-enabled with a new password rather than a
second admin being invented under another name.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..storage.core_tables import SYSTEM_USER_LOGIN
from .accounts import add_user
from .event_log import log_event
from .passwords import generate_password, hash_password
from .sessions import revoke_user_sessions

ADMIN_LOGIN = "admin"


def ensure_admin(runtime) -> tuple[str, str] | None:
    """(login, password) of the admin just made, or None when an admin who can sign in exists."""
    u = runtime.db.core["user"]
    system = runtime.db.system_user_id
    try:
        with runtime.transaction() as c:
            if _has_admin(c, u):
                return None
            password = generate_password()
            existing = c.execute(sa.select(u.c.id).where(u.c.login == ADMIN_LOGIN)).scalar()
            if existing is None:
                add_user(runtime, c, ADMIN_LOGIN, "管理员", password, is_admin=True, actor=system)
            else:
                c.execute(u.update().where(u.c.id == existing).values(
                    is_admin=True, active=True, password_hash=hash_password(password)))
                revoke_user_sessions(runtime, c, existing)
                log_event(runtime, c, "user_changed", actor=system, target=f"user:{existing}",
                          detail={"user_id": existing, "is_admin": True, "active": True, "reason": "bootstrap"})
                log_event(runtime, c, "password_changed", actor=system, target=f"user:{existing}",
                          detail={"user_id": existing, "reason": "bootstrap"})
    except sa.exc.IntegrityError:
        # another server process made the admin at the same moment; it prints the password
        return None
    return ADMIN_LOGIN, password


def _has_admin(conn: sa.Connection, u: sa.Table) -> bool:
    return conn.execute(sa.select(u.c.id).where(u.c.is_admin.is_(True), u.c.active.is_(True),
                                                u.c.password_hash.is_not(None), u.c.login != SYSTEM_USER_LOGIN
                                                ).limit(1)).first() is not None
