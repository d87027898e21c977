"""The schema changes a plan implies: tables and columns created, dropped, renamed or converted, with
what the database holds counted (rows of a table, non-empty values of a column), so a drop that would
lose data and a new required field on a table with rows are flagged before anything is touched.

Tables are matched by what they hold, not by physical name: an entity's table is ``customer``, a
sub-table's rows are ``quote.lines`` — so a renamed entity or field pairs its old table or column with
its new one. Only reads (SELECT count) run here."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..compiled import CompiledApp, physical_name
from ..storage.tables import entity_table
from .diff import option_renames
from .plan import PlanItem


def tables_by_label(app: CompiledApp) -> dict[str, tuple[sa.Table, dict[str, dict]]]:
    """label -> (table, column name -> the field definition stored there)."""
    md = sa.MetaData()
    out: dict[str, tuple[sa.Table, dict[str, dict]]] = {}
    for e in app.entities.values():
        out[e.name] = (entity_table(e, app, md), {f.column_name: dict(f.definition) for f in e.fields if f.stored})
    for e in app.entities.values():  # then the tables field types keep (a sub-table's rows)
        for f in e.fields:
            if f.ftype.tables_for is None:
                continue
            subs = {physical_name(d["name"], "f_"): d for d in f.definition.get("fields") or () if isinstance(d, dict)}
            for t in (f.ftype.tables_for(app, e, f, md) or {}).values():
                out[f"{e.name}.{f.name}"] = (t, subs)
    return out


def schema_changes(runtime, inst, new: CompiledApp, items: list[PlanItem],
                   conn: sa.Connection | None = None) -> list[PlanItem]:
    """The schema items of a plan; marks the definition items whose removal loses data (``loses_data``).
    ``conn``: count there (an upgrade's transaction, so the counts are what it changes)."""
    after = tables_by_label(new)
    if inst is None:
        return [PlanItem("table", label, f"tables/{t.name}", "added", {"table": t.name}) for label, (t, _) in
                after.items()]
    before = tables_by_label(inst.compiled)
    renamed = {i.details["renamed_from"]: i.name for i in items if i.kind == "entity" and i.change == "renamed"}
    field_renames = {(i.name.rsplit(".", 1)[0], i.name.rsplit(".", 1)[1]): i.details["renamed_from"]
                     for i in items if i.kind == "field" and i.change == "renamed"}
    by_name = {(i.kind, i.name): i for i in items}
    out: list[PlanItem] = []
    with runtime.connect(conn) as conn:  # an upgrade counts inside its own transaction
        counter = _Counter(runtime, conn)
        matched: set[str] = set()
        for label, (t, cols) in after.items():
            was = _old_label(label, renamed, field_renames, before)
            if was is None:
                out.append(PlanItem("table", label, f"tables/{t.name}", "added", {"table": t.name}))
                continue
            matched.add(was)
            old_t, old_cols = before[was]
            rows = counter.rows(old_t)
            if was != label or old_t.name != t.name:
                out.append(PlanItem("table", label, f"tables/{t.name}", "renamed",
                                    {"renamed_from": was, "table": t.name, "from_table": old_t.name, "rows": rows}))
            out += _columns(label, old_t, old_cols, t, cols, rows, field_renames, counter, by_name)
        for label, (t, _) in before.items():
            if label in matched:
                continue
            rows = counter.rows(t)
            out.append(PlanItem("table", label, f"tables/{t.name}", "removed", {"table": t.name, "rows": rows},
                                loses_data=bool(rows)))
            _mark(by_name, ("entity", label), rows)
            if "." in label:
                _mark(by_name, ("field", label), rows)
    return out


def _old_label(label: str, renamed: dict[str, str], field_renames: dict, before: dict) -> str | None:
    """The label the table had: itself, or the old name of a renamed entity or sub-table field."""
    back = {v: k for k, v in renamed.items()}
    entity, _, sub = label.partition(".")
    old_entity = back.get(entity, entity)
    if sub:
        sub = field_renames.get((entity, sub), sub)
        was = f"{old_entity}.{sub}"
    else:
        was = old_entity
    return was if was in before else None


def _columns(label, old_t, old_cols, t, cols, rows, field_renames, counter, by_name) -> list[PlanItem]:
    """Columns by name (a renamed field's column follows it), with what converting or dropping them means."""
    dialect = counter.conn.dialect
    renames = {physical_name(new, "f_"): physical_name(was, "f_")
               for (owner, new), was in field_renames.items() if owner == label}
    system = {c.name for c in old_t.columns} - set(old_cols)
    out: list[PlanItem] = []
    kept: set[str] = set()
    for c in t.columns:
        if c.name in system and c.name in old_t.c:
            kept.add(c.name)
            continue
        fdef = cols.get(c.name, {})
        fname = f"{label}.{fdef.get('name', c.name)}"
        where = f"tables/{t.name}/{c.name}"
        was = renames.get(c.name, c.name)
        if was not in old_t.c or was in system:
            details: dict[str, Any] = {"column": c.name, "type": fdef.get("type"), "rows": rows}
            if fdef.get("required") and rows and fdef.get("default") is None and not fdef.get("default_expr"):
                details["needs_default"] = True
            out.append(PlanItem("column", fname, where, "added", details))
            continue
        kept.add(was)
        odef = old_cols.get(was, {})
        details = {}
        if was != c.name:
            details.update({"from_column": was})
        old_type, new_type = _sql(old_t.c[was].type, dialect), _sql(c.type, dialect)
        # the stored form can change under one SQL type: a decimal's scale on SQLite (scaled integers),
        # also for a lookup or rollup whose source field changed
        if odef.get("type") != fdef.get("type") or old_type != new_type or \
                _stored_form(old_t.c[was].type) != _stored_form(c.type):
            details.update({"conversion": True, "from_type": odef.get("type"), "to_type": fdef.get("type"),
                            "from_sql": old_type, "to_sql": new_type,
                            "non_null": counter.non_null(old_t, was)})
            bad = counter.not_converting(old_t, was, fdef)
            if bad:  # what an upgrade refuses without --fill
                details["not_converting"] = bad
        if fdef.get("required") and not odef.get("required") and rows:
            empty = rows - counter.non_null(old_t, was)
            if empty and fdef.get("default") is None and not fdef.get("default_expr"):
                details.update({"needs_default": True, "empty_rows": empty})
            elif empty and fdef.get("default") is not None:
                details["gets_default"] = empty  # the blank rows an upgrade gives the default
        renamed_options = option_renames(odef.get("options"), fdef.get("options"))
        removed_options = [v for v in _option_values(odef) if v not in _option_values(fdef)
                           and v not in renamed_options]
        if renamed_options and fdef.get("type") == odef.get("type"):
            held = counter.holding(old_t, was, list(renamed_options))
            if held:  # rows an upgrade gives the option's new value
                details["renamed_options"] = {v: [renamed_options[v], n] for v, n in held.items()}
        if removed_options and fdef.get("type") == odef.get("type"):
            # rows still holding a value the new options lack: the upgrade has to map or keep them
            held = counter.holding(old_t, was, removed_options)
            if held:
                details["rows_with_removed_options"] = held
                _note(by_name, ("field", fname), "rows_with_removed_options", held)
        if details:
            change = "renamed" if was != c.name else "changed"
            out.append(PlanItem("column", fname, where, change, {"column": c.name, **details}))
    for c in old_t.columns:
        if c.name in kept or c.name in system:
            continue
        odef = old_cols.get(c.name, {})
        filled = counter.non_null(old_t, c.name)
        fname = f"{label}.{odef.get('name', c.name)}"
        out.append(PlanItem("column", fname, f"tables/{old_t.name}/{c.name}", "removed",
                            {"column": c.name, "rows": rows, "non_null": filled}, loses_data=bool(filled)))
        _mark(by_name, ("field", fname), filled)
    return out


def _option_values(fdef: dict) -> list:
    return [o.get("value") for o in fdef.get("options") or () if isinstance(o, dict)]


def _note(by_name: dict, key: tuple[str, str], what: str, value: Any) -> None:
    item = by_name.get(key)
    if item is not None:
        item.details[what] = value


def _mark(by_name: dict, key: tuple[str, str], rows: int) -> None:
    item = by_name.get(key)
    if item is not None and item.change == "removed":
        item.details["rows"] = rows
        item.loses_data = bool(rows)


def _stored_form(t) -> tuple:
    """What decides how a value is stored besides the SQL type (a TypeDecorator's repr leaves it out)."""
    return (type(t).__name__, getattr(t, "scale", None), getattr(t, "length", None), getattr(t, "precision", None))


def _sql(t, dialect) -> str:
    try:
        return t.compile(dialect=dialect)
    except Exception:  # a type this dialect cannot name: its Python repr still compares
        return repr(t)


class _Counter:
    """Counts in the database; a table that is not there (never created, or dropped by hand) holds 0."""

    def __init__(self, runtime, conn: sa.Connection) -> None:
        self.runtime, self.conn = runtime, conn
        self.existing = set(sa.inspect(conn).get_table_names())

    def rows(self, t: sa.Table) -> int:
        if t.name not in self.existing:
            return 0
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())

    def non_null(self, t: sa.Table, column: str) -> int:
        if t.name not in self.existing:
            return 0
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(t)
                                     .where(t.c[column].is_not(None))).scalar_one())

    def not_converting(self, t: sa.Table, column: str, fdef: dict) -> int:
        """How many values would not convert to the field's new type (its text parser says no)."""
        from .migrate_values import read_conversions

        ftype = self.runtime.field_types.get(fdef.get("type") or "")
        if t.name not in self.existing or ftype is None or ftype.computed or not ftype.stored:
            return 0
        return len(read_conversions(self.conn, t, column, ftype, fdef)[1])

    def holding(self, t: sa.Table, column: str, values: list) -> dict[str, int]:
        """How many rows hold each of ``values`` (a select's stored value is the option's value)."""
        if t.name not in self.existing:
            return {}
        # read, not grouped in SQL: a multi-select stores a list in one column ("|vip|new|"); a row
        # counts once for each of the values it holds
        wanted = {str(v) for v in values}
        out: dict[str, int] = {}
        c = t.c[column]
        for (v,) in self.conn.execute(sa.select(c).where(c.is_not(None))):
            for x in dict.fromkeys(v if isinstance(v, list) else [v]):
                if x in wanted:
                    out[x] = out.get(x, 0) + 1
        return out
