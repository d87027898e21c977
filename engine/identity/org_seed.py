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

import sqlalchemy as sa

from .org import Org
from .passwords import hash_password


def load_org(runtime, app: str, docs: list, conn: sa.Connection) -> dict[str, int]:
    """``docs`` are the seed files (engine.bundle.Document: name, data, line_of); a reference to a
    department or user that is neither in the database nor earlier in the files names its file and line."""
    org = Org(runtime, runtime.db.system_user_id)
    d, u = runtime.db.core["department"], runtime.db.core["user"]
    dept_ids = dict(conn.execute(sa.select(d.c.code, d.c.id).where(d.c.code.is_not(None))).all())
    user_ids = dict(conn.execute(sa.select(u.c.login, u.c.id)).all())
    counts = {"departments": 0, "users": 0}
    heads = []
    for src in docs:
        doc = src.data
        for i, dep in enumerate(doc.get("departments") or ()):
            if dep["code"] in dept_ids:
                continue
            parent = _ref(dept_ids, dep.get("parent"), src, ("departments", i, "parent"), "department")
            dept_ids[dep["code"]] = org.create_department(conn, dep["name"], dep["code"], parent)
            counts["departments"] += 1
            if dep.get("head"):
                heads.append((dept_ids[dep["code"]], dep["head"], src, ("departments", i, "head")))
        shared_hash = hash_password(doc["password"]) if doc.get("password") else None  # hashing is slow: once
        for i, user in enumerate(doc.get("users") or ()):
            if user["login"] in user_ids:
                continue
            fields = {k: user[k] for k in ("email", "phone", "language", "time_zone", "is_admin", "profile")
                      if k in user}
            fields["department_id"] = _ref(dept_ids, user.get("department"), src, ("users", i, "department"),
                                           "department")
            if user.get("password"):
                fields["password_hash"] = hash_password(user["password"])
            elif shared_hash:
                fields["password_hash"] = shared_hash
            uid = org.create_user(conn, user["login"], user["name"], **fields)
            user_ids[user["login"]] = uid
            counts["users"] += 1
            for role in user.get("roles") or ():
                org.assign_role(conn, app, role, user_id=uid)
        for i, user in enumerate(doc.get("users") or ()):
            if user.get("manager"):
                org.update_user(conn, user_ids[user["login"]],
                                manager_id=_ref(user_ids, user["manager"], src, ("users", i, "manager"), "user"))
    for did, head, src, parts in heads:
        org.update_department(conn, did, head_id=_ref(user_ids, head, src, parts, "user"))
    return counts


def _ref(known: dict, key: str | None, src, parts: tuple, what: str) -> int | None:
    if key is None:
        return None
    if key not in known:
        from ..bundle.errors import problem, seed_invalid

        zh = "部门编码" if what == "department" else "用户登录名"
        raise seed_invalid([problem("seed.E005", src.name, parts, src.line_of(parts), f"找不到{zh} {key}",
                                    f"no {what} {key}")])
    return known[key]
