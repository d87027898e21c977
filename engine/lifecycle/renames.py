"""Follow an upgrade's renames (``renamed_from`` on an entity or a field) through every platform row
that stores the app's names, so a record keeps its history, comments, files, to-dos and saved views.

Called by the upgrade inside its own transaction, beside the physical rename: nothing is committed
here, so a failure later in the upgrade takes these changes back too. Only the app's rows are read
(filtered by the app and the entities concerned); JSON bodies are rewritten in Python, so SQLite's
JSON and PostgreSQL's JSONB behave alike, and written back in one executemany per table, only the
rows that changed. The forms engine's own tables (states, counters, files) follow through the
``follow_renames`` hook: the kernel never imports an engine.

What each kernel table stores, and what follows:
- jimu_audit: entity; ``changes`` {field: [old, new]} (sub-table values are lists of rows keyed by
  column). The event outbox joins record events to their audit entry by (app, entity, record, version),
  so both are renamed together.
- jimu_event: entity; an engine event's payload (``entity``/``field``/``fields``/``changes``/``values``,
  the convention for a payload naming the app's records: RenameMap.payload). Record events carry none.
- jimu_todo, jimu_notification, jimu_comment: entity (the record link; titles and bodies are text).
- jimu_saved_view: entity; ``filters`` (JSON text, keys are paths through relations), ``sort``
  (paths with a +/- sign), ``columns`` (field names).
- jimu_job: payloads naming the app (``payload.app``, or jobs scheduled for its definitions), by the
  same payload convention; the platform's own jobs (reminders, deliveries, the midnight recompute)
  carry ids only.
- jimu_event_log: targets ``entity:APP.ENTITY`` and ``record:APP.ENTITY.ID`` (exports, prints), and
  details naming the app's entity, an export's filter and sort.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable

import sqlalchemy as sa

from .rename_map import RenameMap

PAGE = 1000  # rows read (and written back) at a time
# the event-log kinds whose target or detail names a record or an entity (identity/event_log.py KINDS):
# read by the indexed kind, so sign-ins and token uses are never scanned
LOG_KINDS_NAMING_RECORDS = ("export", "print", "event_chain_stopped")


def follow_renames(runtime, conn: sa.Connection, app: str, entities: dict[str, str],
                   fields: dict[str, dict[str, str]]) -> dict[str, int]:
    """Rewrite the app's platform rows for ``entities`` (old -> new name) and ``fields`` (NEW entity
    name -> {old -> new}, sub-table columns as "lines.qty"), in ``conn``'s transaction (no commit).
    Returns the rows updated per table (tables with none left out)."""
    m = RenameMap.of(runtime, app, entities, fields)
    out: dict[str, int] = {}
    if not m.entities and not m.fields:
        return out
    core = runtime.db.core
    counts = {
        "jimu_audit": _audit(conn, core["audit"], m),
        "jimu_event": _events(conn, core["event"], m),
        "jimu_saved_view": _saved_views(conn, core["saved_view"], m),
        "jimu_job": _jobs(conn, core["job"], m),
        "jimu_event_log": _event_log(conn, core["event_log"], m),
    }
    for key in ("todo", "notification", "comment"):
        counts[core[key].name] = rename_entity_column(conn, core[key], m)
    from ..plugins import hooks

    for hook in hooks("follow_renames"):
        for table, n in (hook(runtime, conn, app, m.entities, m.fields) or {}).items():
            counts[table] = counts.get(table, 0) + n
    return {t: n for t, n in counts.items() if n}


# --- helpers the engines' hooks use too -------------------------------------------------------------
# Two passes per table, never renaming a name twice: first the field names, read from each row's
# stored (old) entity and leaving the entity column alone; then the entity column in one UPDATE with a
# CASE. So two entities swapping names each take the other's, and a table of millions of rows whose
# entity alone is renamed costs one statement. Counts are rows changed: a row both passes change
# counts once (the entity pass counts every row of a renamed entity).

def rename_entity_column(conn: sa.Connection, t: sa.Table, m: RenameMap) -> int:
    """The app's rows of renamed entities in one UPDATE (a CASE, so two entities swapping names work)."""
    if not m.entities:
        return 0
    res = conn.execute(t.update().where(t.c.app == m.app, t.c.entity.in_(list(m.entities)))
                       .values(entity=sa.case(m.entities, value=t.c.entity)))
    return max(res.rowcount or 0, 0)


def rename_field_column(conn: sa.Connection, t: sa.Table, m: RenameMap, column: str = "field") -> int:
    """A column holding one top-level field name of the row's entity: one UPDATE per entity with renamed
    fields (run before rename_entity_column). Counts only rows whose entity keeps its name."""
    n = 0
    for old_entity, renames in m.field_renames_by_old_entity().items():
        top = {k: v for k, v in renames.items() if "." not in k}
        if not top:
            continue
        col = t.c[column]
        res = conn.execute(t.update().where(t.c.app == m.app, t.c.entity == old_entity, col.in_(list(top)))
                           .values({column: sa.case(top, value=col)}))
        if old_entity not in m.entities:
            n += max(res.rowcount or 0, 0)
    return n


def rewrite_rows(conn: sa.Connection, t: sa.Table, where: Iterable, columns: list[str],
                 rewrite: Callable[[dict], dict], key: str = "id",
                 counted: Callable[[dict], bool] = lambda _row: True) -> int:
    """Read the rows matching ``where`` a page at a time, ``rewrite`` each (a row -> its new values of
    ``columns``), and write back only the rows that changed, one executemany per page. Returns how
    many changed rows ``counted`` accepts."""
    cols = [t.c[key]] + [t.c[c] for c in dict.fromkeys(columns + ["entity"]) if c in t.c]
    stmt = t.update().where(t.c[key] == sa.bindparam("_key")).values(
        {c: sa.bindparam(f"_{c}", type_=t.c[c].type) for c in columns})
    done, last = 0, None
    where = list(where)
    while True:
        q = sa.select(*cols).where(*where).order_by(t.c[key]).limit(PAGE)
        if last is not None:
            q = q.where(t.c[key] > last)
        rows = [dict(r) for r in conn.execute(q).mappings()]
        if not rows:
            return done
        last = rows[-1][key]
        batch = []
        for row in rows:
            new = rewrite(row)
            if any(_differs(new[c], row[c]) for c in columns):
                batch.append({"_key": row[key], **{f"_{c}": new[c] for c in columns}})
                done += counted(row)
        if batch:
            conn.execute(stmt, batch)
        if len(rows) < PAGE:
            return done


def _differs(a: Any, b: Any) -> bool:
    # JSON bodies compared as JSON: a dict's key order, or 1 vs 1.0, is no change
    return json.dumps(a, sort_keys=True, default=str) != json.dumps(b, sort_keys=True, default=str)


# --- the kernel's tables ----------------------------------------------------------------------------

def _not_renamed(m: RenameMap) -> Callable[[dict], bool]:
    return lambda row: row["entity"] not in m.entities


def _audit(conn, t, m: RenameMap) -> int:
    def rewrite(r):
        return {"changes": m.changes(m.entity(r["entity"]), r["changes"])}

    with_fields = list(m.field_renames_by_old_entity())
    n = rewrite_rows(conn, t, [t.c.app == m.app, t.c.entity.in_(with_fields)], ["changes"], rewrite,
                     counted=_not_renamed(m)) if with_fields else 0
    return n + rename_entity_column(conn, t, m)


def _events(conn, t, m: RenameMap) -> int:
    def rewrite(r):
        return {"payload": m.payload(r["payload"], r["entity"])}

    # a record event's payload is empty (its changes are its audit entry's, joined by app, entity,
    # record and version, which the entity pass keeps together); only engine events carry one
    # (an engine event about the app but no entity may name one in its payload)
    engine_events = [t.c.app == m.app, sa.or_(t.c.entity.in_(m.old_names), t.c.entity.is_(None)),
                     sa.not_(t.c.kind.startswith("record."))]
    n = rewrite_rows(conn, t, engine_events, ["payload"], rewrite, counted=_not_renamed(m))
    return n + rename_entity_column(conn, t, m)


def _saved_views(conn, t, m: RenameMap) -> int:
    from ..platform.saved_views import dumps, loads

    def rewrite(r):
        new = m.entity(r["entity"])
        filters = loads(r["filters"])
        if isinstance(filters, dict):
            filters = {m.path(new, k): v for k, v in filters.items()}
        return {"entity": new, "filters": dumps(filters) if filters != loads(r["filters"]) else r["filters"],
                "sort": [m.path(new, s) for s in r["sort"] or []],
                "columns": [m.path(new, c) for c in r["columns"] or []]}

    # views of every entity of the app: a path through a relation reaches the renamed entity's fields
    return rewrite_rows(conn, t, [t.c.app == m.app], ["entity", "filters", "sort", "columns"], rewrite)


def _jobs(conn, t, m: RenameMap) -> int:
    def rewrite(r):
        return {"payload": m.payload(r["payload"])}

    about = sa.or_(t.c.payload["app"].as_string() == m.app, t.c.definition_app == m.app)
    return rewrite_rows(conn, t, [about], ["payload"], rewrite)


def _event_log(conn, t, m: RenameMap) -> int:
    esc = m.app.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    def target(value: str | None) -> str | None:
        for prefix in ("entity:", "record:"):
            head = f"{prefix}{m.app}."
            if value and value.startswith(head):
                rest = value[len(head):]
                if prefix == "record:" and "." in rest:
                    ent, rid = rest.rsplit(".", 1)
                    return f"{head}{m.entity(ent)}.{rid}"
                return head + m.entity(rest)
        return value

    def rewrite(r):
        d = r["detail"]
        if isinstance(d, dict) and d.get("app") == m.app and isinstance(d.get("entity"), str):
            new = m.entity(d["entity"])
            d = {**d, "entity": new}
            if isinstance(d.get("filter"), dict):
                d["filter"] = {m.path(new, k): v for k, v in d["filter"].items()}
            if isinstance(d.get("sort"), list):
                d["sort"] = [m.path(new, s) for s in d["sort"]]
        return {"target": target(r["target"]), "detail": d}

    about = sa.or_(t.c.target.like(f"entity:{esc}.%", escape="\\"), t.c.target.like(f"record:{esc}.%", escape="\\"),
                   t.c.kind == "event_chain_stopped")  # its target is the event's kind; the app is in the detail
    return rewrite_rows(conn, t, [t.c.kind.in_(LOG_KINDS_NAMING_RECORDS), about], ["target", "detail"], rewrite)
