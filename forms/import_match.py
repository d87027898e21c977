"""Import upsert: which rows of a file update an existing record, matched by a unique field (or id).

A row matches a record only among those the importer may READ, as every lookup of the API: a value
held by a record they cannot read is "not found", and the row creates (where the unique check then
refuses it without naming the holder, as any create would). The match field must be unique — a
non-unique one would pick one record out of several — and visible to the importer, or matching
would be a probe of values they may not see.
"""
from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from engine.errors import ValidationFailed, msg
from engine.fieldtypes import FieldValueError
from engine.records.read_path import ReadRequest

from .import_refs import CHUNK

ID_HEADERS = {"id", "#"}  # the column a file gives record ids in (match=id)
_ID = re.compile(r"^#?\s*(\d+)$")


def match_field(rt, app, entity, actor, match: str | None) -> str | None:
    """The field to match by (``id`` or a unique field), or None; a 422 at ``match`` otherwise."""
    if match is None or not match.strip():
        return None
    name = match.strip()
    if name == "id":
        return name
    f = entity.by_name.get(name)
    hidden = rt.read_scope(ReadRequest(rt, app, entity, rt.table(app.name, entity.name), actor)).hidden
    if f is None or not f.unique or not f.stored or f.computed or name in hidden:
        choices = ", ".join(["id"] + match_choices(rt, app, entity, actor))
        raise ValidationFailed("import.E008", msg(
            f"match 应为 id 或唯一字段 ({choices})", f"match must be id or a unique field ({choices})"),
            [{"path": "match", "message": msg(f"「{name}」不是可用于匹配的唯一字段",
                                              f"'{name}' is not a unique field to match records by")}])
    return name


def match_choices(rt, app, entity, actor) -> list[str]:
    """The unique fields an importer may match by: stored, not computed, not hidden from them."""
    hidden = rt.read_scope(ReadRequest(rt, app, entity, rt.table(app.name, entity.name), actor)).hidden
    return [f.name for f in entity.fields if f.unique and f.stored and not f.computed and f.name not in hidden]


def no_match_column(name: str) -> ValidationFailed:
    return ValidationFailed("import.E009", msg(f"文件中没有匹配字段 {name} 的列",
                                               f"the file has no column for {name}, the field to match records by"),
                            [{"path": "match", "message": msg("文件缺少这一列", "the file has no such column")}])


def stored_key(entity, name: str, col, text: str) -> Any:
    """The stored value a match cell names (None when it names nothing valid)."""
    if name == "id":
        m = _ID.match(text)
        return int(m.group(1)) if m else None
    try:
        return col.ftype.from_text(col.definition, text)
    except (FieldValueError, TypeError, ValueError, KeyError, AttributeError):
        return None  # the cell's own problem is reported where the row is read


def find_records(rt, app, entity, actor, conn, name: str, keys: set) -> dict[Any, int]:
    """Stored value -> id of the readable, not deleted record holding it."""
    table = rt.table(app.name, entity.name)
    scope = rt.read_scope(ReadRequest(rt, app, entity, table, actor))
    conds = [table.c.deleted_at.is_(None)] + ([scope.where] if scope.where is not None else [])
    col = table.c.id if name == "id" else table.c[entity.by_name[name].column_name]
    out: dict[Any, int] = {}
    items = sorted(k for k in keys if k is not None)
    for i in range(0, len(items), CHUNK):
        for rid, v in conn.execute(sa.select(table.c.id, col).where(col.in_(items[i: i + CHUNK]), *conds)):
            out.setdefault(v, rid)
    return out
