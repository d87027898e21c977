"""Linkage rules and validations, enforced on every write path.

Per field: ``visible_if``, ``required_if``, ``readonly_if`` and option filters (a select option's own
``visible_if``); per field also ``min_length`` and ``pattern``; per record and per sub-table row,
custom rules ``{when, message, path}``. A hidden field is not required. What the form shows is what
the server enforces: the form-state endpoint returns the flags worked out here.

All problems are collected on the write with their paths (``lines[2].qty``), none raised alone.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from engine.compiled import CompiledEntity
from engine.errors import msg
from engine.records.pipeline import Write, WriteBatch

from .model import ScopeModel, model_for


def is_blank(v: Any) -> bool:
    return v is None or v == "" or v == []


def truthy(v: Any) -> bool:
    """A condition holds when it is TRUE or a non-zero number (the SQL backend's rule too)."""
    from decimal import Decimal

    return v is True or (isinstance(v, Decimal) and v != 0)


@lru_cache(maxsize=1024)
def _pattern(text: str) -> re.Pattern:
    return re.compile(text)


def field_flags(sm: ScopeModel, rec: dict, ctx) -> dict[str, dict[str, Any]]:
    """visible / required / readonly / options of each field of a scope, for one record or row."""
    out = {}
    linkage = sm.linkage
    for f in sm.entity.fields:
        e = linkage.get("visible_if", {}).get(f.name)
        visible = truthy(e(rec, ctx)) if e is not None else True
        e = linkage.get("required_if", {}).get(f.name)
        required = visible and (f.required or (truthy(e(rec, ctx)) if e is not None else False))
        e = linkage.get("readonly_if", {}).get(f.name)
        readonly = f.readonly or f.computed or (truthy(e(rec, ctx)) if e is not None else False)
        flags: dict[str, Any] = {"visible": visible, "required": required, "readonly": readonly}
        rules = sm.option_rules.get(f.name)
        if rules or f.definition.get("parent"):
            flags["options"] = allowed_options(f, rules or {}, rec, ctx)
        if f.relation_to and f.definition.get("match"):
            flags["filter"] = {target: _id_of(rec.get(mine)) for target, mine in f.definition["match"].items()}
        if f.relation_to and f.definition.get("filter"):
            flags["field"] = f"{f.entity}.{f.name}"  # the picker's ?field=: only targets passing its filter
        out[f.name] = flags
    return out


def _id_of(v: Any) -> Any:
    """A related record attached for evaluation stands for its id in a filter."""
    if isinstance(v, dict):
        v = v.get("id")
    from decimal import Decimal

    return int(v) if isinstance(v, Decimal) and v == int(v) else v


def check_matches(batch: WriteBatch, w: Write, sm: ScopeModel, flags: dict, stored: dict, old: dict | None,
                  prefix: str) -> None:
    """A relation with ``match`` must point at a record whose fields equal this record's."""
    import sqlalchemy as sa

    for f in sm.entity.fields:
        match = f.definition.get("match") if f.relation_to else None
        v = stored.get(f.name)
        if not match or v is None or (old is not None and old.get(f.name) == v and not
                                      any(old.get(m) != stored.get(m) for m in match.values())):
            continue
        target = batch.app.entity(f.relation_to)
        t = batch.runtime.table(batch.app.name, target.name)
        conds = [t.c.id == v]
        for tf, want in flags[f.name].get("filter", {}).items():
            col = t.c[target.field(tf).column_name] if target.field(tf) else t.c[tf]
            conds.append(col.is_(None) if want is None else col == want)
        if batch.conn.execute(sa.select(t.c.id).where(*conds)).first() is None:
            w.error(prefix + f.name, msg(f"{_label(f, 'zh')}不在可选范围内", f"{_label(f, 'en')} is not one of the "
                                         "records offered here"), code="option")


def allowed_options(f, rules: dict, rec: dict, ctx) -> list[str]:
    """The option values a select may take now: an option's ``visible_if`` holds, and for a cascade
    select the option belongs to the parent field's value (the cascade check's own rule)."""
    from .fieldtypes import allowed_options as cascade_options

    options = cascade_options(f.definition, rec) if f.definition.get("parent") else f.definition.get("options") or ()
    return [o["value"] for o in options
            if (e := rules.get(o["value"])) is None or truthy(e(rec, ctx))]


def _label(f, lang: str) -> str:
    return f.label.get(lang, f.name)


def judge(w: Write, sm: ScopeModel, flags: dict, rec: dict, stored: dict, old: dict | None, given: set[str],
          ctx, prefix: str) -> None:
    """Check one record (or row) against its scope's rules and the flags worked out for it."""
    failed = {e["path"] for e in w.errors}
    for f in sm.entity.fields:
        fl = flags[f.name]
        if not fl["visible"]:  # a hidden field is not judged, whether its value was cleared or kept
            continue
        path = prefix + f.name
        v = stored.get(f.name)
        if fl["required"] and not f.required and is_blank(v) and path not in failed:
            w.error(path, msg(f"{_label(f, 'zh')}不能为空", f"{_label(f, 'en')} is required"), code="required")
        if fl["readonly"] and not f.readonly and not f.computed and f.name in given:
            before = old.get(f.name) if old is not None else None
            if v != before:
                w.error(path, msg(f"{_label(f, 'zh')}当前不可修改", f"{_label(f, 'en')} cannot be changed now"),
                        code="readonly")
        if "options" in fl and v is not None and not isinstance(v, list) and v not in fl["options"]:
            if old is None or old.get(f.name) != v:
                w.error(path, msg(f"{_label(f, 'zh')}不能选择 {v}", f"{_label(f, 'en')} cannot be {v} here"),
                        code="option")
        if isinstance(v, str) and path not in failed and not f.computed:  # an autonumber's pattern is its format
            d = f.definition
            if d.get("min_length") and len(v) < d["min_length"]:
                w.error(path, msg(f"{_label(f, 'zh')}至少 {d['min_length']} 个字符",
                                  f"{_label(f, 'en')} needs at least {d['min_length']} characters"), code="min_length")
            if d.get("pattern") and not _pattern(d["pattern"]).fullmatch(v):
                m = d.get("pattern_message") or {"zh": f"{_label(f, 'zh')}格式不正确",
                                                 "en": f"{_label(f, 'en')} is not in the expected format"}
                w.error(path, dict(m), code="pattern")
    for rule in sm.validations:
        if rule.path and not flags.get(re.split(r"[.\[]", rule.path)[0], {}).get("visible", True):
            continue  # the rule belongs to a hidden field
        if truthy(rule.expr(rec, ctx)):
            w.error(prefix + rule.path if rule.path else prefix.rstrip("."), dict(rule.message), code="rule")


def _scopes(batch: WriteBatch):
    from .write_cost import needs

    model = model_for(batch.runtime, batch.app)
    ent = batch.entity
    if ent.name not in model.scopes:
        return None, {}
    if not batch.trial and not needs(model, ent.name).judge:
        return None, {}  # every flag would be the declared one and no rule applies (write_cost.py)
    subs = {n.split(".", 1)[1]: sm for n, sm in model.scopes.items() if n.startswith(ent.name + ".")}
    return model.scope(ent.name), subs


def _judged(batch: WriteBatch):
    for w in batch.writes:
        if w.op in ("create", "update") and not w.recompute and "eval" in w.notes:
            yield w


def hidden_value(entity: CompiledEntity, f) -> str:
    """What a save does with the value of ``f`` while a linkage rule hides it: ``clear`` (the
    default, as 简道云 does) or ``keep`` it untouched; the field's ``hidden_value``, else its
    entity's. Either way a hidden field is not judged (required, min_length, pattern, options, and
    the validations whose ``path`` names it)."""
    return f.definition.get("hidden_value") or entity.definition.get("hidden_value") or "clear"


def _work_out(scope: ScopeModel, subs: dict, rec: dict, ctx) -> tuple[dict, dict]:
    flags = field_flags(scope, rec, ctx)
    rows_flags = {sub: [field_flags(sm, row, ctx) for row in rec.get(sub) or []] for sub, sm in subs.items()}
    return flags, rows_flags


def _clear_hidden(entity: CompiledEntity, w: Write, scope: ScopeModel, subs: dict, flags: dict,
                  rows_flags: dict) -> bool:
    """Blank the values of the hidden fields whose rule is ``clear``, in the write and its evaluation
    copy; True when one had a value. Computed fields keep theirs: they are the engine's, not input."""
    rec, cleared = w.notes["eval"], False
    for f in scope.entity.fields:
        if flags[f.name]["visible"] or f.computed or hidden_value(entity, f) != "clear":
            continue
        blank = [] if f.name in subs else None
        if not is_blank(w.values.get(f.name)):
            cleared = True
        w.values[f.name] = rec[f.name] = blank
        if f.name in subs:
            rows_flags[f.name] = []
    for sub, sm in subs.items():
        for row, stored, rf in zip(rec.get(sub) or [], w.values.get(sub) or [], rows_flags[sub]):
            for f in sm.entity.fields:
                if rf[f.name]["visible"] or f.computed or hidden_value(entity, f) != "clear":
                    continue
                if not is_blank(stored.get(f.name)):
                    cleared = True
                stored[f.name] = row[f.name] = None
    return cleared


def work_out_flags(batch: WriteBatch) -> None:
    """Prepare (after the computation): each field's flags for the record and its rows; a hidden
    field's value is cleared (unless it is kept) and it is excused from being required. Clearing
    recomputes the record, which may hide more fields: repeated until nothing more is cleared."""
    from .recalc import recompute_after_clearing

    scope, subs = _scopes(batch)
    if scope is None:
        return
    todo = list(_judged(batch))
    worked = {id(w): _work_out(scope, subs, w.notes["eval"], w.notes["ctx"]) for w in todo}
    for _ in range(len(scope.entity.fields) + 1):  # each round clears at least one more field
        todo = [w for w in todo if _clear_hidden(batch.entity, w, scope, subs, *worked[id(w)])]
        if not todo:
            break
        recompute_after_clearing(batch, todo)
        worked.update({id(w): _work_out(scope, subs, w.notes["eval"], w.notes["ctx"]) for w in todo})
    for w in _judged(batch):
        flags, rows_flags = worked[id(w)]
        w.notes["flags"], w.notes["row_flags"] = flags, rows_flags
        for sub, sm in subs.items():
            hidden_table = not flags.get(sub, {}).get("visible", True)
            for i, rf in enumerate(rows_flags[sub]):
                for name, fl in rf.items():
                    if (hidden_table or not fl["visible"]) and sm.entity.by_name[name].required:
                        w.excused.add(f"{sub}[{i}].{name}")
        for name, fl in flags.items():
            if not fl["visible"]:
                w.excused.add(name)


def check_form_rules(batch: WriteBatch) -> None:
    scope, subs = _scopes(batch)
    if scope is None:
        return
    for w in _judged(batch):
        rec, ctx, flags = w.notes["eval"], w.notes["ctx"], w.notes["flags"]
        judge(w, scope, flags, rec, w.values, w.old, set(w.input), ctx, "")
        check_matches(batch, w, scope, flags, w.values, w.old, "")
        for sub, sm in subs.items():
            if not flags.get(sub, {}).get("visible", True):
                continue
            old_rows = {r["id"]: r for r in (w.old or {}).get(sub) or []}
            sent = w.input.get(sub) if isinstance(w.input.get(sub), list) else []
            for i, (row, stored) in enumerate(zip(rec.get(sub) or [], w.values.get(sub) or [])):
                given = set(sent[i]) if i < len(sent) and isinstance(sent[i], dict) else set()
                row_flags = w.notes["row_flags"][sub][i]
                judge(w, sm, row_flags, row, stored, old_rows.get(stored.get("id")), given, ctx, f"{sub}[{i}].")
                check_matches(batch, w, sm, row_flags, stored, old_rows.get(stored.get("id")), f"{sub}[{i}].")


def register(runtime) -> None:
    runtime.pipeline.on("prepare", work_out_flags)
    runtime.pipeline.on("check", check_form_rules)
