"""What a print template sees: the record as the reader may read it, shown for people.

    record   every field, formatted ("¥12,345.60", "2025年3月5日", an option's label, a related
             record's title, a person's name); a sub-table is a list of rows formatted the same
             way, each with its ``id``; a field hidden from the reader is blank
    raw      the record as the API gives it to this reader (numbers as Decimal, dates as ISO text)
    labels   field labels in the language; a sub-table's columns as "lines.qty"
    lang, today, user (who prints), app, entity (labels)

The record comes from ``RecordReader`` (row scope and hidden fields applied), so the context holds
nothing the reader could not read through the API.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from engine.compiled import CompiledApp, CompiledEntity, CompiledField

from .formatting import format_date, format_datetime, show_value, zone
from .templates import Fields


def label_in(label: Mapping[str, str], lang: str, default: str) -> str:
    return label.get(lang) or label.get("zh") or label.get("en") or default


def row_fields(app: CompiledApp, entity: CompiledEntity, f: CompiledField) -> tuple[CompiledField, ...] | None:
    """The compiled fields of a sub-table's rows, or None when ``f`` is not a sub-table."""
    rows = getattr(f.ftype, "rows", None)
    if rows is None or not isinstance(f.definition.get("fields"), (list, tuple)):
        return None
    return rows.get(app.name, entity.name, f.definition).fields


def _value_type(app: CompiledApp, f: CompiledField) -> tuple[str, Mapping[str, Any], Any]:
    """(type name, definition, field type) the value has: a computed field shows as its result's type."""
    kinds = getattr(f.ftype, "kinds", None)
    if kinds is not None:
        try:
            vt = kinds.value_type(app, f)
            return vt.name, kinds.value_def(app, f), vt
        except Exception:  # noqa: BLE001 - an unresolvable computed type still prints its plain value
            pass
    return f.type_name, f.definition, f.ftype


class _People:
    """Names of the users and departments people fields hold (ids in the API form), looked up once."""

    def __init__(self, runtime, conn) -> None:
        self.runtime, self.conn = runtime, conn
        self.names: dict[tuple[str, int], str] = {}

    def load(self, f: CompiledField, values) -> None:
        kind = getattr(f.ftype, "references_core", None)
        ids = {v for v in values if isinstance(v, int) and not isinstance(v, bool) and (kind, v) not in self.names}
        if kind is None or not ids:
            return
        for i, name in _display_texts(self.runtime, self.conn, f.definition, kind, ids).items():
            self.names[(kind, i)] = name

    def of(self, f: CompiledField) -> dict[int, str]:
        kind = getattr(f.ftype, "references_core", None)
        return {i: n for (k, i), n in self.names.items() if k == kind}


def _display_texts(runtime, conn, fdef, kind: str, ids: set[int]) -> dict[int, str]:
    try:
        from forms.fieldtypes import display_texts
    except ImportError:  # without the people field types: plain names
        display_texts = None
    if display_texts is not None and fdef.get("type") in ("user", "department"):
        return display_texts(runtime, conn, fdef, ids)
    import sqlalchemy as sa

    t = runtime.db.core[kind]
    return dict(conn.execute(sa.select(t.c.id, t.c.name).where(t.c.id.in_(sorted(ids)))).all())


def print_context(runtime, app: CompiledApp, entity: CompiledEntity, record: Mapping[str, Any], *, lang: str,
                  actor, conn) -> dict[str, Any]:
    from engine.platform.clock import business_zone

    # the user's own zone, else the business zone (as TODAY() is): never the UTC date at 00:30 in Beijing
    tz = zone(getattr(actor, "time_zone", None) or business_zone(runtime.settings))
    people = _People(runtime, conn)
    subs = {f.name: row_fields(app, entity, f) for f in entity.fields}
    for f in entity.fields:
        if subs[f.name] is not None:
            rows = [r for r in record.get(f.name) or () if isinstance(r, Mapping)]
            for rf in subs[f.name]:
                people.load(rf, [r.get(rf.name) for r in rows])
        else:
            people.load(f, [record.get(f.name)])
    shown = Fields(id=record.get("id"), title=record.get("title") or "")
    raw = Fields(record)
    labels: dict[str, str] = {}
    for f in entity.fields:
        labels[f.name] = label_in(f.label, lang, f.name)
        cols = subs[f.name]
        if cols is None:
            shown[f.name] = _show(app, f, record.get(f.name), lang, tz, people)
            continue
        rows = [r for r in record.get(f.name) or () if isinstance(r, Mapping)]
        shown[f.name] = [Fields({"id": r.get("id"), **{rf.name: _show(app, rf, r.get(rf.name), lang, tz, people)
                                                       for rf in cols}}) for r in rows]
        raw[f.name] = [Fields(r) for r in rows]
        for rf in cols:
            labels[f"{f.name}.{rf.name}"] = label_in(rf.label, lang, rf.name)
    owner = record.get("owner")
    if isinstance(owner, int):
        shown["owner"] = _display_texts(runtime, conn, {"type": "user"}, "user", {owner}).get(owner, "")
    for stamp in ("created_at", "updated_at"):
        shown[stamp] = format_datetime(record.get(stamp), lang, tz) if record.get(stamp) else ""
    now = runtime.clock().replace(tzinfo=dt.timezone.utc).astimezone(tz)
    return {
        "record": shown, "raw": raw, "labels": labels, "lang": lang,
        "today": format_date(now.date(), lang),
        "user": getattr(actor, "name", "") or "",
        "app": label_in(app.label, lang, app.name), "entity": label_in(entity.label, lang, entity.name),
    }


def _show(app: CompiledApp, f: CompiledField, value: Any, lang: str, tz, people: _People) -> str:
    type_name, fdef, ftype = _value_type(app, f)
    names = people.of(f) if getattr(f.ftype, "references_core", None) else None
    return show_value(type_name, fdef, ftype, value, lang, tz, names)
