"""Engine events (issue 12 item 7): ``ping`` emits ``sample.pinged`` in the caller's transaction and
a handler receives it. A ping with ``echo`` pings again from its handler: a chain that re-triggers
itself, which the depth limit stops."""
from __future__ import annotations

from engine.platform.events import emit

PINGED = "sample.pinged"


def ping(runtime, conn, *, app=None, echo: bool = False, actor=None):
    return emit(conn, runtime, app=app, type=PINGED, payload={"echo": echo}, actor=actor)


def _on_ping(runtime, conn, event: dict) -> None:
    runtime.settings.setdefault("sample.pings", []).append(event)
    if event["payload"].get("echo"):  # the cause is the event being handled: depth + 1
        emit(conn, runtime, app=event["app"], type=PINGED, payload=event["payload"], actor=event["actor"])


def register(runtime) -> None:
    runtime.event_handlers.subscribe("sample.ping_seen", _on_ping, kinds={PINGED})
