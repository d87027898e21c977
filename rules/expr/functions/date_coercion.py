"""Date arguments: dates and datetimes as they are, text in the usual Chinese and ISO spellings
("2026-01-31", "2026/1/31", "2026年1月31日", optionally followed by a time), and numbers as Excel
serial days (counted from 1899-12-30, which agrees with Excel for every date from 1900-03-01 on)."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from ..values import DECIMAL_CONTEXT, NUM, VALUE, ExcelError

EPOCH = dt.date(1899, 12, 30)
_EPOCH_ORDINAL = EPOCH.toordinal()
_MAX_SERIAL = dt.date.max.toordinal() - _EPOCH_ORDINAL
_DAY_SECONDS = Decimal(86400)

_DATE_PART = (r"(?P<y>\d{4})\s*(?:[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})"
              r"|年\s*(?P<cm>\d{1,2})\s*月\s*(?P<cd>\d{1,2})\s*[日号]?)")
_TIME_PART = (r"(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{2})(?:\s*[:：]\s*(?P<S>\d{2})(?:\.(?P<F>\d{1,6})\d*)?)?"
              r"(?:\s*(?P<ampm>[AaPp][Mm]))?")
_DATETIME_RE = re.compile(rf"{_DATE_PART}(?:(?:\s+|T|(?<=[日号])){_TIME_PART})?")
_TIME_RE = re.compile(_TIME_PART)
_MAX_DATE_TEXT = 64  # no date is spelled longer; longer text is not parsed at all


def parse_temporal(s: str) -> dt.date | dt.datetime | dt.time | None:
    """A date, a datetime or a time of day read from text, or None when it reads as none of them."""
    s = s.strip()
    if len(s) > _MAX_DATE_TEXT:
        return None
    m = _DATETIME_RE.fullmatch(s)
    try:
        if m is not None:
            y = int(m["y"])
            mo, d = (m["m"], m["d"]) if m["m"] is not None else (m["cm"], m["cd"])
            day = dt.date(y, int(mo), int(d))
            if m["H"] is None:
                return day
            return dt.datetime.combine(day, _time_of(m))
        m = _TIME_RE.fullmatch(s)
        if m is not None:
            return _time_of(m)
    except ValueError:  # 2026-02-30, 25:00
        return None
    return None


def _time_of(m: re.Match) -> dt.time:
    h, mi = int(m["H"]), int(m["M"])
    sec = int(m["S"]) if m["S"] else 0
    micro = int(m["F"].ljust(6, "0")) if m["F"] else 0
    if m["ampm"]:
        if not 1 <= h <= 12:
            raise ValueError("hour out of a 12-hour clock")
        h = h % 12 + (12 if m["ampm"].lower() == "pm" else 0)
    return dt.time(h, mi, sec, micro)


def from_serial(n: Decimal) -> dt.date | dt.datetime | ExcelError:
    """Excel serial days to a date (a datetime when there is a fraction of a day)."""
    if n < 0 or n.adjusted() > 7:
        return NUM
    days = int(n.to_integral_value(rounding=ROUND_FLOOR))
    if days > _MAX_SERIAL:
        return NUM
    day = dt.date.fromordinal(_EPOCH_ORDINAL + days)
    seconds = int(DECIMAL_CONTEXT.multiply(n - days, _DAY_SECONDS).to_integral_value())
    if not seconds:
        return day
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=min(seconds, 86399))


def to_serial(v: dt.date | dt.datetime | dt.time) -> Decimal:
    """A date's Excel serial number; a datetime's carries the time as a fraction of a day."""
    if type(v) is dt.time:
        return _fraction(v)
    days = Decimal(v.toordinal() - _EPOCH_ORDINAL)
    if type(v) is dt.datetime:
        return DECIMAL_CONTEXT.add(days, _fraction(v.time()))
    return days


def _fraction(t: dt.time) -> Decimal:
    seconds = Decimal(t.hour * 3600 + t.minute * 60 + t.second) + Decimal(t.microsecond).scaleb(-6)
    return DECIMAL_CONTEXT.divide(seconds, _DAY_SECONDS)


def to_datetime_value(v: Any) -> dt.date | dt.datetime | ExcelError:
    """A date argument as a date or datetime. Blank is #VALUE!: a date that was never filled in has
    no year (Excel's 1900-01-00 would only hide the gap)."""
    t = type(v)
    if t is dt.date or t is dt.datetime:
        return v
    if t is ExcelError:
        return v
    if t is str:
        p = parse_temporal(v)
        if p is None or type(p) is dt.time:
            return VALUE
        return p
    if t is Decimal or t is int:
        return from_serial(Decimal(v))
    return VALUE


def to_date(v: Any) -> dt.date | ExcelError:
    d = to_datetime_value(v)
    return d.date() if type(d) is dt.datetime else d


def to_time_of_day(v: Any) -> dt.time | ExcelError:
    """HOUR/MINUTE/SECOND's argument: the time part of a datetime, midnight for a date."""
    t = type(v)
    if t is dt.time:
        return v
    if t is dt.datetime:
        return v.time()
    if t is dt.date:
        return dt.time()
    if t is str:
        p = parse_temporal(v)
        if p is None:
            return VALUE
        return to_time_of_day(p)
    if t is Decimal or t is int:
        n = Decimal(v)
        if 0 <= n < 1:  # a bare time as a fraction of a day
            n += 1
        d = from_serial(n)
        return d if type(d) is ExcelError else to_time_of_day(d)
    if t is ExcelError:
        return v
    return VALUE


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def shift_months(d: dt.date, months: int) -> dt.date | ExcelError:
    """``d`` moved by whole months, its day clamped to the end of a shorter month (Jan 31 + 1 = Feb 28)."""
    total = d.year * 12 + d.month - 1 + months
    y, m0 = divmod(total, 12)
    if not dt.MINYEAR <= y <= dt.MAXYEAR:
        return NUM
    return dt.date(y, m0 + 1, min(d.day, days_in_month(y, m0 + 1)))


def month_end(d: dt.date, months: int) -> dt.date | ExcelError:
    s = shift_months(d.replace(day=1), months)
    if type(s) is ExcelError:
        return s
    return s.replace(day=days_in_month(s.year, s.month))


def add_days(d: dt.date, days: int) -> dt.date | ExcelError:
    try:
        return d + dt.timedelta(days=days)
    except OverflowError:
        return NUM
