"""The evaluation's time zone: TODAY() and NOW() are the wall clock of the business zone, never the
machine's or UTC's date (at 00:30 in Beijing, TODAY() is the Beijing date). ``JIMU_TIMEZONE``, else
Asia/Shanghai — the same rule as the platform's (engine/platform/clock.business_zone)."""
from __future__ import annotations

import datetime as _dt
import os

DEFAULT_ZONE = "Asia/Shanghai"
ZONE_ENV = "JIMU_TIMEZONE"


def zone_name(tz: str | None = None) -> str:
    return tz or os.environ.get(ZONE_ENV) or DEFAULT_ZONE


def zone(tz: str | None = None) -> _dt.tzinfo:
    """The zone; ValueError (zh / en) when the name is no IANA zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = zone_name(tz)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"未知时区 / unknown time zone {name!r} (an IANA name such as Asia/Shanghai)") from None


def wall_clock(moment: _dt.datetime | None = None, tz: str | None = None) -> _dt.datetime:
    """``moment`` (aware; now when None) as the zone's naive wall-clock time, to the second."""
    moment = moment or _dt.datetime.now(_dt.timezone.utc)
    return moment.astimezone(zone(tz)).replace(tzinfo=None, microsecond=0)


def with_offset(value, tz: str | None = None):
    """A result's wall-clock datetimes (the language's) with the zone's offset, for showing them:
    2026-12-03T00:30:00 -> 2026-12-03T00:30:00+08:00; lists and records walked."""
    if type(value) is _dt.datetime and value.tzinfo is None:
        return value.replace(tzinfo=zone(tz))
    if isinstance(value, (list, tuple)):
        return type(value)(with_offset(v, tz) for v in value) if type(value) in (list, tuple) else value
    if type(value) is dict:
        return {k: with_offset(v, tz) for k, v in value.items()}
    return value
