"""Time for the platform: a callable returning naive UTC ``datetime``. The runtime holds one
(``runtime.clock``); tests give it a FixedClock and move it."""
from __future__ import annotations

import datetime as dt


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
