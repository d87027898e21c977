"""CURRENT_USER() and CURRENT_DEPARTMENT() for the expression language, with their record types
and their SQL form (the value is known when a query runs, so it is bound as a parameter).

    region = CURRENT_USER().region          owner = CURRENT_USER().id
    CURRENT_USER().department.head.name     department = CURRENT_DEPARTMENT().id
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Mapping

import sqlalchemy as sa

from rules.expr import types as T
from rules.expr.registry import FunctionSpec

_REF = {"id": T.NUMBER, "login": T.TEXT, "name": T.TEXT}
USER_REF = T.RecordType("user_ref", _REF)
DEPARTMENT = T.RecordType("department", {"id": T.NUMBER, "name": T.TEXT, "code": T.TEXT, "head": USER_REF,
                                         "parent": T.RecordType("department_ref", {"id": T.NUMBER, "name": T.TEXT,
                                                                                   "code": T.TEXT})})


def user_type(profile_fields: Callable[[], Mapping[str, T.Type]]) -> T.RecordType:
    """The user record; profile fields (region, sales team...) come from the installed bundles."""
    def fields() -> dict[str, T.Type]:
        return {**_REF, "email": T.TEXT, "phone": T.TEXT, "language": T.TEXT, "department": DEPARTMENT,
                "manager": USER_REF, **profile_fields()}

    return T.RecordType("user", fields)


def identity_functions(profile_fields: Callable[[], Mapping[str, T.Type]]) -> list[FunctionSpec]:
    return [
        FunctionSpec(
            name="CURRENT_USER", params=(), returns=user_type(profile_fields),
            impl=lambda ctx: ctx.user, needs_context=True, volatile=True, category="platform",
            description={"zh": "当前用户 (可继续取其字段, 如 CURRENT_USER().region)",
                         "en": "The current user (follow a path: CURRENT_USER().region)"}),
        FunctionSpec(
            name="CURRENT_DEPARTMENT", params=(), returns=DEPARTMENT,
            impl=lambda ctx: (ctx.user or {}).get("department"), needs_context=True, volatile=True,
            category="platform",
            description={"zh": "当前用户的主部门", "en": "The current user's main department"}),
    ]


def user_record(runtime, user_id: int, conn: sa.Connection | None = None) -> dict[str, Any]:
    """What CURRENT_USER() returns for ``user_id``: the user with their department (and its head
    and parent) and their manager, plus profile fields."""
    core = runtime.db.core
    u, d = core["user"], core["department"]
    with runtime.connect(conn) as c:
        row = c.execute(sa.select(u).where(u.c.id == user_id)).mappings().first()
        if row is None:
            return {}
        dept = None
        if row["department_id"] is not None:
            drow = c.execute(sa.select(d).where(d.c.id == row["department_id"])).mappings().first()
            if drow is not None:
                dept = {"id": _num(drow["id"]), "name": drow["name"], "code": drow["code"],
                        "head": _ref(c, u, drow["head_id"]), "parent": _dept_ref(c, d, drow["parent_id"])}
        manager = _ref(c, u, row["manager_id"])
    return {"id": _num(row["id"]), "login": row["login"], "name": row["name"], "email": row["email"],
            "phone": row["phone"], "language": row["language"], "department": dept, "manager": manager,
            **(row["profile"] or {})}


def _ref(c, u, uid):
    if uid is None:
        return None
    r = c.execute(sa.select(u.c.id, u.c.login, u.c.name).where(u.c.id == uid)).first()
    return None if r is None else {"id": _num(r.id), "login": r.login, "name": r.name}


def _dept_ref(c, d, did):
    if did is None:
        return None
    r = c.execute(sa.select(d.c.id, d.c.name, d.c.code).where(d.c.id == did)).first()
    return None if r is None else {"id": _num(r.id), "name": r.name, "code": r.code}


def _num(i: int) -> Decimal:
    return Decimal(i)  # numbers in the expression language are Decimals
