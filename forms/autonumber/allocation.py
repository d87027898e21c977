"""Giving new records their numbers: a guard-stage handler of the write pipeline.

Guard handlers run after every check, just before persist, so numbers are taken only for a batch that
will be saved, in the same transaction as its rows. A bulk create takes one block of consecutive
numbers, in the order of the batch, with one counter update. Updates keep their numbers.
"""
from __future__ import annotations

from engine.platform.clock import DEFAULT_TIMEZONE, TIMEZONE_SETTING, business_zone

from .counter import take
from .pattern import compile_pattern, local_date

TYPE_NAME = "autonumber"
__all__ = ["DEFAULT_TIMEZONE", "TIMEZONE_SETTING", "allocate_numbers", "platform_timezone"]


def platform_timezone(settings: dict) -> str:
    """The zone numbers take their dates in: the platform's business zone (engine.platform.clock)."""
    return business_zone(settings)


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
