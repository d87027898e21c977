"""Values as a printed document shows them: money with thousands separators and its precision,
dates in the reader's language, date-times in the reader's zone, options by label, related records
and people by name.

The input is the API form the read path gives (hidden fields and unreadable records are already
gone), so nothing here can show what the reader may not see.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.fieldtypes import option_label, plain_decimal

YES_NO = {"zh": ("是", "否"), "en": ("Yes", "No")}
LIST_SEP = {"zh": "、", "en": ", "}
CURRENCY_SIGNS = {"CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "HKD": "HK$", "EUR": "€", "GBP": "£"}
MONEY_PLACES = 2


def zone(name: str | None) -> dt.tzinfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def format_number(value: Any, places: int | None = None) -> str:
    """1234567.5 -> "1,234,567.5"; with ``places`` exactly that many decimals (half away from zero)."""
    d = _decimal(value)
    if d is None:
        return "" if value is None else str(value)
    if places is None:
        text = plain_decimal(d)
        whole, _, frac = text.lstrip("-").partition(".")
        sign = "-" if text.startswith("-") else ""
        return f"{sign}{int(whole):,}" + (f".{frac}" if frac else "")
    q = d.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return f"{q:,.{int(places)}f}"


def format_money(value: Any, places: int | None = None, currency: str | None = None) -> str:
    """12345.6 -> "12,345.60"; with a currency its sign goes first: "¥12,345.60", "-$5.00", "CHF 3.00"."""
    d = _decimal(value)
    if d is None:
        return "" if value is None else str(value)
    text = format_number(abs(d), MONEY_PLACES if places is None else places)
    sign = "-" if d < 0 else ""
    if not currency:
        return sign + text
    mark = CURRENCY_SIGNS.get(currency.upper())
    return f"{sign}{mark}{text}" if mark else f"{sign}{currency.upper()} {text}"


def format_date(value: Any, lang: str) -> str:
    d = value if isinstance(value, dt.date) else _parse_date(value)
    if d is None:
        return "" if value is None else str(value)
    if isinstance(d, dt.datetime):
        d = d.date()
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else d.isoformat()


def format_datetime(value: Any, lang: str, tz: dt.tzinfo) -> str:
    """An API date-time (UTC, "...Z") in the reader's zone, to the minute."""
    d = value if isinstance(value, dt.datetime) else _parse_datetime(value)
    if d is None:
        return "" if value is None else str(value)
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    local = d.astimezone(tz)
    return f"{format_date(local.date(), lang)} {local:%H:%M}"


def _parse_date(text: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _parse_datetime(text: Any) -> dt.datetime | None:
    s = str(text)
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        return dt.datetime.fromisoformat(s)
    except ValueError:
        return None


def title_of(value: Any) -> str:
    """A related record ({id, title}) by its title; one the reader may not read has none and prints blank."""
    if isinstance(value, Mapping):
        for key in ("title", "name", "login"):
            if value.get(key):
                return str(value[key])
        return ""
    return "" if value is None else str(value)


def show_value(type_name: str, fdef: Mapping[str, Any], ftype: Any, value: Any, lang: str, tz: dt.tzinfo,
               names: Mapping[int, str] | None = None) -> str:
    """One field's API value as text for people. ``type_name``/``fdef`` are the type the value has
    (for a computed field, the type of its result); ``names`` maps the ids of a people field to names."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, Mapping) or fdef.get("type") == "relation" or type_name == "relation":
        return title_of(value)
    if getattr(ftype, "references_core", None) and not isinstance(value, (list, tuple)):
        return (names or {}).get(value) or f"#{value}"
    if type_name == "money":
        return format_money(value, fdef.get("precision"), fdef.get("currency"))
    if type_name == "number":
        return format_number(value, fdef.get("precision"))
    if type_name == "date":
        return format_date(value, lang)
    if type_name == "datetime":
        return format_datetime(value, lang, tz)
    if type_name == "boolean" or isinstance(value, bool):
        return YES_NO[lang][0 if value else 1]
    if type_name == "select":
        return option_label(fdef.get("options"), value, lang)
    display = getattr(ftype, "display", None)
    if display is not None:
        try:
            return str(display(fdef, _stored(ftype, fdef, value), lang))
        except (TypeError, ValueError, KeyError, AttributeError, InvalidOperation):
            pass  # a display hook that does not take this value: the plain forms below
    if isinstance(value, (list, tuple)):
        return LIST_SEP[lang].join(title_of(v) if isinstance(v, Mapping) else str(v) for v in value)
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


def _stored(ftype: Any, fdef: Mapping[str, Any], value: Any) -> Any:
    """The stored value behind an API value (display hooks take stored values; most are the same)."""
    try:
        return ftype.parse(fdef, value)
    except Exception:  # noqa: BLE001 - a computed type may refuse input; its API value is what we have
        return value
