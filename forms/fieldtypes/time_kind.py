"""Time of day: ``09:30`` or ``09:30:15``, with no date and no zone (opening hours, a shift's start)."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

import sqlalchemy as sa

from engine.fieldtypes import ORDERED_OPS, FieldType, FieldValueError
from rules.expr import types as T

_API_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
# 9:30, 9点30分, 9时30分15秒, 下午3:30, 3:30 PM, 09:30:00.000 (a spreadsheet's time)
_TEXT_TIME = re.compile(
    r"^(?P<ampm1>上午|下午|早上|晚上|中午)?\s*(?P<h>\d{1,2})\s*[:点时]\s*"
    r"(?:(?P<m>\d{1,2})\s*(?:分\s*(?:(?P<s1>\d{1,2})\s*秒)?|:\s*(?P<s2>\d{1,2})(?:\.0+)?)?)?"
    r"\s*(?P<ampm2>am|pm|a\.m\.|p\.m\.)?$",
    re.IGNORECASE)
_MSG = ("应为时间 HH:MM 或 HH:MM:SS，例如 09:30", "must be a time HH:MM or HH:MM:SS, e.g. 09:30")


def _make(h: int, m: int, s: int) -> dt.time:
    try:
        return dt.time(h, m, s)
    except ValueError:
        raise FieldValueError(*_MSG) from None


def _parse_time(f, v):
    if v is None or v == "":
        return None
    if isinstance(v, dt.time):
        return v.replace(microsecond=0, tzinfo=None)
    if isinstance(v, str):
        m = _API_TIME.match(v.strip())
        if m:
            return _make(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    raise FieldValueError(*_MSG)


def _time_from_text(f, text):
    if not isinstance(text, str):
        return _parse_time(f, text)
    s = unicodedata.normalize("NFKC", text).strip()
    if s == "":
        return None
    m = _TEXT_TIME.match(s)
    if m is None:
        raise FieldValueError(f"不是有效的时间: {text}（例如 09:30）", f"is not a valid time: {text} (e.g. 09:30)")
    h = int(m.group("h"))
    half = (m.group("ampm1") or m.group("ampm2") or "").lower().replace(".", "")
    if half:
        if not 1 <= h <= 12:
            raise FieldValueError(*_MSG)
        if half == "中午":  # 中午12点 is noon, 中午1点 is 13:00
            h = h if h >= 11 else h + 12
        else:
            h = h % 12 + (12 if half in ("pm", "下午", "晚上") else 0)
    return _make(h, int(m.group("m") or 0), int(m.group("s1") or m.group("s2") or 0))


def _show_time(f, v, lang):
    return v.strftime("%H:%M" if v.second == 0 else "%H:%M:%S")


TIME = FieldType(
    name="time",
    options_schema={},
    column=lambda f: sa.Time(),
    parse=_parse_time,
    dump=lambda f, v: None if v is None else v.isoformat(),
    expr_type=lambda f: T.TIME,
    filter_ops=ORDERED_OPS,
    label={"zh": "时间", "en": "Time"},
    parse_text=_time_from_text,
    display=_show_time,
    json_schema=lambda f: {"type": ["string", "null"], "pattern": r"^\d{1,2}:\d{2}(:\d{2})?$"},
)

FIELD_TYPES = (TIME,)
