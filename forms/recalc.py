"""Computing a record: expression defaults, then formulas, lookups and rollups in dependency order
(prepare stage); and carrying a change to the records that read it (persist stage).

A change of a record that others look up or roll up (a payment changes its customer's receivable)
recomputes those records in the same transaction, through the same pipeline (audit, events, and on
to whatever reads *them*), locking them first so concurrent writers cannot lose an update.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from engine.compiled import SYSTEM_FIELD_TYPES
from engine.fieldtypes import FieldValueError
from engine.identity.actor import system_actor
from engine.records.pipeline import Write, WriteBatch

from .evaluation import RelatedLoader, as_expr_values, attach, context, eval_copy, masked, value_or_none
from .model import AppModel, Step, model_for
from .old_values import with_old
from .rollup_sql import rollup_values


def to_stored(app, f, value: Any, w: Write | None = None, path: str | None = None) -> Any:
    """An expression's value as the field stores it (quantized, typed); an error value is blank."""
    value = value_or_none(value)
    if value is None:
        return None
    if isinstance(value, dict) and "id" in value:  # a record (CURRENT_USER(), a relation) given to an id field
        value = value["id"]
    if isinstance(value, Decimal) and f.type_name in ("relation", "user", "department"):
        value = int(value)
    if f.computed:
        kinds = f.ftype.kinds
        vt, vdef = kinds.value_type(app, f), kinds.value_def(app, f)
    else:
        vt, vdef = f.ftype, f.definition
    if vt.name in ("text", "textarea") and not isinstance(value, str):
        from rules.expr.values import to_text

        value = to_text(value)
        if not isinstance(value, str):
            return None
    if vt.round_value is not None and isinstance(value, Decimal):
        value = vt.round_value(vdef, value)  # the engine's value: rounded half away from zero, never refused
    try:
        return vt.parse(vdef, value)
    except FieldValueError as e:
        if w is not None:
            w.error(path or f.name, e.message, code="computed")
        return None


class Computation:
    """The computation of one batch: one loader, one evaluation context."""

    def __init__(self, batch: WriteBatch, model: AppModel) -> None:
        self.batch, self.model = batch, model
        self.app = batch.app
        self.loader = RelatedLoader(batch.runtime, batch.app, batch.conn, batch.actor)  # reads as the writer may
        self.ctx = context(batch.runtime, batch.actor, batch.conn)

    def record_copy(self, w: Write) -> dict:
        system = self.batch.system_values(w)
        rec = eval_copy(self.batch.entity, w.values, {k: system.get(k) for k in SYSTEM_FIELD_TYPES})
        # OLD(field) reads the values before the write (none on create)
        return with_old(rec, as_expr_values(self.batch.entity, w.old) if w.op == "update" and w.old else None)

    def run(self) -> None:
        ent = self.batch.entity
        scope = self.model.scope(ent.name)
        writes = [w for w in self.batch.writes if w.op in ("create", "update")]
        if not writes:
            return
        recs = [self.record_copy(w) for w in writes]
        attach(self.loader, ent, recs, scope.reads)
        subs = {name.split(".", 1)[1]: sm for name, sm in self.model.scopes.items()
                if name.startswith(ent.name + ".")}
        for w, rec in zip(writes, recs):
            for sub, sm in subs.items():
                rows = rec.get(sub) or []
                attach(self.loader, sm.entity, rows, sm.reads)
            if w.op == "create":
                self.defaults(w, rec, scope, scope.entity.fields, rec, w.values, "")
            for sub, sm in subs.items():
                old_ids = {r["id"] for r in (w.old or {}).get(sub) or []}
                for i, (row, stored) in enumerate(zip(rec.get(sub) or [], w.values.get(sub) or [])):
                    if stored.get("id") is None or stored["id"] not in old_ids:
                        self.defaults(w, row, sm, sm.entity.fields, row, stored, f"{sub}[{i}].")
        self.steps(writes, recs)
        for w, rec in zip(writes, recs):  # linkage, validations and stages judge these values
            w.notes["eval"] = rec
            w.notes["ctx"] = self.ctx

    def steps(self, writes: list[Write], recs: list[dict]) -> None:
        """Every computed field of the entity and its rows, in dependency order."""
        for step in self.model.steps.get(self.batch.entity.name, []):
            if "." in step.scope:
                self.row_step(step, writes, recs)
            else:
                self.record_step(step, writes, recs)

    def defaults(self, w: Write, rec: dict, sm, fields, target_rec: dict, stored: dict, prefix: str) -> None:
        """Defaults of a new record (expressions; the kernel sets constants) or of a new row (both).
        A default copies a value into a field the writer sees: it reads related rows as masked for them."""
        seen = None
        for f in fields:
            if prefix and f.default is not None and stored.get(f.name) is None:
                stored[f.name] = target_rec[f.name] = to_stored(self.app, f, f.default, w, prefix + f.name)
            e = sm.defaults.get(f.name)
            if e is None or stored.get(f.name) is not None or (not prefix and f.name in w.input):
                continue
            if seen is None:
                seen = masked(rec) if self.loader.actor is not None else rec
            v = to_stored(self.app, f, e(seen, self.ctx), w, prefix + f.name)
            stored[f.name] = v
            target_rec[f.name] = seen[f.name] = v

    # --- one computed field ------------------------------------------------------------------------
    def record_step(self, step: Step, writes: list[Write], recs: list[dict]) -> None:
        f = step.field
        d = f.definition
        if f.type_name == "rollup" and "from" in d:
            todo = [(w, rec) for w, rec in zip(writes, recs) if w.op == "update"]
            values = rollup_values(self.batch, step, [w.id for w, _ in todo], [w.values for w, _ in todo],
                                   self.ctx)
            for w, rec in zip(writes, recs):
                v = values.get(w.id) if w.op == "update" else _empty_rollup(d)
                self.set(w, rec, f, v, f.name)
            return
        for w, rec in zip(writes, recs):
            if f.type_name == "lookup" and d.get("mode") == "snapshot" and not _link_changed(w, d["via"]):
                continue
            self.set(w, rec, f, self.value(step, rec), f.name)

    def row_step(self, step: Step, writes: list[Write], recs: list[dict]) -> None:
        f = step.field
        sub = step.scope.split(".", 1)[1]
        for w, rec in zip(writes, recs):
            old_rows = {r["id"]: r for r in (w.old or {}).get(sub) or []}
            for i, (row, stored) in enumerate(zip(rec.get(sub) or [], w.values.get(sub) or [])):
                if f.type_name == "lookup" and f.definition.get("mode") == "snapshot":
                    before = old_rows.get(stored.get("id"))
                    if before is not None and before.get(f.definition["via"]) == stored.get(f.definition["via"]):
                        continue
                v = to_stored(self.app, f, self.value(step, row), w, f"{sub}[{i}].{f.name}")
                stored[f.name] = v
                row[f.name] = v

    def value(self, step: Step, rec: dict) -> Any:
        f = step.field
        d = f.definition
        if f.type_name == "formula":
            return step.expr(rec, self.ctx) if step.expr is not None else None
        if f.type_name == "lookup":
            related = rec.get(d["via"])
            return related.get(d["field"]) if isinstance(related, dict) else None
        if f.type_name == "rollup":  # over this record's sub-table rows
            rows = rec.get(d["of"]) or []
            if step.expr is not None:
                rows = [r for r in rows if step.expr(r, self.ctx) is True]
            return aggregate(d, rows)
        return None

    def set(self, w: Write, rec: dict, f, value: Any, path: str) -> None:
        v = to_stored(self.app, f, value, w, path)
        w.values[f.name] = v
        rec[f.name] = v


def _link_changed(w: Write, via: str) -> bool:
    return w.op == "create" or w.old is None or w.old.get(via) != w.values.get(via)


def _empty_rollup(d) -> Any:
    return Decimal(0) if d.get("agg") in ("sum", "count", "count_distinct") else None


def aggregate(d, rows: list[dict]) -> Any:
    """sum, count, count_distinct, avg, min, max, latest, first, join over rows (blank values skipped)."""
    agg, name = d.get("agg"), d.get("field")
    if agg == "count":
        return Decimal(len(rows)) if not name else Decimal(sum(1 for r in rows if r.get(name) is not None))
    values = [r.get(name) for r in rows if r.get(name) is not None]
    if agg == "sum":
        return sum((v for v in values if isinstance(v, Decimal)), Decimal(0))
    if agg == "count_distinct":
        return Decimal(len(set(values)))
    if agg == "avg":
        nums = [v for v in values if isinstance(v, Decimal)]
        return sum(nums, Decimal(0)) / len(nums) if nums else None
    if agg in ("min", "max"):
        return (min if agg == "min" else max)(values) if values else None
    if agg in ("latest", "first"):
        key = d.get("order_by")
        ordered = [r for r in rows if r.get(name) is not None]
        if key:
            ordered = sorted((r for r in ordered if r.get(key) is not None), key=lambda r: r[key])
        if not ordered:
            return None
        return (ordered[-1] if agg == "latest" else ordered[0]).get(name)
    if agg == "join":
        return d.get("separator", "、").join(str(v.get("title", v.get("id"))) if isinstance(v, dict) else str(v)
                                              for v in values)
    return None


# --- the pipeline handlers -------------------------------------------------------------------------
def compute(batch: WriteBatch) -> None:
    from .write_cost import needs

    model = model_for(batch.runtime, batch.app)
    if batch.entity.name not in model.scopes:
        return
    if not batch.trial and not needs(model, batch.entity.name).compute:
        return  # nothing computed, defaulted or judged by expressions here (write_cost.py)
    Computation(batch, model).run()


def recompute_after_clearing(batch: WriteBatch, writes: list[Write]) -> None:
    """Compute ``writes`` again from their evaluation copies (``notes["eval"]``), in which the linkage
    rules cleared hidden values: a formula of a cleared field must not keep the value it had."""
    comp = Computation(batch, model_for(batch.runtime, batch.app))
    comp.ctx = writes[0].notes["ctx"]
    comp.steps(writes, [w.notes["eval"] for w in writes])


def cascade(batch: WriteBatch) -> None:
    """Recompute the records that read what this batch changed, in this transaction."""
    model = model_for(batch.runtime, batch.app)
    links = model.links_from(batch.entity.name)
    if not links:
        return
    targets: dict[str, set[int]] = {}
    for link in links:
        ids: set[int] = set()
        changed_ids = []
        for w in batch.writes:
            everything = w.op in ("create", "delete", "restore")
            if not everything and not (link.fields & set(w.changes)):
                continue
            if link.kind == "rollup":
                for side in (w.old, w.values):
                    if side is not None and side.get(link.via) is not None:
                        ids.add(side[link.via])
            elif w.op != "create":
                changed_ids.append(w.id)
        if changed_ids:
            ids |= _referring(batch, link, changed_ids)
        if ids:
            targets.setdefault(link.target, set()).update(ids)
    for entity, ids in sorted(targets.items()):
        service = batch.runtime.records(batch.app.name, entity, system_actor(batch.runtime))
        service.recompute(sorted(ids), conn=batch.conn)


def lock_rollup_targets(batch: WriteBatch) -> None:
    """Guard: lock the records this batch's rows roll up into before the rows are written. Writing a
    row takes a share lock on the record it points at (the foreign key); two writers each holding
    one and both wanting the record for its rollup would deadlock, so the record is taken first."""
    if batch.trial or not batch.runtime.db.caps.row_locks or batch.has_errors():
        return
    model = model_for(batch.runtime, batch.app)
    targets: dict[str, set[int]] = {}
    for link in model.links_from(batch.entity.name):
        if link.kind != "rollup":
            continue
        for w in batch.writes:
            for side in (w.old, w.values):
                if side is not None and side.get(link.via) is not None:
                    targets.setdefault(link.target, set()).add(side[link.via])
    for entity, ids in sorted(targets.items()):
        t = batch.runtime.table(batch.app.name, entity)
        batch.conn.execute(sa.select(t.c.id).where(t.c.id.in_(sorted(ids))).order_by(t.c.id).with_for_update())


def _referring(batch: WriteBatch, link, source_ids: list[int]) -> set[int]:
    """Records of ``link.target`` whose relation chain leads to one of ``source_ids``."""
    app, rt = batch.app, batch.runtime
    # walk the chain from the target: target.r1 -> e1, e1.r2 -> e2 ... ; build nested IN subqueries backwards
    entities = [link.target]
    for name in link.chain:
        entities.append(app.entity(entities[-1]).field(name).relation_to)
    cond_ids: Any = source_ids
    for ent_name, rel in reversed(list(zip(entities[:-1], link.chain))):
        t = rt.table(app.name, ent_name)
        col = t.c[app.entity(ent_name).field(rel).column_name]
        cond_ids = sa.select(t.c.id).where(col.in_(cond_ids), t.c.deleted_at.is_(None))
    return set(batch.conn.execute(cond_ids).scalars())


def check_app(app, field_types) -> list:
    """Expressions that do not check and computed fields in a cycle, found when the bundle loads."""
    from .computed_kinds import checking_functions
    from .model import build_model

    return build_model(app, checking_functions(app, field_types)).problems


def register(runtime) -> None:
    runtime.pipeline.on("prepare", compute)
    runtime.pipeline.on("guard", lock_rollup_targets)
    runtime.pipeline.on("persist", cascade)
