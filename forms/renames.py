"""The form engine's tables after an upgrade renames an entity or a field (engine/plugins.py hook
``follow_renames``, called by engine/lifecycle/renames.py in the upgrade's transaction):

- jimu_state_entry: (app, entity, record, field) — the entity and the state field's name;
- jimu_file: (app, entity, field) of the attachment or image field a file was uploaded for;
- jimu_counter: an autonumber's counter keyed by (app, entity, field, period), so the numbering
  carries on where it was instead of starting again under the new name.

Sub-table rows live in tables of their own (named at install, renamed by the upgrade itself) and
store no names.
"""
from __future__ import annotations

import sqlalchemy as sa

from engine.lifecycle.rename_map import RenameMap
from engine.lifecycle.renames import rewrite_rows


def follow_renames(runtime, conn: sa.Connection, app: str, entities: dict, fields: dict) -> dict[str, int]:
    m = RenameMap.of(runtime, app, entities, fields)
    core = runtime.db.core
    out = {}
    for key in ("state_entry", "file"):
        t = core[key]

        def rewrite(r):
            new = m.entity(r["entity"])
            return {"entity": new, "field": m.field(new, r["field"])}

        out[t.name] = rewrite_rows(conn, t, [t.c.app == app, t.c.entity.in_(m.old_names)], ["entity", "field"],
                                   rewrite)
    out[core["counter"].name] = _counters(conn, core["counter"], m)
    return out


def _counters(conn: sa.Connection, t: sa.Table, m: RenameMap) -> int:
    """The key is the primary key: the changed rows are deleted and inserted under their new key (two
    counters swapping names would collide if updated one by one)."""
    rows = [dict(r) for r in conn.execute(sa.select(t).where(t.c.app == m.app, t.c.entity.in_(m.old_names)))
            .mappings()]
    moved = []
    for r in rows:
        new_entity = m.entity(r["entity"])
        new = {**r, "entity": new_entity, "field": m.field(new_entity, r["field"])}
        if (new["entity"], new["field"]) != (r["entity"], r["field"]):
            moved.append((r, new))
    for old, _new in moved:
        conn.execute(t.delete().where(*(t.c[k] == old[k] for k in ("app", "entity", "field", "period"))))
    if moved:
        conn.execute(t.insert(), [new for _old, new in moved])
    return len(moved)
