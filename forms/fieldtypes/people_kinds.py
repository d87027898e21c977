"""People kinds: a member (a user) and a department of the organisation, stored by id.

Whether the id exists (and the user is active) needs the database, so parsing only reads the id and
a pipeline check looks the ids up, one query per field per batch. Imports name people by login or
name and departments by code or name: ``resolve_text`` turns such text into the id, and
``display_texts`` gives exports the names (with the login or code where a name is shared), which
``resolve_text`` reads back.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Iterable, Mapping

import sqlalchemy as sa

from engine.errors import msg
from engine.fieldtypes import EQ_OPS, MAX_ID, FieldType, FieldValueError
from rules.expr import types as T

_ID_TEXT = re.compile(r"^#?(\d+)$")
_NAME_AND_KEY = re.compile(r"^(?P<name>.+?)\s*[(（](?P<key>[^()（）]+)[)）]$")  # 张三 (zhangsan)
_WORDS = {"user": ("用户", "user"), "department": ("部门", "department")}
_CHUNK = 900  # SQLite caps the bound parameters of a statement


def _id_parser(kind: str):
    zh, en = _WORDS[kind]

    def parse(f, v):
        """An id, or {"id": ...} as the API returns related things."""
        if v is None or v == "":
            return None
        if isinstance(v, Mapping) and "id" in v:
            v = v["id"]
        problem = FieldValueError(f"应为{zh} id", f"must be a {en} id")
        if isinstance(v, bool):
            raise problem
        if isinstance(v, str):
            if not v.strip():
                return None
            m = _ID_TEXT.match(v.strip())
            if m is None:
                raise problem
            v = m.group(1)
        try:
            i = int(v)
        except (TypeError, ValueError):
            raise problem from None
        if not 0 < i <= MAX_ID or (isinstance(v, (Decimal, float)) and i != v):
            raise problem
        return i

    return parse


def _id_schema(f):
    return {"oneOf": [{"type": "integer", "minimum": 1},
                      {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "minimum": 1}}},
                      {"type": "null"}]}


def _people_type(kind: str, label: Mapping[str, str], expr_type: T.Type) -> FieldType:
    parse = _id_parser(kind)
    return FieldType(
        name=kind,
        options_schema={},
        column=lambda f: sa.BigInteger(),
        parse=parse,
        dump=lambda f, v: v,
        expr_type=lambda f: expr_type,
        filter_ops=EQ_OPS,
        label=label,
        parse_text=parse,  # ids only: names need the database, see resolve_text
        display=lambda f, v, lang: f"#{v}",  # names need the database, see display_texts
        json_schema=_id_schema,
        references_core=kind,
        api_values=_api_values,
    )


def _api_values(reader, f, stored: dict, conn) -> dict:
    """{id, title} like a relation, so a form shows the member's or department's name."""
    ids = {v for v in stored.values() if v is not None}
    names = display_texts(reader.runtime, conn, f.definition, ids) if ids else {}
    return {k: None if v is None else {"id": v, "title": names.get(v, f"#{v}")} for k, v in stored.items()}


USER = _people_type("user", {"zh": "成员", "en": "Member"}, T.NUMBER)
DEPARTMENT = _people_type("department", {"zh": "部门", "en": "Department"}, T.NUMBER)
FIELD_TYPES = (USER, DEPARTMENT)


# --- the check: the ids exist (and users are active) ---------------------------------------------------
def check_members(batch) -> None:
    fields = [f for f in batch.entity.fields if f.ftype.references_core in _WORDS and f.stored]
    for f in fields:
        wanted = {w.values.get(f.name) for w in batch.writes
                  if w.op in ("create", "update") and w.values.get(f.name) is not None
                  and (w.old is None or w.old.get(f.name) != w.values.get(f.name))}
        if not wanted:
            continue
        table = batch.runtime.db.core[f.ftype.references_core]
        ids, found = sorted(wanted), set()
        for i in range(0, len(ids), _CHUNK):
            q = sa.select(table.c.id).where(table.c.id.in_(ids[i: i + _CHUNK]), table.c.active.is_(True))
            found.update(batch.conn.execute(q).scalars())
        zh, en = _WORDS[f.ftype.references_core]
        for w in batch.writes:
            v = w.values.get(f.name)
            if v is not None and v in wanted and v not in found:
                w.error(f.name, msg(f"{zh} {v} 不存在或已停用", f"{en} {v} does not exist or is inactive"),
                        code=f.ftype.references_core)


# --- text from imports and for exports -----------------------------------------------------------------
def resolve_text(runtime, conn: sa.Connection, field_def: Mapping[str, Any], text: str) -> int | None:
    """The id a cell names: ``#12`` or ``12``; a user's login or name, a department's code or name;
    or the ``name (login)`` / ``name (code)`` form ``display_texts`` writes. Raises FieldValueError
    when nothing or more than one thing matches. Whether the id may be used is the pipeline's check."""
    kind = field_def.get("type")
    if kind not in _WORDS:
        raise ValueError(f"resolve_text is for user and department fields, not {kind!r}")
    s = (text or "").strip()
    if s == "":
        return None
    m = _ID_TEXT.match(s)
    if m:
        return int(m.group(1))
    table = runtime.db.core[kind]
    key_col = table.c.login if kind == "user" else table.c.code
    pair = _NAME_AND_KEY.match(s)
    if pair:  # name (login) / name (code) / name (#id)
        key = pair.group("key").strip()
        km = _ID_TEXT.match(key)
        if km and key.startswith("#"):
            return int(km.group(1))
        found = _ids(conn, table, sa.func.lower(key_col) == key.lower())
        if len(found) == 1:
            return found[0]
    found = _ids(conn, table, sa.func.lower(key_col) == s.lower())
    if len(found) == 1:
        return found[0]
    named = _ids(conn, table, table.c.name == s)
    if len(named) > 1:  # prefer the active one(s) when a name is shared with someone who left
        named = _ids(conn, table, table.c.name == s, table.c.active.is_(True)) or named
    zh, en = _WORDS[kind]
    key_zh, key_en = ("登录名", "login") if kind == "user" else ("编码", "code")
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise FieldValueError(f"有多个名为「{s}」的{zh}，请填写{key_zh}",
                              f"several {en}s are called '{s}'; give the {key_en}")
    raise FieldValueError(f"找不到{zh}「{s}」", f"no {en} '{s}'")


def _ids(conn, table, *conds) -> list[int]:
    return list(conn.execute(sa.select(table.c.id).where(*conds).order_by(table.c.id).limit(2)).scalars())


def display_texts(runtime, conn: sa.Connection, field_def: Mapping[str, Any], ids: Iterable[int]) -> dict[int, str]:
    """What a person reads for each id: the name, with the login (user) or code (department) where
    another one has the same name, so ``resolve_text`` reads it back to the same id."""
    kind = field_def.get("type")
    table = runtime.db.core[kind]
    key_col = table.c.login if kind == "user" else table.c.code
    ids = sorted({i for i in ids if i is not None})
    rows = []
    for i in range(0, len(ids), _CHUNK):
        rows += conn.execute(sa.select(table.c.id, table.c.name, key_col).where(table.c.id.in_(ids[i: i + _CHUNK])))
    names = sorted({r[1] for r in rows})
    shared: set[str] = set()
    for i in range(0, len(names), _CHUNK):
        chunk = names[i: i + _CHUNK]
        q = sa.select(table.c.name).where(table.c.name.in_(chunk)).group_by(table.c.name).having(sa.func.count() > 1)
        shared.update(conn.execute(q).scalars())
    out = {}
    for rid, name, key in rows:
        if name in shared:
            out[rid] = f"{name} ({key})" if key else f"{name} (#{rid})"
        else:
            out[rid] = name
    for i in ids:
        out.setdefault(i, f"#{i}")  # no longer there: its id is all that is left to show
    return out
