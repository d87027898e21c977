"""Departments, users and role assignments from a bundle's seed files (demo organisations):

```yaml
demo: true
password: jimu-demo-2026          # every demo user's password (demo data only)
departments:
  - {code: sales, name: 销售部, parent: hq, head: director}
users:
  - {login: rep_east1, name: 张三, department: sales_east, manager: manager_east, roles: [sales_rep],
     profile: {region: east}}
```
Existing departments (by code) and users (by login) are kept, so the same organisation can come
with several apps.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..errors import JimuError, msg
from .org import Org
from .passwords import hash_password


def load_org(runtime, app: str, docs: list[tuple[str, dict[str, Any]]], conn: sa.Connection) -> dict[str, int]:
    org = Org(runtime, runtime.db.system_user_id)
    d, u = runtime.db.core["department"], runtime.db.core["user"]
    dept_ids = dict(conn.execute(sa.select(d.c.code, d.c.id).where(d.c.code.is_not(None))).all())
    user_ids = dict(conn.execute(sa.select(u.c.login, u.c.id)).all())
    counts = {"departments": 0, "users": 0}
    heads = []
    for fname, doc in docs:
        for dep in doc.get("departments") or ():
            if dep["code"] in dept_ids:
                continue
            parent = _ref(dept_ids, dep.get("parent"), fname, "department")
            dept_ids[dep["code"]] = org.create_department(conn, dep["name"], dep["code"], parent)
            counts["departments"] += 1
            if dep.get("head"):
                heads.append((dept_ids[dep["code"]], dep["head"], fname))
        shared_hash = hash_password(doc["password"]) if doc.get("password") else None  # hashing is slow: once
        for user in doc.get("users") or ():
            if user["login"] in user_ids:
                continue
            fields = {k: user[k] for k in ("email", "phone", "language", "time_zone", "is_admin", "profile")
                      if k in user}
            fields["department_id"] = _ref(dept_ids, user.get("department"), fname, "department")
            if user.get("password"):
                fields["password_hash"] = hash_password(user["password"])
            elif shared_hash:
                fields["password_hash"] = shared_hash
            uid = org.create_user(conn, user["login"], user["name"], **fields)
            user_ids[user["login"]] = uid
            counts["users"] += 1
            for role in user.get("roles") or ():
                org.assign_role(conn, app, role, user_id=uid)
        for user in doc.get("users") or ():
            if user.get("manager"):
                org.update_user(conn, user_ids[user["login"]],
                                manager_id=_ref(user_ids, user["manager"], fname, "user"))
    for did, head, fname in heads:
        org.update_department(conn, did, head_id=_ref(user_ids, head, fname, "user"))
    return counts


def user_id_by_login(conn, runtime, login: str, fname: str) -> int:
    u = runtime.db.core["user"]
    uid = conn.execute(sa.select(u.c.id).where(u.c.login == login)).scalar()
    if uid is None:
        raise JimuError("seed.E005", msg(f"{fname}: 没有用户 {login}", f"{fname}: no user {login}"))
    return uid


def _ref(known: dict, key: str | None, fname: str, what: str) -> int | None:
    if key is None:
        return None
    if key not in known:
        raise JimuError("seed.E005", msg(f"{fname}: 找不到 {what} {key}", f"{fname}: no {what} {key}"))
    return known[key]
