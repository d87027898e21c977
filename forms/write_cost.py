"""Which of the form engine's per-write work an entity needs (issue 12 item 11: cost only where used).

An entity without computed fields, expression defaults, linkage, option rules, cascades, relation
filters, text rules (min_length, pattern), validations or stage conditions gets nothing from the
evaluation copy, the flags or the judging of a write: all would come out as the kernel already
decides (visible, required as declared, read-only as declared). Its writes skip that work; a form
state (a trial write) still works the flags out, since the form shows them. Worked out once per app
model (the model is rebuilt when the app's definitions change).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Needs:
    compute: bool  # the evaluation copy: computed fields, expression defaults, or what judges it
    judge: bool  # linkage flags and the form rules


def needs(model, entity: str) -> Needs:
    cache = model.__dict__.setdefault("_write_needs", {})
    got = cache.get(entity)
    if got is None:
        got = cache[entity] = _work_out(model, entity)
    return got


def _work_out(model, entity: str) -> Needs:
    scopes = [sm for name, sm in model.scopes.items() if name == entity or name.startswith(entity + ".")]
    judge = any(_judged(sm) for sm in scopes)
    compute = (judge or bool(model.steps.get(entity)) or len(scopes) > 1  # rows get their defaults there
               or any(sm.defaults or sm.state_rules for sm in scopes))
    return Needs(compute=compute, judge=judge)


def _judged(sm) -> bool:
    if any(sm.linkage.values()) or sm.option_rules or sm.validations:
        return True
    for f in sm.entity.fields:
        d = f.definition
        if d.get("parent") or d.get("min_length") or d.get("pattern"):
            return True
        if f.relation_to and (d.get("match") or d.get("filter")):
            return True
    return False
