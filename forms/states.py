"""State fields: a select whose moves are declared, with what entering each state requires.

    - name: stage
      type: select
      options: [...]
      transitions: {initial: [contact], contact: [needs], needs: [proposal], "*": [lost]}
      requires:
        proposal: {fields: [amount, lines], conditions: [{expr: "amount > 0", message: {...}}]}

Enforced on every write path (API, bulk, import, kanban): a move not declared, or a state whose
requirements are not met, is refused with one message per missing item. The time each record
enters and leaves each state is kept in ``jimu_state_entry`` (funnel durations).
"""
from __future__ import annotations

import sqlalchemy as sa

from engine.errors import msg
from engine.fieldtypes import option_label
from engine.records.audit import write_audit
from engine.records.pipeline import WriteBatch

from .linkage import is_blank, truthy
from .model import model_for


def state_fields(entity):
    return [f for f in entity.fields if f.definition.get("transitions") or f.definition.get("requires")]


def _option_label(f, value, lang: str) -> str:
    return option_label(f.definition.get("options"), value, lang)


def allowed_moves(f, current) -> list[str]:
    """The states a record in ``current`` may move to (itself included); on create, ``initial``."""
    tr = f.definition.get("transitions") or {}
    values = [o["value"] for o in f.definition.get("options") or ()]
    if not tr:
        return values
    if current is None:
        return list(tr.get("initial") or values)
    onward = set(tr.get(current) or []) | set(tr.get("*") or [])
    return [current, *[v for v in values if v != current and v in onward]]


def check_states(batch: WriteBatch) -> None:
    fields = state_fields(batch.entity)
    if not fields:
        return
    model = model_for(batch.runtime, batch.app)
    scope = model.scope(batch.entity.name)
    for w in batch.writes:
        if w.op not in ("create", "update") or w.recompute:
            continue
        for f in fields:
            new = w.values.get(f.name)
            old = w.old.get(f.name) if w.old is not None else None
            if new == old or new is None:
                continue
            # the platform itself (seed data, a migration) may place a record in any state; people move it
            if not batch.actor.is_system and new not in allowed_moves(f, old):
                zh_from = _option_label(f, old, "zh") if old is not None else "新建"
                en_from = _option_label(f, old, "en") if old is not None else "a new record"
                w.error(f.name, msg(f"不能从「{zh_from}」直接进入「{_option_label(f, new, 'zh')}」",
                                    f"cannot move from '{en_from}' to '{_option_label(f, new, 'en')}'"),
                        code="transition")
                continue
            req = (f.definition.get("requires") or {}).get(new) or {}
            to_zh, to_en = _option_label(f, new, "zh"), _option_label(f, new, "en")
            for name in req.get("fields") or ():
                rf = batch.entity.field(name)
                if rf is not None and is_blank(w.values.get(name)):
                    w.error(name, msg(f"进入「{to_zh}」需要填写「{rf.label.get('zh', name)}」",
                                      f"'{to_en}' requires {rf.label.get('en', name)}"), code="requires")
            rec, ctx = w.notes.get("eval"), w.notes.get("ctx")
            if rec is None:
                continue
            for rule in scope.state_rules.get(f.name, {}).get(new, ()):
                if not truthy(rule.expr(rec, ctx)):
                    w.error(f.name, {"zh": f"进入「{to_zh}」需要: {rule.message['zh']}",
                                     "en": f"'{to_en}' requires: {rule.message['en']}"}, code="requires")


def record_entries(batch: WriteBatch) -> None:
    """Persist: when a state changes, close the open entry and open one for the new state."""
    fields = state_fields(batch.entity)
    if not fields:
        return
    t = batch.runtime.db.core["state_entry"]
    opened, closed = [], []
    for w in batch.writes:
        for f in fields:
            if f.name not in w.changes:
                continue
            old, new = w.changes[f.name]
            if old is not None and w.op == "update":
                closed.append((w.id, f.name))
            if new is not None and w.op in ("create", "update"):
                opened.append({"app": batch.app.name, "entity": batch.entity.name, "record_id": w.id,
                               "field": f.name, "state": new, "entered_at": batch.now,
                               "entered_by": batch.actor.user_id})
    for rid, name in closed:
        batch.conn.execute(t.update().where(t.c.app == batch.app.name, t.c.entity == batch.entity.name,
                                            t.c.record_id == rid, t.c.field == name, t.c.left_at.is_(None))
                           .values(left_at=batch.now))
    if opened:
        batch.conn.execute(t.insert(), opened)


def state_history(runtime, app: str, entity: str, record_id: int, conn=None) -> list[dict]:
    t = runtime.db.core["state_entry"]
    with runtime.connect(conn) as c:
        rows = c.execute(sa.select(t).where(t.c.app == app, t.c.entity == entity, t.c.record_id == record_id)
                         .order_by(t.c.id)).mappings().all()
    return [{"field": r["field"], "state": r["state"], "entered_at": r["entered_at"].isoformat() + "Z",
             "left_at": r["left_at"].isoformat() + "Z" if r["left_at"] else None} for r in rows]


def add_tables(md: sa.MetaData) -> dict:
    _id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    return {"state_entry": sa.Table(
        "jimu_state_entry", md,
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("app", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("entered_by", sa.BigInteger()),
        sa.Column("left_at", sa.DateTime()),
        sa.Index("ix_jimu_state_entry_record", "app", "entity", "record_id"),
    )}


def app_data_tables():
    """``jimu export --with-data``: when each record entered and left its states."""
    from engine.lifecycle.data_tables import DataTable

    return [DataTable("jimu_state_entry", {"entered_by": "user"})]


def check_app(app, field_types) -> list:
    """Transitions and requirements name real options and fields, and only on a select."""
    out = []
    for ent in app.entities.values():
        for i, f in enumerate(ent.fields):
            d = f.definition
            if not (d.get("transitions") or d.get("requires")):
                continue
            where = ("fields", i)
            if f.type_name != "select":
                out.append((ent.name, where + ("transitions",), "只有单选字段可以声明状态流转",
                            "only a select field can declare transitions"))
                continue
            values = {o["value"] for o in d.get("options") or ()}
            for src, targets in (d.get("transitions") or {}).items():
                if src not in values and src not in ("*", "initial"):
                    out.append((ent.name, where + ("transitions", src), f"没有选项 '{src}'", f"no option '{src}'"))
                for t in targets:
                    if t not in values:
                        out.append((ent.name, where + ("transitions", src), f"没有选项 '{t}'", f"no option '{t}'"))
            for state, req in (d.get("requires") or {}).items():
                if state not in values:
                    out.append((ent.name, where + ("requires", state), f"没有选项 '{state}'", f"no option '{state}'"))
                for name in (req or {}).get("fields") or ():
                    if ent.field(name) is None:
                        out.append((ent.name, where + ("requires", state, "fields"), f"没有字段 '{name}'",
                                    f"no field '{name}'"))
    return out


def register(runtime) -> None:
    runtime.pipeline.on("check", check_states)
    runtime.pipeline.on("persist", record_entries, before=write_audit)
