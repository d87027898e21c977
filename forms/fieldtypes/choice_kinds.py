"""Choice kinds: multi-select (several options) and cascade (options that depend on another field).

A multi-select is stored as delimited text, ``|vip|new|``, in option order: portable to every
backend, and "has this option" is a plain text test SQL can run (see ``_has``). A cascade stores one
option value like a select; which options fit depends on the record's parent field, so that rule is
a pipeline check (it needs the whole record), and ``allowed_options`` tells a form which to offer.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from engine.errors import msg
from engine.fieldtypes import EQ_OPS, LABEL_SCHEMA, FieldType, FieldValueError, option_by_text, option_label
from rules.expr import types as T

_OPTION_PROPS = {
    "value": {"type": "string", "minLength": 1, "maxLength": 64},
    "label": LABEL_SCHEMA,
    "color": {"type": "string"},
}


def _values(f) -> list[str]:
    return [o["value"] for o in f.get("options", ())]


def _not_an_option(bad) -> FieldValueError:
    shown = ", ".join(str(b) for b in bad)
    return FieldValueError(f"不是可选的值: {shown}", f"is not one of the options: {shown}")


# --- multi-select --------------------------------------------------------------------------------------
SEPARATOR = "|"
_TEXT_SEPARATORS = re.compile(r"[,，;；、|\n]")


class DelimitedList(TypeDecorator):
    """A list of option values in one text column: ``["vip", "new"]`` is stored as ``|vip|new|``;
    an empty list is stored as NULL, so "blank" means the same for it as for every other field."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if not value:
            return None
        return SEPARATOR + SEPARATOR.join(value) + SEPARATOR

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return [v for v in value.split(SEPARATOR) if v]


def _canonical(f, chosen) -> list[str] | None:
    """Option order and no repeats, so equal selections compare equal (change detection, audit)."""
    allowed = _values(f)
    bad = [v for v in chosen if v not in allowed]
    if bad:
        raise _not_an_option(bad)
    picked = set(chosen)
    return [v for v in allowed if v in picked] or None


def _multi_from_text(f, text: str):
    """``重要、新客``, ``vip,new``, ``VIP；New``: values or labels split by , ， ; ； 、 or new lines."""
    if text.strip() == "":
        return None
    whole = option_by_text(f.get("options"), text.strip())
    if whole is not None:  # a label may itself hold a comma
        return [whole["value"]]
    chosen, bad = [], []
    for part in _TEXT_SEPARATORS.split(text):
        part = part.strip()
        if not part:
            continue
        o = option_by_text(f.get("options"), part)
        if o is None:
            bad.append(part)
        else:
            chosen.append(o["value"])
    if bad:
        raise _not_an_option(bad)
    return _canonical(f, chosen)


def _parse_multi(f, v):
    if v is None or v == "" or v == []:
        return None
    if isinstance(v, str):  # a default in a definition, or a single value
        return _multi_from_text(f, v)
    if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) for x in v):
        raise FieldValueError('应为选项值的列表，例如 ["a", "b"]', 'must be a list of option values, e.g. ["a", "b"]')
    return _canonical(f, v)


def _show_multi(f, v, lang):
    return ("、" if lang == "zh" else ", ").join(option_label(f.get("options"), x, lang) for x in v)


def _has(column, value: str) -> sa.ColumnElement:
    # replace() is case-sensitive on every backend (LIKE is not on SQLite): the text changes iff it
    # holds the delimited value
    text = sa.type_coerce(column, sa.Text())
    token = sa.literal(f"{SEPARATOR}{value}{SEPARATOR}", sa.Text())
    return sa.func.replace(text, token, sa.literal("", sa.Text())) != text


def _multi_filter(f, column, op, value):
    if op not in ("has_any", "has_all"):
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise FieldValueError("应为选项值的列表", "must be a list of option values")
    bad = [v for v in value if v not in _values(f)]
    if bad:
        raise _not_an_option(bad)
    conds = [_has(column, v) for v in value]
    if op == "has_any":
        return sa.or_(*conds) if conds else sa.false()
    return sa.and_(*conds) if conds else sa.true()


MULTISELECT = FieldType(
    name="multiselect",
    options_schema={
        "options": {
            "type": "array", "minItems": 1,
            "items": {"type": "object", "required": ["value", "label"], "additionalProperties": False,
                      "properties": {**_OPTION_PROPS, "value": {"type": "string", "minLength": 1, "maxLength": 64,
                                                                "pattern": r"^[^|]+$"},
                                     "renamed_from": {"type": "string", "minLength": 1, "maxLength": 64,
                                                      "description": "The value this option had before: an "
                                                      "upgrade gives the records holding it the new value."}}},
        },
        # a list has no "same value" the unique check could look for
        "unique": {"description": "a multi-select cannot be unique", "const": False},
    },
    required_options=("options",),
    column=lambda f: DelimitedList(),
    parse=_parse_multi,
    dump=lambda f, v: None if v is None else list(v),
    expr_type=lambda f: T.ListType(T.SELECT),
    filter_ops=frozenset({"has_any", "has_all", "blank", "notblank"}),
    label={"zh": "多选", "en": "Multi-select"},
    parse_text=_multi_from_text,
    display=_show_multi,
    json_schema=lambda f: {"type": ["array", "null"], "uniqueItems": True, "items": {"enum": _values(f)}},
    filter_clause=_multi_filter,
)


# --- cascade -------------------------------------------------------------------------------------------
def _same(a: Any, b: Any) -> bool:
    return a is not None and b is not None and str(a) == str(b)


def allowed_options(field_def: Mapping[str, Any], record_values: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The options of a cascade field that fit the record's current parent value (none while the
    parent is blank): what a form offers, and what the check accepts."""
    parent = record_values.get(field_def.get("parent"))
    if parent is None:
        return []
    return [o for o in field_def.get("options", ()) if _same(o.get("parent"), parent)]


def _parse_cascade(f, v):
    if v is None or v == "":
        return None
    if v not in _values(f):
        raise _not_an_option([v])
    return v


def _cascade_from_text(f, text):
    """The value, or a label; a label several parents share (``市辖区``) needs the value instead."""
    if not isinstance(text, str):
        return _parse_cascade(f, text)
    s = text.strip()
    if s == "":
        return None
    if s in _values(f):
        return s
    named = {o["value"] for o in f.get("options", ()) if s in (o.get("label") or {}).values()}
    if len(named) > 1:
        raise FieldValueError(f"有多个名为「{s}」的选项，请填写选项值: {', '.join(sorted(named))}",
                              f"several options are called '{s}'; give the value instead: {', '.join(sorted(named))}")
    o = option_by_text(f.get("options"), s)
    return _parse_cascade(f, o["value"] if o is not None else s)


CASCADE = FieldType(
    name="cascade",
    options_schema={
        "parent": {"description": "the field (of the same record) whose value decides which options fit",
                   "type": "string", "minLength": 1},
        "options": {
            "type": "array", "minItems": 1,
            "items": {"type": "object", "required": ["value", "label", "parent"], "additionalProperties": False,
                      "properties": {**_OPTION_PROPS,
                                     "parent": {"description": "the parent field's value this option belongs to",
                                                "type": ["string", "number", "boolean"]}}},
        },
    },
    required_options=("parent", "options"),
    column=lambda f: sa.String(64),
    parse=_parse_cascade,
    dump=lambda f, v: v,
    expr_type=lambda f: T.SELECT,
    filter_ops=EQ_OPS,
    label={"zh": "级联选择", "en": "Cascading select"},
    parse_text=_cascade_from_text,
    display=lambda f, v, lang: option_label(f.get("options"), v, lang),
    json_schema=lambda f: {"type": ["string", "null"], "enum": [*_values(f), None]},
)


def check_cascades(batch) -> None:
    """A cascade value must belong to the record's parent value. Checked when either changes, so a
    record saved before an option moved can still be edited elsewhere."""
    fields = [f for f in batch.entity.fields if f.type_name == CASCADE.name]
    if not fields:
        return
    for w in batch.writes:
        if w.op not in ("create", "update") or w.recompute:
            continue
        failed = {e["path"] for e in w.errors}
        for f in fields:
            v, parent_name = w.values.get(f.name), f.definition.get("parent")
            if v is None or f.name in failed or parent_name in failed:
                continue
            if w.old is not None and w.old.get(f.name) == v and w.old.get(parent_name) == w.values.get(parent_name):
                continue
            if any(o["value"] == v for o in allowed_options(f.definition, w.values)):
                continue
            w.error(f.name, _mismatch(batch.entity, f, v, w.values.get(parent_name)), code="cascade")


def _mismatch(entity, f, value, parent_value) -> dict[str, str]:
    parent = entity.field(f.definition.get("parent"))
    name = f.definition.get("parent")
    p_label = parent.label if parent is not None else {"zh": name, "en": name}
    if parent_value is None:
        return msg(f"请先选择{p_label.get('zh')}", f"choose the {p_label.get('en')} first")

    def shown(lang: str) -> str:
        return parent.ftype.show(parent.definition, parent_value, lang) if parent is not None else str(parent_value)

    label = {lang: option_label(f.definition.get("options"), value, lang) for lang in ("zh", "en")}
    return msg(f"「{label['zh']}」不属于{p_label.get('zh')}「{shown('zh')}」",
               f"'{label['en']}' does not belong to {p_label.get('en')} '{shown('en')}'")


FIELD_TYPES = (MULTISELECT, CASCADE)
