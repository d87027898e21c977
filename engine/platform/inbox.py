"""The inbox: one place where a user sees what waits for them, counted per kind. Each kind is an
``InboxSource``: the kernel's own two (open to-dos assigned to the user, their unread
notifications) and whatever engines add through the ``inbox_sources()`` hook (the process engine's
approval tasks, say) — the API lists only these real sources, the header badge counts them all.
``register_inbox`` joins the kernel's services to a runtime: their job handlers and handover step."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..errors import JimuError, msg
from .handover import move_open_todos
from .notifications import DELIVER, deliver, list_notifications, unread_count
from .todos import REMIND, list_todos, remind

LATEST = 5


@dataclass(frozen=True)
class InboxSource:
    """One kind of item in the inbox. ``count(runtime, actor, conn) -> int``; ``latest(runtime,
    actor, n, conn) -> list[dict]``, the first n items, each a dict with at least ``id`` and
    ``title`` (text or {zh, en}) and, when it is about a record, ``link`` {app, entity, record_id,
    title}; ``at`` (ISO time) and ``body`` are shown when present."""
    kind: str
    label: dict  # {"zh": ..., "en": ...}
    count: Callable[..., int]
    latest: Callable[..., list]


def _todos_count(runtime, actor, conn) -> int:
    return list_todos(runtime, actor, scope="assigned", done=False, page_size=1, conn=conn)["total"]


def _todos_latest(runtime, actor, n, conn) -> list:
    return list_todos(runtime, actor, scope="assigned", done=False, page_size=n, conn=conn)["items"]


def _notes_count(runtime, actor, conn) -> int:
    return unread_count(runtime, actor.user_id, conn)


def _notes_latest(runtime, actor, n, conn) -> list:
    return list_notifications(runtime, actor, unread=True, page_size=n, conn=conn)["items"]


BUILT_IN = (InboxSource("todos", {"zh": "待办", "en": "To-dos"}, _todos_count, _todos_latest),
            InboxSource("notifications", {"zh": "未读通知", "en": "Unread notifications"},
                        _notes_count, _notes_latest))


def inbox_sources() -> list[InboxSource]:
    """The kernel's sources, then every engine's in engine order; a kind is one source only."""
    from ..plugins import hooks

    out = list(BUILT_IN)
    for hook in hooks("inbox_sources"):
        out += list(hook() or [])
    seen: set[str] = set()
    for s in out:
        if not isinstance(s, InboxSource):
            raise JimuError("inbox.E010", msg(f"收件箱来源应为 InboxSource，得到 {type(s).__name__}",
                                              f"an inbox source must be an InboxSource, not {type(s).__name__}"))
        if s.kind in seen:
            raise JimuError("inbox.E011", msg(f"收件箱类别 '{s.kind}' 由两个来源提供",
                                              f"inbox kind '{s.kind}' comes from two sources"))
        seen.add(s.kind)
    return out


def register_inbox(runtime) -> None:
    runtime.job_handlers.register(REMIND, remind)
    runtime.job_handlers.register(DELIVER, deliver)
    runtime.handover_steps.append(move_open_todos)


def inbox(runtime, actor, latest: int = LATEST) -> dict[str, Any]:
    """Counts per kind and the latest items of each (the open to-dos due first, the newest unread
    notifications, then each engine's), with each kind's label for the pages: ``sources`` in order."""
    counts: dict[str, int] = {}
    items: dict[str, list] = {}
    listed = []
    with runtime.connect() as c:
        for s in inbox_sources():
            counts[s.kind] = int(s.count(runtime, actor, c))
            items[s.kind] = list(s.latest(runtime, actor, latest, c)) if counts[s.kind] else []
            listed.append({"kind": s.kind, "label": s.label, "count": counts[s.kind]})
    return {"counts": counts, "total": sum(counts.values()), "latest": items, "sources": listed}
