"""The organisation's people and departments as pickers need them: a user directory for @mentions and
member fields, a department list for department fields. Any signed-in user may search it (names,
logins and departments are what colleagues already know of each other); only active entries show,
and never the platform's own system user."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..storage.core_tables import SYSTEM_USER_LOGIN

MAX_LIMIT = 50


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def user_directory(runtime, q: str | None = None, ids: list[int] | None = None,
                   limit: int = 20) -> list[dict[str, Any]]:
    """Active users whose name or login contains ``q`` (or those among ``ids``), by name."""
    u, d = runtime.db.core["user"], runtime.db.core["department"]
    conds = [u.c.active.is_(True), u.c.login != SYSTEM_USER_LOGIN]
    if q and q.strip():
        pattern = _like(q.strip())
        conds.append(sa.or_(sa.func.lower(u.c.name).like(pattern, escape="\\"),
                            sa.func.lower(u.c.login).like(pattern, escape="\\")))
    if ids is not None:
        conds.append(u.c.id.in_(ids))
    query = (sa.select(u.c.id, u.c.name, u.c.login, d.c.name.label("department"))
             .select_from(u.outerjoin(d, d.c.id == u.c.department_id))
             .where(*conds).order_by(u.c.name, u.c.id).limit(min(max(limit, 1), MAX_LIMIT)))
    with runtime.connect() as c:
        return [dict(r) for r in c.execute(query).mappings()]


def department_directory(runtime, q: str | None = None, ids: list[int] | None = None,
                         limit: int = 20) -> list[dict[str, Any]]:
    """Active departments whose name or code contains ``q`` (or those among ``ids``), with their parent's name."""
    d = runtime.db.core["department"]
    parent = d.alias("parent")
    conds = [d.c.active.is_(True)]
    if q and q.strip():
        pattern = _like(q.strip())
        conds.append(sa.or_(sa.func.lower(d.c.name).like(pattern, escape="\\"),
                            sa.func.lower(d.c.code).like(pattern, escape="\\")))
    if ids is not None:
        conds.append(d.c.id.in_(ids))
    query = (sa.select(d.c.id, d.c.name, d.c.code, parent.c.name.label("parent"))
             .select_from(d.outerjoin(parent, parent.c.id == d.c.parent_id))
             .where(*conds).order_by(d.c.name, d.c.id).limit(min(max(limit, 1), MAX_LIMIT)))
    with runtime.connect() as c:
        return [dict(r) for r in c.execute(query).mappings()]
