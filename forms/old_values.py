"""OLD(field): the value a field of the record had before this write; blank on create.

Conditions, validations, linkage rules and formulas are evaluated during a write on the record's
evaluation copy (forms/recalc.py); the copy carries the stored values from before the write under
``OLD_KEY`` (a key no field can have), and OLD reads its field there. Outside a write (the SQL of a
filter, a report) there is no "before", so OLD has no SQL form and is refused there at check time.

    amount <= OLD(amount) * 2             status <> OLD(status)
"""
from __future__ import annotations

from typing import Any

from rules.expr.nodes import FieldRef
from rules.expr.registry import FunctionSpec, Param

OLD_KEY = "\0old"  # in an evaluation copy: the record's stored values before the write (absent on create)


def _old(record: Any, path: tuple[str, ...]) -> Any:
    before = record.get(OLD_KEY) if isinstance(record, dict) else None
    return None if before is None else before.get(path[0])


def _check(args) -> str | None:
    for a in args:
        if not isinstance(a, FieldRef) or len(a.path) != 1 or a.list_from is not None:
            return {"zh": "OLD 的参数须是本记录的一个字段, 如 OLD(amount)",
                    "en": "OLD takes one field of this record, like OLD(amount)"}
    return None


OLD = FunctionSpec(
    name="OLD", params=(Param("field"),), returns=lambda types: types[0], impl=_old, field_args=True,
    volatile=True, propagate_errors=False, check=_check, category="platform",
    description={"zh": "本次修改前该字段的值 (新建时为空), 如 amount <= OLD(amount) * 2",
                 "en": "The field's value before this update (blank on create): amount <= OLD(amount) * 2"})


def add_functions(app_doc=None) -> list[FunctionSpec]:
    return [OLD]


def with_old(rec: dict, old: dict | None) -> dict:
    """``rec`` (an evaluation copy) knowing the values before the write; nothing on create."""
    if old is not None:
        rec[OLD_KEY] = old
    return rec
