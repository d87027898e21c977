"""The inbox: one place where a user sees what waits for them, counted per kind — open to-dos
assigned to them, unread notifications, and approval tasks (none until the process engine adds its
own). ``register_inbox`` joins these services to a runtime: their job handlers and handover step."""
from __future__ import annotations

from typing import Any

from .handover import move_open_todos
from .notifications import DELIVER, deliver, list_notifications
from .todos import REMIND, list_todos, remind

LATEST = 5


def register_inbox(runtime) -> None:
    runtime.job_handlers.register(REMIND, remind)
    runtime.job_handlers.register(DELIVER, deliver)
    runtime.handover_steps.append(move_open_todos)


def inbox(runtime, actor, latest: int = LATEST) -> dict[str, Any]:
    """Counts per kind and the latest items of each: the open to-dos due first, the newest unread
    notifications."""
    with runtime.connect() as c:
        todos = list_todos(runtime, actor, scope="assigned", done=False, page_size=latest, conn=c)
        notes = list_notifications(runtime, actor, unread=True, page_size=latest, conn=c)
    counts = {"todos": todos["total"], "notifications": notes["unread"], "approvals": 0}
    return {"counts": counts, "total": sum(counts.values()),
            "latest": {"todos": todos["items"], "notifications": notes["items"], "approvals": []}}
