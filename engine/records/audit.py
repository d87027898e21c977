"""The audit trail of records: one entry per change, written in the same transaction as the change,
field by field (old and new, in API form), and read back as a record's history."""
from __future__ import annotations

import sqlalchemy as sa

from .pipeline import WriteBatch


def write_audit(batch: WriteBatch) -> None:
    rows = []
    for w in batch.writes:
        # stored values as they are (old, new): the JSON column writes the pairs as arrays, decimals as
        # exact text and dates as ISO; the event outbox reads the same entry (no second copy)
        changes = w.changes
        rows.append({"at": batch.now, "actor": batch.actor.user_id, "app": batch.app.name, "entity": batch.entity.name,
                     "record_id": w.id, "action": w.op, "version": w.version, "changes": changes})
    if rows:
        batch.conn.execute(batch.runtime.db.core["audit"].insert(), rows)


def history(runtime, app, entity, record_id: int, hidden: frozenset[str]) -> list[dict]:
    """A record's changes, oldest first; fields the reader may not see are left out."""
    a = runtime.db.core["audit"]
    users = runtime.db.core["user"]
    q = (sa.select(a, users.c.name.label("actor_name")).outerjoin(users, users.c.id == a.c.actor)
         .where(a.c.app == app.name, a.c.entity == entity.name, a.c.record_id == record_id).order_by(a.c.id))
    with runtime.connect() as c:
        rows = c.execute(q).mappings().all()
    columns: dict[str, set[str]] = {}  # sub-table columns hidden from the reader ("lines.margin")
    for name in hidden:
        if "." in name:
            sub, col = name.split(".", 1)
            columns.setdefault(sub, set()).add(col)
    out = []
    for r in rows:
        changes = {k: {"old": _without(_shown(entity, k, v[0]), columns.get(k)),
                       "new": _without(_shown(entity, k, v[1]), columns.get(k))}
                   for k, v in (r["changes"] or {}).items() if k not in hidden}
        out.append({"at": r["at"].isoformat() + "Z", "actor": {"id": r["actor"], "name": r["actor_name"]},
                    "action": r["action"], "version": r["version"], "changes": changes})
    return out


def _without(value, columns: set[str] | None):
    """Sub-table rows without the columns hidden from the reader."""
    if not columns or not isinstance(value, list):
        return value
    return [{k: v for k, v in r.items() if k not in columns} if isinstance(r, dict) else r for r in value]


def _shown(entity, name: str, stored):
    """A value from the audit JSON in API form, read back through its field type."""
    f = entity.field(name)
    if f is None or stored is None:
        return stored
    try:
        return f.dump(f.parse(stored))
    except ValueError:  # the field's rules changed since; show what was recorded
        return stored
