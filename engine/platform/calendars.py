"""Working calendars: which days are worked. Weekends, public holidays and make-up working days
(调休, a weekend day worked in exchange for a longer holiday), kept per installation in
``jimu_calendar``.

Working-day timeouts count with ``add_workdays``; the expression language's NETWORKDAYS and WORKDAY
use a calendar when given its name as their holidays argument (``NETWORKDAYS(a, b, "default")``)
through ``calendars_for(runtime)``, which an ``EvalContext(calendars=...)`` takes as it is.

The calendar named ``default`` always exists: Saturday and Sunday off until an admin changes it.
It is stored the first time the calendars are listed.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from ..errors import NotFound, ValidationFailed, detail, msg

DEFAULT = "default"
DEFAULT_LABEL = {"zh": "默认工作日历", "en": "Default calendar"}
MAX_STEPS = 1_000_000  # days add_workdays may walk; a calendar is checked to have working days, so only a huge n


@dataclass(frozen=True)
class WorkingCalendar:
    name: str
    label: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LABEL))
    weekends: frozenset[int] = frozenset({5, 6})  # Monday 0 .. Sunday 6
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()  # 调休: worked although the weekday is a weekend

    def is_workday(self, d: dt.date) -> bool:
        if isinstance(d, dt.datetime):
            d = d.date()
        if d in self.workdays:
            return True
        return d not in self.holidays and d.weekday() not in self.weekends

    def networkdays(self, a: dt.date, b: dt.date) -> int:
        """Working days from ``a`` to ``b``, both included; negative when ``b`` comes first (as
        Excel's NETWORKDAYS). Counted by weeks, then corrected by the listed dates in the range."""
        if a > b:
            return -self.networkdays(b, a)
        days = (b - a).days + 1
        weeks, rest = divmod(days, 7)
        first = a.weekday()
        n = weeks * (7 - len(self.weekends)) + sum(1 for i in range(rest) if (first + i) % 7 not in self.weekends)
        n -= sum(1 for h in self.holidays if a <= h <= b and h.weekday() not in self.weekends)
        n += sum(1 for w in self.workdays if a <= w <= b and w.weekday() in self.weekends)
        return n

    def add_workdays(self, start: dt.date | dt.datetime, n: int, *, time_zone: str | None = None):
        """The date ``n`` working days after ``start`` (before it when ``n`` is negative; ``start``
        itself is not counted, as in WORKDAY). A datetime keeps its time of day: that is a
        working-day timeout. Stored datetimes are naive UTC; with ``time_zone`` the days are counted
        in that zone (a Friday evening in Shanghai is already Saturday morning there)."""
        if isinstance(start, dt.datetime):
            if time_zone is None:
                return dt.datetime.combine(self._shift(start.date(), n), start.time())
            tz = _zone(time_zone)
            local = start.replace(tzinfo=dt.timezone.utc).astimezone(tz)
            moved = dt.datetime.combine(self._shift(local.date(), n), local.time(), tzinfo=tz)
            return moved.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return self._shift(start, n)

    def _shift(self, d: dt.date, n: int) -> dt.date:
        step = dt.timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        for _ in range(MAX_STEPS):
            if not remaining:
                return d
            d += step
            if self.is_workday(d):
                remaining -= 1
        raise ValidationFailed("calendar.E010", msg("工作日数过大", "too many working days to count"))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": dict(self.label), "weekends": sorted(self.weekends),
                "holidays": sorted(d.isoformat() for d in self.holidays),
                "workdays": sorted(d.isoformat() for d in self.workdays)}

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> WorkingCalendar:
        """A calendar from its JSON form, every problem reported at once (422)."""
        problems: list[dict] = []
        for k in sorted(set(data) - {"name", "label", "weekends", "holidays", "workdays"}):
            problems.append(detail(k, "未知字段", "unknown field"))
        if not isinstance(name, str) or not name.strip() or len(name) > 64:
            problems.append(detail("name", "名称不能为空，最多 64 个字符", "a name of 1 to 64 characters"))
        label = data.get("label")
        if label is None:
            label = dict(DEFAULT_LABEL) if name == DEFAULT else {"zh": name, "en": name}
        if not (isinstance(label, Mapping) and all(isinstance(label.get(k), str) and label[k] for k in ("zh", "en"))):
            problems.append(detail("label", "应为 {zh, en}", "must be {zh, en}"))
        weekends = data.get("weekends", [5, 6])
        if not isinstance(weekends, list) or not all(type(x) is int and 0 <= x <= 6 for x in weekends):
            problems.append(detail("weekends", "应为 0（星期一）到 6（星期日）的列表",
                                   "must be a list of weekday numbers, 0 (Monday) to 6 (Sunday)"))
            weekends = []
        elif len(set(weekends)) == 7:
            problems.append(detail("weekends", "一周至少要有一个工作日", "a week needs at least one working day"))
        holidays = _dates(data.get("holidays", []), "holidays", problems)
        workdays = _dates(data.get("workdays", []), "workdays", problems)
        for d in sorted(holidays & workdays):
            problems.append(detail("workdays", f"{d} 同时是节假日和调休工作日",
                                   f"{d} is both a holiday and a make-up working day"))
        if problems:
            raise ValidationFailed("calendar.E001", msg("工作日历有误", "invalid working calendar"), problems)
        return cls(name, {"zh": label["zh"], "en": label["en"]}, frozenset(weekends), holidays, workdays)


def _dates(values: Any, path: str, problems: list[dict]) -> frozenset[dt.date]:
    if not isinstance(values, list):
        problems.append(detail(path, "应为日期列表", "must be a list of dates"))
        return frozenset()
    out = set()
    for i, v in enumerate(values):
        try:
            out.add(v if type(v) is dt.date else dt.date.fromisoformat(v))
        except (TypeError, ValueError):
            problems.append(detail(f"{path}[{i}]", "应为 YYYY-MM-DD 格式的日期", "must be a date, YYYY-MM-DD"))
    return frozenset(out)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed("calendar.E002", msg(f"未知时区 {name}", f"unknown time zone {name}")) from None


def default_calendar() -> WorkingCalendar:
    return WorkingCalendar(DEFAULT)


# --- storage -----------------------------------------------------------------------------------------

def _from_row(row: Mapping[str, Any]) -> WorkingCalendar:
    return WorkingCalendar(row["name"], dict(row["label"]), frozenset(row["weekends"]),
                           frozenset(dt.date.fromisoformat(d) for d in row["holidays"]),
                           frozenset(dt.date.fromisoformat(d) for d in row["workdays"]))


def _stored(runtime, conn: sa.Connection, name: str | None = None) -> dict[str, WorkingCalendar]:
    t = runtime.db.core["calendar"]
    q = sa.select(t).order_by(t.c.name)
    if name is not None:
        q = q.where(t.c.name == name)
    return {r["name"]: _from_row(r) for r in conn.execute(q).mappings()}


def load_calendar(runtime, name: str, conn: sa.Connection | None = None) -> WorkingCalendar:
    with runtime.connect(conn) as c:
        found = _stored(runtime, c, name)
    if name in found:
        return found[name]
    if name == DEFAULT:
        return default_calendar()
    raise NotFound("calendar.E404", msg(f"工作日历 {name} 不存在", f"no working calendar named {name}"))


def list_calendars(runtime, conn: sa.Connection | None = None) -> list[WorkingCalendar]:
    """Every calendar of the installation; the default one is stored here on first use."""
    with runtime.connect(conn) as c:
        found = _stored(runtime, c)
    if DEFAULT not in found:
        cal = default_calendar()
        if conn is None:
            try:
                with runtime.transaction() as c:
                    save_calendar(runtime, c, cal)
            except sa.exc.IntegrityError:  # another worker stored it first; it is the same calendar
                pass
        found[DEFAULT] = cal
    return [found[k] for k in sorted(found)]


def save_calendar(runtime, conn: sa.Connection, calendar: WorkingCalendar) -> WorkingCalendar:
    """Create or replace the calendar of that name."""
    t = runtime.db.core["calendar"]
    d = calendar.to_dict()
    values = {"label": d["label"], "weekends": d["weekends"], "holidays": d["holidays"],
              "workdays": d["workdays"], "updated_at": runtime.clock()}
    done = conn.execute(t.update().where(t.c.name == calendar.name).values(**values)).rowcount
    if not done:
        conn.execute(t.insert().values(name=calendar.name, **values))
    return calendar


class _Calendars(Mapping):
    """The installation's calendars by name, read on first use (most evaluations never ask)."""

    def __init__(self, runtime, conn: sa.Connection | None) -> None:
        self._rt, self._conn, self._cals = runtime, conn, None

    def _all(self) -> dict[str, WorkingCalendar]:
        if self._cals is None:
            with self._rt.connect(self._conn) as c:
                cals = _stored(self._rt, c)
            cals.setdefault(DEFAULT, default_calendar())
            self._cals = cals
        return self._cals

    def __getitem__(self, name: str) -> WorkingCalendar:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def calendars_for(runtime, conn: sa.Connection | None = None) -> Mapping[str, WorkingCalendar]:
    """The calendars for an ``EvalContext(calendars=...)``; pass the connection of a transaction
    the evaluation runs in, so it reads what that transaction sees."""
    return _Calendars(runtime, conn)
