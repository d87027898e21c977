"""Time for the platform: a callable returning naive UTC ``datetime``. The runtime holds one
(``runtime.clock``); tests give it a FixedClock and move it."""
from __future__ import annotations

import datetime as dt

from rules.expr.clock import DEFAULT_ZONE


class FixedClock:
    """A clock that stands still until moved: ``clock.advance(minutes=5)``, ``clock.set(t)``."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start.replace(tzinfo=None, microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta | None = None, **kwargs: float) -> dt.datetime:
        self.now += delta if delta is not None else dt.timedelta(**kwargs)
        return self.now

    def set(self, t: dt.datetime) -> None:
        self.now = t.replace(tzinfo=None, microsecond=0)


# --- the business's time zone: one setting for every date the platform works out -----------------
TIMEZONE_SETTING = "timezone"  # runtime.settings key
DEFAULT_TIMEZONE = DEFAULT_ZONE  # one default for the platform and jimu eval (rules/expr/clock.py)


def business_zone(settings: dict) -> str:
    """The zone whose calendar the business lives by: TODAY() in expressions, the dates autonumbers
    show, the midnight at which date-dependent values are recomputed. runtime.settings, else
    JIMU_TIMEZONE, else Asia/Shanghai. A zone that does not exist stops the start-up: a wrong date
    in every record is worse."""
    import os
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    zone = settings.setdefault(TIMEZONE_SETTING, os.environ.get("JIMU_TIMEZONE") or DEFAULT_TIMEZONE)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"JIMU_TIMEZONE / settings[{TIMEZONE_SETTING!r}]: unknown time zone {zone!r}; "
                         "use an IANA name such as Asia/Shanghai") from None
    return zone


def local_date(now_utc: dt.datetime, zone: str) -> dt.date:
    """The date in ``zone`` at ``now_utc`` (naive UTC, as the platform's clock gives it)."""
    from zoneinfo import ZoneInfo

    return now_utc.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(zone)).date()


def business_today(runtime, now_utc: dt.datetime | None = None) -> dt.date:
    """TODAY() as expressions see it: the business zone's date at the runtime's clock."""
    now = runtime.clock() if now_utc is None else now_utc
    if now.tzinfo is not None:
        now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return local_date(now, business_zone(runtime.settings))
