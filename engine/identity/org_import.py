"""Importing departments and users from an xlsx workbook (openpyxl), all or nothing.

Sheet ``departments``: code, name, parent (a code), head (a login).
Sheet ``users``: login, name, email, phone, department (a code), manager (a login), language,
roles (``app.role`` or ``role`` of the given app, comma separated), password (optional).
Headers may be in Chinese too (编码, 名称, 上级, 负责人; 登录名, 姓名, 邮箱, 手机, 部门, 上级主管, 语言,
角色, 密码). Rows that exist (same code, same login) are updated, not duplicated.
"""
from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa
from openpyxl import load_workbook

from ..errors import ValidationFailed, msg
from .org import Org
from .passwords import hash_password

HEADERS = {
    "departments": {"code": "code", "编码": "code", "name": "name", "名称": "name", "parent": "parent",
                    "上级": "parent", "head": "head", "负责人": "head"},
    "users": {"login": "login", "登录名": "login", "name": "name", "姓名": "name", "email": "email",
              "邮箱": "email", "phone": "phone", "手机": "phone", "department": "department", "部门": "department",
              "manager": "manager", "上级主管": "manager", "language": "language", "语言": "language",
              "roles": "roles", "角色": "roles", "password": "password", "密码": "password"},
}
SHEETS = {"departments": "departments", "部门": "departments", "users": "users", "用户": "users"}


def read_workbook(data: bytes) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationFailed("org.E020", msg("无法读取 xlsx 文件", "cannot read the xlsx file"),
                               [{"path": "file", "message": msg(str(e), str(e))}]) from None
    out: dict[str, list[tuple[int, dict[str, Any]]]] = {"departments": [], "users": []}
    for ws in wb.worksheets:
        kind = SHEETS.get(ws.title.strip().lower(), SHEETS.get(ws.title.strip()))
        if kind is None:
            continue
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None) or ()
        names = [HEADERS[kind].get(str(h).strip().lower() if h is not None else "",
                                   HEADERS[kind].get(str(h).strip() if h is not None else "")) for h in header]
        for n, row in enumerate(rows, start=2):
            rec = {k: (str(v).strip() if v is not None else None) for k, v in zip(names, row) if k}
            if any(rec.values()):
                out[kind].append((n, rec))
    return out


def import_org(runtime, actor, data: bytes, app: str | None = None) -> dict[str, int]:
    sheets = read_workbook(data)
    problems: list[dict] = []
    org = Org(runtime, actor.user_id)
    d, u = runtime.db.core["department"], runtime.db.core["user"]
    counts = {"departments": 0, "users": 0}
    try:
        with runtime.transaction() as conn:
            depts = dict(conn.execute(sa.select(d.c.code, d.c.id).where(d.c.code.is_not(None))).all())
            users = dict(conn.execute(sa.select(u.c.login, u.c.id)).all())
            for n, r in sheets["departments"]:
                if not r.get("code") or not r.get("name"):
                    missing = "code" if not r.get("code") else "name"
                    problems.append(_p("departments", n, missing, "不能为空", "required"))
                    continue
                if r["code"] not in depts:
                    depts[r["code"]] = org.create_department(conn, r["name"], r["code"])
                    counts["departments"] += 1
            for n, r in sheets["departments"]:
                if r.get("code") in depts:
                    changes: dict[str, Any] = {"name": r["name"]} if r.get("name") else {}
                    if r.get("parent"):
                        if r["parent"] not in depts:
                            problems.append(_p("departments", n, "parent", f"没有部门 {r['parent']}",
                                               f"no department {r['parent']}"))
                        else:
                            changes["parent_id"] = depts[r["parent"]]
                    if changes:
                        org.update_department(conn, depts[r["code"]], **changes)
            for n, r in sheets["users"]:
                if not r.get("login") or not r.get("name"):
                    missing = "login" if not r.get("login") else "name"
                    problems.append(_p("users", n, missing, "不能为空", "required"))
                    continue
                fields: dict[str, Any] = {k: r[k] for k in ("email", "phone") if r.get(k)}
                if r.get("language"):
                    fields["language"] = r["language"]
                if r.get("department"):
                    if r["department"] not in depts:
                        problems.append(_p("users", n, "department", f"没有部门 {r['department']}",
                                           f"no department {r['department']}"))
                        continue
                    fields["department_id"] = depts[r["department"]]
                if r.get("password"):
                    fields["password_hash"] = hash_password(r["password"])
                if r["login"] in users:
                    org.update_user(conn, users[r["login"]], name=r["name"], **fields)
                else:
                    users[r["login"]] = org.create_user(conn, r["login"], r["name"], **fields)
                    counts["users"] += 1
                for role in (r.get("roles") or "").replace("，", ",").split(","):
                    role = role.strip()
                    if not role:
                        continue
                    role_app, _, role_name = role.rpartition(".")
                    role_app = role_app or app
                    if role_app not in runtime.apps or role_name not in runtime.app(role_app).roles:
                        problems.append(_p("users", n, "roles", f"没有角色 {role}", f"no role {role}"))
                        continue
                    org.assign_role(conn, role_app, role_name, user_id=users[r["login"]])
            for n, r in sheets["users"]:
                if r.get("manager") and r.get("login") in users:
                    if r["manager"] not in users:
                        problems.append(_p("users", n, "manager", f"没有用户 {r['manager']}",
                                           f"no user {r['manager']}"))
                    else:
                        org.update_user(conn, users[r["login"]], manager_id=users[r["manager"]])
            for n, r in sheets["departments"]:
                if r.get("head") and r.get("code") in depts:
                    if r["head"] not in users:
                        problems.append(_p("departments", n, "head", f"没有用户 {r['head']}", f"no user {r['head']}"))
                    else:
                        org.update_department(conn, depts[r["code"]], head_id=users[r["head"]])
            if problems:
                raise _Rollback
    except _Rollback:
        raise ValidationFailed("org.E021", msg(f"导入文件有 {len(problems)} 处错误, 未导入任何数据",
                                               f"the file has {len(problems)} problem(s); nothing was imported"),
                               problems) from None
    return counts


class _Rollback(Exception):
    pass


def _p(sheet: str, row: int, column: str, zh: str, en: str) -> dict:
    return {"path": f"{sheet}[{row}].{column}", "row": row, "column": column, "sheet": sheet,
            "message": msg(zh, en)}
