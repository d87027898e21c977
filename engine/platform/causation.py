"""Which event caused a write, and how deep a chain of events has gone (issue 12 item 7).

While the dispatcher runs a handler for an event, that event is the *cause* of whatever the handler
does: an event it emits, and the record events of its writes through RecordService, get the cause's
depth + 1 and its id. A rule whose action re-triggers the rule would otherwise loop for ever; past
the maximum depth (``JIMU_EVENT_MAX_DEPTH`` or the runtime setting ``event_max_depth``, default 8)
an engine's event is refused and a record's event is kept but handed to no handler, and the event
log says so (``event_chain_stopped``) — the write itself stands: it was judged and committed.

The cause is a context variable, not a parameter: the handler's writes go through the record
pipeline, which knows nothing of events, and writes on another connection in the same handler
count too. Work a handler defers (a job run later) starts a new chain.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import os
from typing import Iterator

log = logging.getLogger("jimu.events")

MAX_DEPTH_ENV = "JIMU_EVENT_MAX_DEPTH"
MAX_DEPTH_SETTING = "event_max_depth"
DEFAULT_MAX_DEPTH = 8

_cause: contextvars.ContextVar[dict | None] = contextvars.ContextVar("jimu_event_cause", default=None)


def max_depth(runtime) -> int:
    value = runtime.settings.get(MAX_DEPTH_SETTING)
    if value is None:
        value = runtime.settings[MAX_DEPTH_SETTING] = int(os.environ.get(MAX_DEPTH_ENV, DEFAULT_MAX_DEPTH))
    return int(value)


def current_cause() -> dict | None:
    """The event whose handler is running now, or None (a user's or a job's write)."""
    return _cause.get()


@contextlib.contextmanager
def handling(event: dict) -> Iterator[None]:
    token = _cause.set(event)
    try:
        yield
    finally:
        _cause.reset(token)


def caused(cause: dict | None) -> tuple[int, int | None]:
    """(depth, cause id) of an event caused by ``cause`` (by default the one being handled)."""
    cause = cause if cause is not None else _cause.get()
    if cause is None:
        return 0, None
    return int(cause.get("depth") or 0) + 1, cause.get("id")


def note_stopped(runtime, conn, *, kind: str, app, entity, record_id, depth: int, cause_id, actor) -> None:
    """Say clearly, in the log and the event log (in the same transaction), that a chain was cut."""
    from ..identity.event_log import log_event

    limit = max_depth(runtime)
    log.warning("event chain stopped: %s (app %s, entity %s, record %s) would be at depth %d, above the "
                "limit %d (caused by event %s)", kind, app, entity, record_id, depth, limit, cause_id)
    log_event(runtime, conn, "event_chain_stopped", actor=actor, target=kind,
              detail={"app": app, "entity": entity, "record_id": record_id, "depth": depth, "limit": limit,
                      "cause": cause_id,
                      "message": {"zh": f"事件链超过最大深度 {limit}，已停止：{kind}",
                                  "en": f"event chain deeper than {limit} stopped: {kind}"}})
