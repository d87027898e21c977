"""A record's value as a person reads it in a spreadsheet cell.

The input is the API form the read path gives (so hidden fields and unreadable records are already
gone); the output is a cell value: numbers stay numbers (Decimal), dates become dates, date-times
the actor's local time, related records and people their title, options their label.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Mapping, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .io_columns import Col, label_in

YES_NO = {"zh": ("是", "否"), "en": ("Yes", "No")}
LIST_SEP = {"zh": "、", "en": ", "}


def zone(name: str | None) -> dt.tzinfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


class Styled(NamedTuple):
    """A number shown with a format in xlsx (a percent is the fraction, shown as 15%); csv gets
    ``text``, what a person reads."""

    value: Any
    number_format: str
    text: str


def display_cell(col: Col, value: Any, lang: str, tz: dt.tzinfo) -> Any:
    if value is None or value == "" or value == []:
        return None
    if col.type_name == "percent" and isinstance(value, Decimal) and col.ftype.display is not None:
        places = int(col.definition.get("precision", 2))
        fmt = "0" + ("." + "0" * places if places else "") + "%"
        return Styled(value, fmt, col.ftype.display(col.definition, value, lang))
    if col.relation_to or col.references_core or isinstance(value, Mapping):
        return _titles(value, lang)
    if col.type_name == "date" and isinstance(value, str):
        return _date(value)
    if col.type_name == "datetime" and isinstance(value, str):
        return _local(value, tz)
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return value
    if col.ftype.display is not None:
        try:
            return col.ftype.display(col.definition, _stored(col, value), lang)
        except (TypeError, ValueError, KeyError, AttributeError):
            pass  # a display hook that does not take this value: fall back to the plain forms below
    if isinstance(value, bool):
        return YES_NO[lang][0 if value else 1]
    options = _option_labels(col, lang)
    if isinstance(value, (list, tuple)):
        return LIST_SEP[lang].join(str(options.get(v, v)) for v in value)
    if options:
        return options.get(value, value)
    return value if isinstance(value, str) else str(value)


def _stored(col: Col, value: Any) -> Any:
    """The stored value behind an API value (they differ for a few types, e.g. dates)."""
    try:
        return col.ftype.parse(col.definition, value)
    except Exception:  # noqa: BLE001 - a computed type may refuse input; its API value is what we have
        return value


def _titles(value: Any, lang: str) -> str:
    if isinstance(value, (list, tuple)):
        return LIST_SEP[lang].join(_titles(v, lang) for v in value if v is not None)
    if isinstance(value, Mapping):
        for key in ("title", "name", "login"):
            if value.get(key):
                return str(value[key])
        return f"#{value['id']}" if value.get("id") is not None else ""
    return value if isinstance(value, str) else f"#{value}"


def _option_labels(col: Col, lang: str) -> dict[str, str]:
    out = {}
    for o in col.definition.get("options") or ():
        if isinstance(o, Mapping) and "value" in o:
            out[o["value"]] = label_in(o.get("label") or {}, lang, o["value"])
    return out


def _date(text: str) -> dt.date | str:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return text


def _local(text: str, tz: dt.tzinfo) -> dt.datetime | str:
    s = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        d = dt.datetime.fromisoformat(s)
    except ValueError:
        return text
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return d.astimezone(tz).replace(tzinfo=None)


def csv_text(value: Any) -> str:
    """A cell value as CSV text. Text that Excel would run as a formula gets a leading apostrophe
    (the import takes it off again)."""
    if value is None:
        return ""
    if isinstance(value, Styled):
        return value.text
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    s = str(value)
    if s[:1] in FORMULA_START:
        return "'" + s
    return s


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
