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
from engine.lifecycle.renames import rename_entity_column, rename_field_column


def follow_renames(runtime, conn: sa.Connection, app: str, entities: dict, fields: dict) -> dict[str, int]:
    m = RenameMap.of(runtime, app, entities, fields)
    core = runtime.db.core
    out = {}
    for key in ("state_entry", "file"):  # the field first, by the entity the rows still name
        t = core[key]
        out[t.name] = rename_field_column(conn, t, m) + rename_entity_column(conn, t, m)
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
