"""Accounts that can sign in: adding a user with a password and changing a password, each with its
event-log entry. Used by ``jimu users`` and by the first-admin bootstrap.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..errors import NotFound, detail, msg
from ..storage.core_tables import SYSTEM_USER_LOGIN
from .org import Org
from .passwords import check_policy, hash_password


def add_user(runtime, conn: sa.Connection, login: str, name: str, password: str, *, is_admin: bool = False,
             email: str | None = None, department_code: str | None = None, actor: int | None = None) -> int:
    """A new active user who can sign in with ``password``; returns their id."""
    check_policy(password)
    department_id = None
    if department_code:
        d = runtime.db.core["department"]
        department_id = conn.execute(sa.select(d.c.id).where(d.c.code == department_code)).scalar()
        if department_id is None:
            raise NotFound("department.E404", msg(f"部门 '{department_code}' 不存在",
                                                  f"no department with code '{department_code}'"),
                           [detail("department", "不存在", "not found")])
    return int(Org(runtime, actor).create_user(conn, login, name, password_hash=hash_password(password),
                                               is_admin=is_admin, email=email or None,
                                               department_id=department_id))


def set_password(runtime, conn: sa.Connection, login: str, password: str, *, actor: int | None = None) -> int:
    """Change a user's password and end their sessions (their API tokens stay); returns their id."""
    check_policy(password)
    uid = user_id_by_login(runtime, conn, login)
    Org(runtime, actor).update_user(conn, uid, password=password)  # the one path: it ends their sessions
    return uid


def user_id_by_login(runtime, conn: sa.Connection, login: str) -> int:
    u = runtime.db.core["user"]
    uid = conn.execute(sa.select(u.c.id).where(u.c.login == login, u.c.login != SYSTEM_USER_LOGIN)).scalar()
    if uid is None:
        raise NotFound("user.E404", msg(f"用户 '{login}' 不存在", f"no user '{login}'"))
    return int(uid)
