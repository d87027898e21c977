"""Giving new records their numbers: a guard-stage handler of the write pipeline.

Guard handlers run after every check, just before persist, so numbers are taken only for a batch that
will be saved, in the same transaction as its rows. A bulk create takes one block of consecutive
numbers, in the order of the batch, with one counter update. Updates keep their numbers.
"""
from __future__ import annotations

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .counter import take
from .pattern import compile_pattern, local_date

TYPE_NAME = "autonumber"
TIMEZONE_SETTING = "timezone"  # runtime.settings key: the business's zone when a field names none
DEFAULT_TIMEZONE = "Asia/Shanghai"


def platform_timezone(settings: dict) -> str:
    """The zone numbers take their dates in: runtime.settings, else JIMU_TIMEZONE, else Shanghai. A
    zone that does not exist stops the start-up: a wrong date in every number is worse."""
    zone = settings.setdefault(TIMEZONE_SETTING, os.environ.get("JIMU_TIMEZONE") or DEFAULT_TIMEZONE)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"JIMU_TIMEZONE / settings[{TIMEZONE_SETTING!r}]: unknown time zone {zone!r}; "
                         "use an IANA name such as Asia/Shanghai") from None
    return zone


def allocate_numbers(batch) -> None:
    if batch.has_errors():
        return
    fields = [f for f in batch.entity.fields if f.ftype.name == TYPE_NAME]
    if not fields:
        return
    for w in batch.writes:
        if w.op != "create" and w.old is not None:
            for f in fields:  # a number, once given, is the record's for good, whatever ran before
                w.values[f.name] = w.old.get(f.name)
    creates = [w for w in batch.writes if w.op == "create"]
    if not creates:
        return
    counter = batch.runtime.db.core["counter"]
    for f in fields:
        pattern = compile_pattern(f.definition)
        day = local_date(batch.now, pattern.timezone or batch.runtime.settings[TIMEZONE_SETTING])
        key = {"app": batch.app.name, "entity": batch.entity.name, "field": f.name, "period": pattern.period(day)}
        first = take(batch.conn, counter, key, len(creates), pattern.start)
        for i, w in enumerate(creates):
            w.values[f.name] = pattern.render(day, first + i)
