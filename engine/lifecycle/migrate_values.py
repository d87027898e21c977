"""What an upgrade does to the values already stored, worked out before anything is touched.

A converted value goes through the new field type's text parser (``from_text``: what an import cell
or a person typing the old value would get), so "converts" means what it means everywhere else; a
value that does not convert is listed (entity, id, value, why) and the upgrade refused unless the
command says what to put there (``--fill entity.field=VALUE`` or ``=blank``). ``--fill`` also gives
existing rows a value for a field that became required and has no default."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

import sqlalchemy as sa

from ..errors import msg
from ..fieldtypes import FieldValueError, plain_decimal

BLANK = "blank"  # --fill entity.field=blank
SHOWN = 20  # rows listed per field in a refusal


@dataclass
class UpgradeOptions:
    """What the person running the upgrade allowed or said: the CLI flags, as data."""
    allow_data_loss: bool = False
    fills: Mapping[str, str] = field(default_factory=dict)  # "customer.level" -> text, or "blank"
    option_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # field -> {old: new}


def upgrade_options(allow_data_loss: bool, fills: list[str], maps: list[str]) -> UpgradeOptions:
    """The CLI's ``--fill entity.field=VALUE`` and ``--map-option entity.field:old=new``; a malformed
    one raises ValueError with a bilingual message."""
    f: dict[str, str] = {}
    for arg in fills:
        where, eq, value = arg.partition("=")
        if not eq or "." not in where:
            raise ValueError(f"--fill 应为 实体.字段=值 / --fill takes ENTITY.FIELD=VALUE: {arg}")
        f[where.strip()] = value
    m: dict[str, dict[str, str]] = {}
    for arg in maps:
        where, colon, pair = arg.partition(":")
        old, eq, new = pair.partition("=")
        if not colon or not eq or "." not in where or not old or not new:
            raise ValueError(f"--map-option 应为 实体.字段:旧值=新值 / --map-option takes ENTITY.FIELD:OLD=NEW: {arg}")
        m.setdefault(where.strip(), {})[old] = new
    return UpgradeOptions(allow_data_loss, f, m)


def problem(code: str, where: str, zh: str, en: str, **extra: Any) -> dict[str, Any]:
    """One reason an upgrade is refused, as a JimuError detail (printed by the CLI at ``path``)."""
    entity, _, name = where.rpartition(".")
    return {"code": code, "path": where, "entity": entity or where, "field": name if entity else None,
            "message": msg(zh, en), **extra}


def as_text(value: Any) -> str:
    """A stored value as a person would type it: 1234.5, 2026-01-05, true."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


def convert(ftype, fdef: Mapping[str, Any], value: Any) -> Any:
    """The old value in the new field: raises FieldValueError when it does not convert."""
    if value is None:
        return None
    if isinstance(value, (list, dict)):  # a multi-select's list: its parser takes it as is
        return ftype.parse(fdef, value)
    return ftype.from_text(fdef, as_text(value))


def parse_fill(ftype, fdef: Mapping[str, Any], where: str, text: str) -> tuple[Any, dict | None]:
    """(value, problem) for ``--fill where=text``."""
    if text == BLANK:
        if fdef.get("required"):
            return None, problem("migrate.E006", where, f"{where} 是必填字段，不能填为空",
                                 f"{where} is required: it cannot be filled with blank")
        return None, None
    try:
        value = ftype.from_text(fdef, text)
    except FieldValueError as e:
        return None, problem("migrate.E006", where, f"--fill {where}={text}：{e.message['zh']}",
                             f"--fill {where}={text}: {e.message['en']}")
    return value, None


def read_conversions(conn: sa.Connection, old: sa.Table, column: str, ftype, fdef: Mapping[str, Any],
                     ) -> tuple[dict[int, Any], list[dict[str, Any]]]:
    """({id: new value} for every non-empty value that converts, [{id, value, message}] of those that don't)."""
    ok: dict[int, Any] = {}
    bad: list[dict[str, Any]] = []
    c = old.c[column]
    for rid, value in conn.execute(sa.select(old.c.id, c).where(c.is_not(None)).order_by(old.c.id)):
        try:
            ok[rid] = convert(ftype, fdef, value)
        except FieldValueError as e:
            bad.append({"id": rid, "value": as_text(value), "message": e.message})
    return ok, bad
