"""Stored values <-> the text of an exported data file, one canonical form per value.

A row is one line of JSON with its keys sorted (JSONB reorders the keys of a JSON value: they are
sorted at every depth), in the table's key order. By column type: a decimal is its exact text
("12.50", so money never passes through a float), a date/time its ISO form, a JSON value as it is,
bytes as ``{"$base64": ...}``. Reading uses the column's type again, so text stays text.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa


def _base(col: sa.Column) -> sa.types.TypeEngine:
    t = col.type
    return t.impl_instance if isinstance(t, sa.types.TypeDecorator) else t


def encode(col: sa.Column, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, float) and isinstance(_base(col), sa.Numeric) and not isinstance(_base(col), sa.Float):
        return str(Decimal(repr(value)))
    return value


def decode(col: sa.Column, value: Any) -> Any:
    if value is None:
        return None
    base = _base(col)
    if isinstance(base, sa.JSON):
        return value
    if isinstance(base, sa.DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(base, sa.Date):
        return dt.date.fromisoformat(value)
    if isinstance(base, sa.Time):
        return dt.time.fromisoformat(value)
    if isinstance(base, sa.Float):
        return float(value)
    if isinstance(base, sa.Numeric):
        return Decimal(value)
    if isinstance(base, sa.LargeBinary) and isinstance(value, dict):
        return base64.b64decode(value["$base64"])
    return value


def line(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def read_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(s) for s in text.splitlines() if s.strip()]
