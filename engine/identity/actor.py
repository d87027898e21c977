"""Who is acting: a user with their departments and roles, loaded once per request.

Every read and write takes an Actor; the permission filter reads its roles and departments, the
expression language's CURRENT_USER() reads its record.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import sqlalchemy as sa

from ..storage.core_tables import SYSTEM_USER_LOGIN


@dataclass(frozen=True)
class Actor:
    user_id: int
    login: str
    name: str
    is_admin: bool = False  # the platform admin: an explicit bypass of row and field permissions
    department_id: int | None = None
    department_tree: frozenset[int] = frozenset()  # their department and every department below it
    roles: frozenset[tuple[str, str]] = frozenset()  # (app, role), direct or through a department
    language: str = "zh"
    time_zone: str = "Asia/Shanghai"
    profile: Mapping[str, Any] = field(default_factory=dict)
    via: str = "system"  # session, token or system
    is_system: bool = False  # the platform itself (installs, seeds, recomputation): never filtered

    def roles_in(self, app: str) -> frozenset[str]:
        return frozenset(r for a, r in self.roles if a == app)

    @property
    def bypass(self) -> bool:
        return self.is_system or self.is_admin


def load_actor(runtime, user_id: int, via: str = "session", conn: sa.Connection | None = None) -> Actor | None:
    """The active user ``user_id`` with their roles and department tree, or None."""
    core = runtime.db.core
    u, d, ra = core["user"], core["department"], core["role_assignment"]
    with runtime.connect(conn) as c:
        row = c.execute(sa.select(u).where(u.c.id == user_id, u.c.active.is_(True))).mappings().first()
        if row is None:
            return None
        parents = dict(c.execute(sa.select(d.c.id, d.c.parent_id)).all())
        ancestors = _ancestors(row["department_id"], parents)
        tree = _subtree(row["department_id"], parents)
        cond = ra.c.user_id == user_id
        if ancestors:
            cond = sa.or_(cond, ra.c.department_id.in_(ancestors))
        roles = frozenset((a, r) for a, r in c.execute(sa.select(ra.c.app, ra.c.role).where(cond)).all())
    return Actor(
        user_id=row["id"], login=row["login"], name=row["name"], is_admin=bool(row["is_admin"]),
        department_id=row["department_id"], department_tree=frozenset(tree), roles=roles,
        language=row["language"] or "zh", time_zone=row["time_zone"] or "Asia/Shanghai",
        profile=dict(row["profile"] or {}), via=via, is_system=row["login"] == SYSTEM_USER_LOGIN,
    )


def system_actor(runtime) -> Actor:
    return Actor(user_id=runtime.db.system_user_id, login=SYSTEM_USER_LOGIN, name="System", is_system=True)


def _ancestors(dept: int | None, parents: dict[int, int | None]) -> list[int]:
    out, seen = [], set()
    while dept is not None and dept not in seen:  # a cycle in bad data must not hang a request
        seen.add(dept)
        out.append(dept)
        dept = parents.get(dept)
    return out


def _subtree(dept: int | None, parents: dict[int, int | None]) -> set[int]:
    if dept is None:
        return set()
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    out, todo = set(), [dept]
    while todo:
        x = todo.pop()
        if x not in out:
            out.add(x)
            todo.extend(children.get(x, ()))
    return out
