"""A budget of unique-value probes per user, like the sign-in throttle.

The unique check tells a rep that a customer name is taken ("撞单") on purpose, without saying by
whom. Asked over and over (a bulk call of 50 names, 50 form-state calls) it would list who the
company's customers are. So each conflict with a record the user may *not* read is a probe, counted
per user within a window; once the budget is spent, every write that needs a unique check against
stored records is refused (429) until the window passes, whether its values are taken or not — a
refusal only for taken values would answer the question again. A conflict with a record the user
can read tells them nothing new and costs nothing, so imports by people who read what they import
(a manager, an app admin), and values that are free, never count: an import of 10,000 new rows
spends nothing. An import's rows that conflict with records the importer cannot read count one
each, its dry run too (it reports them). Platform admins and the system are not counted.

Probes are written after the write's transaction ends — the write itself is rolled back when it is
refused — from ``conn.info``, like after-commit work.

Settings (environment): ``JIMU_UNIQUE_PROBES_MAX`` (20) probes within ``JIMU_UNIQUE_PROBES_WINDOW_MINUTES`` (15).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import JimuError, msg
from .throttle import _count

PENDING_KEY = "jimu_unique_probes"  # on conn.info: [(user_id, at, n)] to write once the transaction ends
SETTINGS_KEY = "unique_probes"  # runtime.settings: a ProbeSettings (else from the environment)


@dataclass(frozen=True)
class ProbeSettings:
    max_probes: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)

    @classmethod
    def from_env(cls, env=None) -> ProbeSettings:
        import os

        env = os.environ if env is None else env
        return cls(max_probes=_count(env, "JIMU_UNIQUE_PROBES_MAX", 20),
                   window=dt.timedelta(minutes=_count(env, "JIMU_UNIQUE_PROBES_WINDOW_MINUTES", 15)))


class TooManyProbes(JimuError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__("unique.E429", msg(
            f"查重次数过多 (与你看不到的记录重复), 请 {minutes} 分钟后再试",
            f"too many duplicate values among records you cannot see; try again in {minutes} minute(s)"),
            [{"path": "", "message": msg("暂时不能查重", "duplicate checks paused"), "retry_after": retry_after}])
        self.retry_after = retry_after


def settings_of(runtime) -> ProbeSettings:
    s = runtime.settings.get(SETTINGS_KEY)
    if s is None:
        s = runtime.settings[SETTINGS_KEY] = ProbeSettings.from_env()
    return s


def _wait(batch, extra: int) -> int | None:
    """Seconds until the user may probe again, if ``extra`` more probes would overspend; else None."""
    settings = settings_of(batch.runtime)
    p = batch.runtime.db.core["unique_probe"]
    now = batch.now
    pending = [(at, n) for uid, at, n in batch.conn.info.get(PENDING_KEY, []) if uid == batch.actor.user_id]
    stored = batch.conn.execute(sa.select(p.c.at, p.c.n).where(
        p.c.user_id == batch.actor.user_id, p.c.at > now - settings.window)).all()
    seen = sorted([*pending, *((r.at, r.n) for r in stored)], reverse=True)
    if sum(n for _, n in seen) + extra <= settings.max_probes - (1 if extra == 0 else 0):
        return None
    total, oldest = extra, now
    for at, n in seen:  # once this probe leaves the window, the rest fit in the budget again
        total += n
        oldest = at
        if total >= settings.max_probes:
            break
    return max(1, math.ceil((oldest + settings.window - now).total_seconds()))


def before_unique_check(batch) -> None:
    """Refuse the whole write while the user's budget is spent, before any value is looked up."""
    if batch.actor.bypass:
        return
    wait = _wait(batch, 0)
    if wait is not None:
        raise TooManyProbes(wait)


def spend(batch, n: int) -> None:
    """``n`` writes of the batch conflict with records the user may not read: count them (written
    when the transaction ends, committed or not), and refuse the batch if they overspend."""
    if n <= 0 or batch.actor.bypass:
        return
    wait = _wait(batch, n)
    batch.conn.info.setdefault(PENDING_KEY, []).append((batch.actor.user_id, batch.now, n))
    if wait is not None:
        raise TooManyProbes(wait)


def write_pending(runtime, conn) -> None:
    """Store the probes a finished transaction on ``conn`` counted (call after it ends)."""
    pending = conn.info.pop(PENDING_KEY, None)
    if not pending:
        return
    p = runtime.db.core["unique_probe"]
    settings = settings_of(runtime)
    with runtime.transaction() as c:
        c.execute(p.delete().where(p.c.at <= runtime.clock() - settings.window))  # keep the table small
        c.execute(p.insert(), [{"user_id": uid, "at": at, "n": n} for uid, at, n in pending])
