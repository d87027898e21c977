"""Every record has an owner and a department: the owner's main department, kept in step when the
owner changes (handover, reassignment). Row scopes ``department`` and ``department_tree`` read it."""
from __future__ import annotations

import sqlalchemy as sa


def assign_department(batch) -> None:
    """A prepare handler: the department of each new record, and of each record whose owner changes."""
    wanted = {}
    for w in batch.writes:
        if w.op == "create":
            wanted[id(w)] = w.owner if w.owner is not None else batch.actor.user_id
        elif w.op == "update" and w.row is not None and w.owner != w.row["owner"]:
            wanted[id(w)] = w.owner
    if not wanted:
        return
    users = batch.runtime.db.core["user"]
    owners = set(wanted.values())
    if owners == {batch.actor.user_id} and batch.actor.department_id is not None:
        depts = {batch.actor.user_id: batch.actor.department_id}
    else:
        depts = dict(batch.conn.execute(sa.select(users.c.id, users.c.department_id)
                                        .where(users.c.id.in_(sorted(owners)))).all())
    for w in batch.writes:
        if id(w) in wanted:
            owner = wanted[id(w)]
            if owner not in depts:
                from ..errors import msg

                w.error("owner", msg(f"用户 {owner} 不存在", f"user {owner} does not exist"), code="owner")
            w.department = depts.get(owner)
