"""Cron expressions (five fields, minute resolution, or @daily and its kind) read in a time zone:
the next fire time after a moment, as naive UTC like every stored time. croniter does the reading."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from ..errors import ValidationFailed, detail, msg

DEFAULT_TIME_ZONE = "Asia/Shanghai"


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed("job.E002", msg(f"未知的时区 '{name}'", f"unknown time zone '{name}'"),
                               [detail("time_zone", "应为 IANA 时区名, 如 Asia/Shanghai",
                                       "expected an IANA zone name such as Asia/Shanghai")]) from None


def check_cron(expr: str) -> None:
    """Refuse what is not a five-field expression croniter accepts (a sixth field would mean seconds,
    finer than the workers poll)."""
    text = (expr or "").strip()
    ok = (text.startswith("@") or len(text.split()) == 5) and croniter.is_valid(text)
    if not ok:
        raise ValidationFailed("job.E001", msg(f"无效的 cron 表达式 '{expr}'", f"invalid cron expression '{expr}'"),
                               [detail("cron", "应为五段: 分 时 日 月 周, 如 '0 9 * * 1-5'",
                                       "expected five fields: minute hour day month weekday, e.g. '0 9 * * 1-5'")])


def next_fire(expr: str, time_zone: str, after: dt.datetime) -> dt.datetime:
    """The first fire time strictly after ``after`` (naive UTC), read in ``time_zone``; naive UTC."""
    check_cron(expr)
    local = after.replace(tzinfo=dt.timezone.utc).astimezone(zone(time_zone))
    nxt = croniter(expr.strip(), local).get_next(dt.datetime)
    return nxt.astimezone(dt.timezone.utc).replace(tzinfo=None)
