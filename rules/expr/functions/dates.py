"""Date and time functions. Dates are ``datetime.date`` values (not serial numbers); the clock and
the working calendars come from the EvalContext so a test, or a re-run, can pin them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable

from ..registry import EvalContext
from ..types import DATE, DATETIME, NUMBER, TEXT, TIME
from ..values import NUM, VALUE, ExcelError, to_text
from .date_coercion import add_days, month_end, shift_months, to_date, to_time_of_day
from .define import define, opt, req
from .numbers import as_int, int_arg, numeric

MAX_STEPS = 1_000_000  # days a calendar may be asked about in one call; beyond, #NUM!


def _today(ctx: EvalContext) -> dt.date:
    return ctx.today


def _now(ctx: EvalContext) -> dt.datetime:
    return ctx.now


@numeric
def _date(year: Decimal, month: Decimal, day: Decimal) -> dt.date | ExcelError:
    """Excel's DATE: years 0-1899 mean 1900-3799; months and days roll over in both directions
    (month 13 is January of the next year, day 0 the last day of the previous month)."""
    y, m, d = as_int(year), as_int(month), as_int(day)
    if 0 <= y < 1900:
        y += 1900
    if not 0 <= y <= 9999 or abs(m) > 120_000 or abs(d) > 4_000_000:
        return NUM
    first = shift_months(dt.date(2000, 1, 1), (y - 2000) * 12 + m - 1)
    if type(first) is ExcelError:
        return first
    return add_days(first, d - 1)


@numeric
def _time(hour: Decimal, minute: Decimal, second: Decimal) -> dt.time | ExcelError:
    h, m, s = as_int(hour), as_int(minute), as_int(second)
    if max(abs(h), abs(m), abs(s)) > 32767:
        return NUM
    total = h * 3600 + m * 60 + s
    if total < 0:
        return NUM
    total %= 86400  # Excel's TIME wraps past midnight
    return dt.time(total // 3600, total // 60 % 60, total % 60)


def _datevalue(text: Any) -> dt.date | ExcelError:
    return to_date(text)


def _part(get: Callable[[dt.date], int]) -> Callable[[Any], Decimal | ExcelError]:
    def impl(v: Any) -> Decimal | ExcelError:
        d = to_date(v)
        return d if type(d) is ExcelError else Decimal(get(d))

    return impl


def _time_part(get: Callable[[dt.time], int]) -> Callable[[Any], Decimal | ExcelError]:
    def impl(v: Any) -> Decimal | ExcelError:
        t = to_time_of_day(v)
        return t if type(t) is ExcelError else Decimal(get(t))

    return impl


def _weekday(v: Any, return_type: Any = Decimal(1)) -> Decimal | ExcelError:
    """Type 1: Sunday 1 .. Saturday 7; 2: Monday 1 .. Sunday 7; 3: Monday 0 .. Sunday 6;
    11-17: the week starts Monday (11) .. Sunday (17) as 1."""
    d, kind = to_date(v), int_arg(return_type)
    if type(d) is ExcelError:
        return d
    if type(kind) is ExcelError:
        return kind
    wd = d.weekday()  # Monday 0
    if kind == 1:
        return Decimal((wd + 1) % 7 + 1)
    if kind == 2:
        return Decimal(wd + 1)
    if kind == 3:
        return Decimal(wd)
    if 11 <= kind <= 17:
        return Decimal((wd - (kind - 11)) % 7 + 1)
    return NUM


_WEEK_STARTS = {1: 6, 2: 0, 11: 0, 12: 1, 13: 2, 14: 3, 15: 4, 16: 5, 17: 6}  # Python weekday a week starts


def _weeknum(v: Any, return_type: Any = Decimal(1)) -> Decimal | ExcelError:
    """Week 1 holds January 1st; type 1 weeks start on Sunday, type 2 on Monday; 21 is ISO 8601."""
    d, kind = to_date(v), int_arg(return_type)
    if type(d) is ExcelError:
        return d
    if type(kind) is ExcelError:
        return kind
    if kind == 21:
        return Decimal(d.isocalendar()[1])
    start = _WEEK_STARTS.get(kind)
    if start is None:
        return NUM
    offset = (dt.date(d.year, 1, 1).weekday() - start) % 7
    return Decimal((d.timetuple().tm_yday - 1 + offset) // 7 + 1)


def _isoweeknum(v: Any) -> Decimal | ExcelError:
    d = to_date(v)
    return d if type(d) is ExcelError else Decimal(d.isocalendar()[1])


def _datedif(start: Any, end: Any, unit: Any) -> Decimal | ExcelError:
    s, e, u = to_date(start), to_date(end), to_text(unit)
    for x in (s, e, u):
        if type(x) is ExcelError:
            return x
    if s > e:
        return NUM
    u = u.strip().upper()
    months = (e.year - s.year) * 12 + e.month - s.month - (1 if e.day < s.day else 0)
    if u == "Y":
        return Decimal(months // 12)
    if u == "M":
        return Decimal(months)
    if u == "D":
        return Decimal((e - s).days)
    if u == "YM":
        return Decimal(months % 12)
    if u == "YD":
        anchor = shift_months(s, months // 12 * 12)
        return Decimal((e - anchor).days)
    if u == "MD":
        # Days past the last whole month, counted from s moved on by those months (clamped to a
        # shorter month's end). Excel's own MD can go negative across a short February; this cannot.
        anchor = shift_months(s, months)
        return Decimal((e - anchor).days)
    return NUM


def _days(end: Any, start: Any) -> Decimal | ExcelError:
    e, s = to_date(end), to_date(start)
    for x in (e, s):
        if type(x) is ExcelError:
            return x
    return Decimal((e - s).days)


def _edate(start: Any, months: Any) -> dt.date | ExcelError:
    s, m = to_date(start), int_arg(months)
    if type(s) is ExcelError:
        return s
    if type(m) is ExcelError:
        return m
    return shift_months(s, max(-120_000, min(120_000, m)))


def _eomonth(start: Any, months: Any) -> dt.date | ExcelError:
    s, m = to_date(start), int_arg(months)
    if type(s) is ExcelError:
        return s
    if type(m) is ExcelError:
        return m
    return month_end(s, max(-120_000, min(120_000, m)))


# --- working days ------------------------------------------------------------------------------------

def _workday_test(ctx: EvalContext | None, holidays: Any) -> Callable[[dt.date], bool] | set | ExcelError:
    """What counts as a working day: a named calendar of the context (an object with
    ``is_workday(date)``), else Monday to Friday minus a set of holiday dates (returned as the set)."""
    if holidays is None:
        return set()
    t = type(holidays)
    if t is ExcelError:
        return holidays
    if t is str:
        calendars = getattr(ctx, "calendars", None) or {}
        if holidays in calendars:
            return calendars[holidays].is_workday
        if not holidays.strip():
            return set()
        d = to_date(holidays)
        return {d} if type(d) is dt.date else VALUE  # neither a calendar nor a date
    out: set[dt.date] = set()
    for v in holidays if t in (tuple, list) else (holidays,):
        if v is None or v == "":
            continue
        d = to_date(v)
        if type(d) is ExcelError:
            return d
        out.add(d)
    return out


def _weekdays_from(start: dt.date, end: dt.date) -> int:
    """Mondays to Fridays in [start, end], start <= end, without walking the days."""
    days = (end - start).days + 1
    weeks, rest = divmod(days, 7)
    wd = start.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (wd + i) % 7 < 5)


def _networkdays(ctx: EvalContext, start: Any, end: Any, holidays: Any = None) -> Decimal | ExcelError:
    s, e = to_date(start), to_date(end)
    for x in (s, e):
        if type(x) is ExcelError:
            return x
    test = _workday_test(ctx, holidays)
    if type(test) is ExcelError:
        return test
    sign = 1
    if s > e:
        s, e, sign = e, s, -1
    if isinstance(test, set):
        n = _weekdays_from(s, e) - sum(1 for h in test if s <= h <= e and h.weekday() < 5)
        return Decimal(sign * n)
    span = (e - s).days + 1
    if span > MAX_STEPS:
        return NUM
    n = sum(1 for i in range(span) if test(s + dt.timedelta(days=i)))
    return Decimal(sign * n)


def _shift_weekdays(d: dt.date, n: int) -> dt.date | ExcelError:
    """The date ``n`` Monday-to-Friday days after ``d`` (before, when negative); a weekend ``d``
    counts from the adjacent Friday (going forward) or Monday (going back)."""
    wd = d.weekday()
    weeks, rest = divmod(abs(n), 5)
    if n > 0:
        if wd >= 5:
            d, wd = add_days(d, 4 - wd), 4
            if type(d) is ExcelError:
                return d
        return add_days(d, weeks * 7 + rest + (2 if wd + rest >= 5 else 0))
    if wd >= 5:
        d, wd = add_days(d, 7 - wd), 0
        if type(d) is ExcelError:
            return d
    return add_days(d, -(weeks * 7 + rest + (2 if wd - rest < 0 else 0)))


def _workday(ctx: EvalContext, start: Any, days: Any, holidays: Any = None) -> dt.date | ExcelError:
    s, n = to_date(start), int_arg(days)
    if type(s) is ExcelError:
        return s
    if type(n) is ExcelError:
        return n
    test = _workday_test(ctx, holidays)
    if type(test) is ExcelError:
        return test
    if n == 0:
        return s
    if isinstance(test, set):
        # Jump over weekends arithmetically, then again over the holidays that jump crossed, until
        # no holiday is left in the last stretch: at most one round per holiday.
        d, remaining = s, n
        while remaining:
            nxt = _shift_weekdays(d, remaining)
            if type(nxt) is ExcelError:
                return nxt
            lo, hi = (d, nxt) if remaining > 0 else (nxt, d)
            crossed = sum(1 for h in test if lo < h <= hi and h.weekday() < 5) if remaining > 0 \
                else sum(1 for h in test if lo <= h < hi and h.weekday() < 5)
            d, remaining = nxt, crossed if remaining > 0 else -crossed
        return d
    if abs(n) > MAX_STEPS:
        return NUM
    step = dt.timedelta(days=1 if n > 0 else -1)
    d, remaining = s, abs(n)
    for _ in range(MAX_STEPS):
        d = d + step
        if test(d):
            remaining -= 1
            if not remaining:
                return d
    return NUM  # a calendar with (almost) no working days


DATES = "date"
_date_param = req("date", DATE)
_holidays = opt("holidays")  # a list of dates, one date, or a working calendar's name

SPECS = (
    define("TODAY", [], DATE, _today, "今天的日期", "Today's date", DATES, needs_context=True, volatile=True),
    define("NOW", [], DATETIME, _now, "当前日期和时间", "The current date and time", DATES,
           needs_context=True, volatile=True),
    define("DATE", [req("year", NUMBER), req("month", NUMBER), req("day", NUMBER)], DATE, _date,
           "由年、月、日组成日期（月、日超出范围时自动进位）",
           "A date from year, month and day (months and days roll over)", DATES),
    define("TIME", [req("hour", NUMBER), req("minute", NUMBER), req("second", NUMBER)], TIME, _time,
           "由时、分、秒组成时间", "A time of day from hour, minute and second", DATES),
    define("DATEVALUE", [req("date_text", TEXT)], DATE, _datevalue,
           "把日期文本（如 \"2026-01-31\"、\"2026年1月31日\"）转为日期",
           "Converts date text (\"2026-01-31\", \"2026/1/31\", \"2026年1月31日\") to a date", DATES),
    define("YEAR", [_date_param], NUMBER, _part(lambda d: d.year), "日期的年份", "The year of a date", DATES),
    define("MONTH", [_date_param], NUMBER, _part(lambda d: d.month),
           "日期的月份（1-12）", "The month of a date (1-12)", DATES),
    define("DAY", [_date_param], NUMBER, _part(lambda d: d.day),
           "日期是当月第几天（1-31）", "The day of the month (1-31)", DATES),
    define("HOUR", [req("time", DATETIME)], NUMBER, _time_part(lambda t: t.hour),
           "时间的小时（0-23）", "The hour of a time (0-23)", DATES),
    define("MINUTE", [req("time", DATETIME)], NUMBER, _time_part(lambda t: t.minute),
           "时间的分钟（0-59）", "The minute of a time (0-59)", DATES),
    define("SECOND", [req("time", DATETIME)], NUMBER, _time_part(lambda t: t.second),
           "时间的秒（0-59）", "The second of a time (0-59)", DATES),
    define("WEEKDAY", [_date_param, opt("return_type", NUMBER)], NUMBER, _weekday,
           "星期几（默认星期日为 1）", "Day of the week (Sunday is 1 unless a type says otherwise)", DATES),
    define("WEEKNUM", [_date_param, opt("return_type", NUMBER)], NUMBER, _weeknum,
           "一年中的第几周（默认每周从星期日开始）",
           "Week of the year (weeks start on Sunday by default)", DATES),
    define("ISOWEEKNUM", [_date_param], NUMBER, _isoweeknum,
           "ISO 8601 周数", "ISO 8601 week number", DATES),
    define("DATEDIF", [req("start_date", DATE), req("end_date", DATE), req("unit", TEXT)], NUMBER, _datedif,
           "两个日期之间的整年、整月或天数（单位 y/m/d/ym/yd/md）",
           "Whole years, months or days between two dates (units y, m, d, ym, yd, md)", DATES),
    define("DAYS", [req("end_date", DATE), req("start_date", DATE)], NUMBER, _days,
           "两个日期之间的天数（结束日期在前）", "Days between two dates (end date first)", DATES),
    define("EDATE", [req("start_date", DATE), req("months", NUMBER)], DATE, _edate,
           "若干个月之前或之后的同一天（月底自动截到较短月份的月末）",
           "The same day some months before or after (clamped to a shorter month's end)", DATES),
    define("EOMONTH", [req("start_date", DATE), req("months", NUMBER)], DATE, _eomonth,
           "若干个月之前或之后那个月的最后一天",
           "The last day of the month some months before or after", DATES),
    define("NETWORKDAYS", [req("start_date", DATE), req("end_date", DATE), _holidays], NUMBER, _networkdays,
           "两个日期之间（含首尾）的工作日数；第三个参数为节假日列表或工作日历名称",
           "Working days between two dates inclusive; the third argument is a list of holidays or a "
           "working calendar's name", DATES, needs_context=True),
    define("WORKDAY", [req("start_date", DATE), req("days", NUMBER), _holidays], DATE, _workday,
           "若干个工作日之前或之后的日期；第三个参数为节假日列表或工作日历名称",
           "The date some working days before or after; the third argument is a list of holidays or a "
           "working calendar's name", DATES, needs_context=True),
)
