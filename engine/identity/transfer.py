"""Giving a record to someone else: the ``transfer`` grant of roles.yaml.

Anyone who may create or change a record owns what they create; choosing another owner, or changing
the owner to someone other than oneself, needs a ``transfer`` grant whose scope admits the new owner:

```yaml
sales_manager:
  entities:
    customer: {create: true, read: department_tree, update: department_tree, transfer: department_tree}
```
A transfer scope names users, not records: ``all`` (any active user), ``department`` (users whose
main department is one's own), ``department_tree`` (one's department or any below it), ``none`` (the
default), or an expression over the new owner's user record, with CURRENT_USER() the one assigning:
``region = CURRENT_USER().region``. A role's transfer applies to the writes that role admits (its
``create``, or its ``update`` scope for the row).

Whatever the grants: the system user and inactive users are never given records by people (seeds
and handovers run as the system), and only a platform admin may give records to a platform admin.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from rules.expr import CompiledExpression, EvalContext, ExprError, compile_expression

from ..errors import Forbidden, msg
from ..storage.core_tables import SYSTEM_USER_LOGIN

KEYWORDS = ("all", "department", "department_tree", "none")


@dataclass(frozen=True)
class TransferScope:
    kind: str  # all, department, department_tree or expr
    expr: CompiledExpression | None = None


def compile_transfer(value: Any, registry, at: tuple, problems: list) -> TransferScope | None:
    """roles.yaml's ``transfer`` value as a scope over users; problems are (path, zh, en)."""
    if value is None or value is False or value == "none":
        return None
    if value is True:
        return TransferScope("all")
    if not isinstance(value, str):
        problems.append((at, "转交范围应为 all/department/department_tree/none 或一个关于用户的表达式",
                         "a transfer scope is all, department, department_tree, none or an expression over the user"))
        return None
    if value in KEYWORDS:
        return TransferScope(value)
    if value == "own":
        problems.append((at, "转交范围 own 没有意义: 把记录交给自己不需要转交权限",
                         "own is no transfer scope: giving a record to oneself needs no transfer grant"))
        return None
    user = registry.get("CURRENT_USER")
    try:
        return TransferScope("expr", compile_expression(value, user.returns, registry))
    except ExprError as e:
        problems.append((at, f"{e.message['zh']} (转交范围是关于接收用户的表达式: {value})",
                         f"{e.message['en']} (a transfer scope is an expression over the receiving user: {value})"))
        return None


def check_owner_assignment(batch) -> None:
    """A pipeline check: each write that gives a record to another user is admitted by a transfer
    grant, and never to the system user, an inactive user or (unless by an admin) an admin."""
    actor = batch.actor
    if actor.is_system:
        return
    moves = []  # (index, write, new owner)
    for i, w in enumerate(batch.writes):
        if w.owner is None or w.owner == actor.user_id:
            continue
        if w.op == "create" or (w.op == "update" and w.row is not None and w.owner != w.row["owner"]):
            moves.append((i, w, w.owner))
    if not moves:
        return
    u = batch.runtime.db.core["user"]
    users = {r.id: r for r in batch.conn.execute(
        sa.select(u.c.id, u.c.login, u.c.active, u.c.is_admin, u.c.department_id)
        .where(u.c.id.in_(sorted({t for _, _, t in moves}))))}
    admitted = None if actor.bypass else _admitting_roles(batch, [w for _, w, _ in moves])
    judged: dict[tuple, bool] = {}
    denied = []
    for i, w, target in moves:
        user = users.get(target)
        if user is None:
            continue  # reported by assign_department: "user N does not exist"
        if not user.active or user.login == SYSTEM_USER_LOGIN:
            w.error("owner", msg(f"用户 {target} 不存在或已停用, 不能成为负责人",
                                 f"user {target} does not exist or is inactive: they cannot own records"),
                    code="owner")
            continue
        allowed = actor.is_admin or not user.is_admin
        if allowed and admitted is not None:
            roles = admitted[id(w)]
            key = (target, roles)
            if key not in judged:
                judged[key] = any(_admits(batch, g.transfer, user) for g in roles if g.transfer is not None)
            allowed = judged[key]
        if not allowed:
            denied.append({"path": f"[{i}].owner" if batch.bulk else "owner", "code": "transfer",
                           "message": msg(f"没有把记录转交给用户 {target} 的权限",
                                          f"you may not give records to user {target}")})
    if denied:
        raise Forbidden("perm.E_TRANSFER", msg("没有转交记录给这些用户的权限",
                                               "you may not give records to these users"), denied)


def _admitting_roles(batch, writes) -> dict[int, tuple]:
    """The actor's roles that admit each write: their create grant, or their update scope for the row."""
    from ..records.read_path import ReadRequest
    from .permissions import _admitting, _conditions, grants_for

    grants = grants_for(batch.runtime, batch.app.name, batch.entity.name, batch.actor)
    out = {id(w): tuple(g for g in grants if g.create) for w in writes if w.op == "create"}
    updates = [w for w in writes if w.op == "update"]
    if updates:
        req = ReadRequest(batch.runtime, batch.app, batch.entity, batch.table, batch.actor)
        rows = _admitting(batch.conn, batch.table, [w.id for w in updates], _conditions(grants, "update", req))
        out.update({id(w): tuple(rows.get(w.id, ())) for w in updates})
    return out


def _admits(batch, scope: TransferScope, user) -> bool:
    actor = batch.actor
    if scope.kind == "all":
        return True
    if scope.kind == "department":
        return actor.department_id is not None and user.department_id == actor.department_id
    if scope.kind == "department_tree":
        return user.department_id in actor.department_tree
    from .functions import user_record

    ctx = EvalContext(user=user_record(batch.runtime, actor.user_id, batch.conn))
    v = scope.expr(user_record(batch.runtime, user.id, batch.conn), ctx)
    return v is True or (isinstance(v, Decimal) and v != 0)
