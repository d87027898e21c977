"""Notifications: a message to one user, stored in-app in the recipient's language, optionally about
a record, read or unread.

The in-app store is built in: ``notify`` always writes ``jimu_notification`` in the caller's
transaction. Other channels (email, group robots: the rule engine brings them) join through
``runtime.notification_channels``; each gets ``(runtime, user, message)`` after the commit, from a
job of the job table (``notification.deliver``), so a failing mail server is retried and never
undoes the write that caused the message.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import sqlalchemy as sa

from ..errors import NotFound, msg
from .record_links import attach_links, check_link

Text = str | Mapping[str, str]  # one text for everyone, or {zh, en}
DELIVER = "notification.deliver"
TITLE_MAX = 512
_OUT = ("id", "kind", "title", "body", "app", "entity", "record_id", "created_at", "read_at")
_USER_OUT = ("id", "login", "name", "email", "phone", "language", "time_zone")


@dataclass(frozen=True)
class NotificationChannel:
    """A way to reach a user besides the in-app store. ``deliver(runtime, user, message)``: ``user``
    holds id, login, name, email, phone, language, time_zone; ``message`` holds id, kind, title,
    body (in the user's language), link (app, entity, record_id, or None) and created_at.
    ``kinds``: the notification kinds it carries (None: all)."""

    name: str
    deliver: Callable[[Any, dict, dict], None]
    kinds: frozenset[str] | None = None

    def wants(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds


def in_language(text: Text | None, language: str) -> str | None:
    """The text for a reader of ``language``: their language, else Chinese, else English."""
    if text is None or isinstance(text, str):
        return text
    return text.get(language) or text.get("zh") or text.get("en") or ""


def notify(runtime, conn: sa.Connection, user_id: int, kind: str, title: Text, body: Text | None = None,
           link: tuple[str, str, int] | None = None, *, key: str | None = None) -> int | None:
    """Store a notification for ``user_id`` in their language and queue it for the other channels.
    An inactive or unknown user gets nothing (None): a leaver's mail is not sent. With ``key`` (a
    sender's natural key, such as the job that sends it) a second call sends nothing and returns the
    first notification's id: a job run twice notifies once."""
    n = runtime.db.core["notification"]
    if key is not None:
        existing = conn.execute(sa.select(n.c.id).where(n.c.key == key)).scalar()
        if existing is not None:
            return existing
    users = runtime.db.core["user"]
    user = conn.execute(sa.select(*(users.c[k] for k in _USER_OUT)).where(
        users.c.id == user_id, users.c.active.is_(True))).mappings().first()
    if user is None:
        return None
    language = user["language"] or "zh"
    app, entity, record_id = check_link(link) or (None, None, None)
    nid = conn.execute(n.insert().values(
        user_id=user_id, kind=kind, title=(in_language(title, language) or "")[:TITLE_MAX],
        body=in_language(body, language), app=app, entity=entity, record_id=record_id,
        created_at=runtime.clock(), key=key)).inserted_primary_key[0]
    channels = [ch for ch in runtime.notification_channels if ch.wants(kind)]
    if channels:
        from .jobs import schedule_job

        for ch in channels:  # a job per channel: one failing channel is retried alone
            schedule_job(runtime, conn, DELIVER, payload={"notification_id": nid, "channel": ch.name},
                         key=f"notification:{nid}:{ch.name}")
    return nid


def deliver(runtime, job: dict) -> None:
    """The job handler of ``notification.deliver``: hand one stored notification to one channel."""
    p = job["payload"]
    channel = next((ch for ch in runtime.notification_channels if ch.name == p["channel"]), None)
    if channel is None:  # the channel was removed from this installation since
        return
    n, users = runtime.db.core["notification"], runtime.db.core["user"]
    with runtime.connect() as c:
        row = c.execute(sa.select(n).where(n.c.id == p["notification_id"])).mappings().first()
        user = None if row is None else c.execute(sa.select(*(users.c[k] for k in _USER_OUT)).where(
            users.c.id == row["user_id"], users.c.active.is_(True))).mappings().first()
    if row is None or user is None:
        return
    link = None if row["record_id"] is None else {"app": row["app"], "entity": row["entity"],
                                                  "record_id": row["record_id"]}
    message = {"id": row["id"], "kind": row["kind"], "title": row["title"], "body": row["body"], "link": link,
               "created_at": row["created_at"]}
    channel.deliver(runtime, dict(user), message)


# --- the recipient's side ----------------------------------------------------------------------------

def unread_count(runtime, user_id: int, conn: sa.Connection | None = None) -> int:
    n = runtime.db.core["notification"]
    with runtime.connect(conn) as c:
        return c.execute(sa.select(sa.func.count()).select_from(n).where(
            n.c.user_id == user_id, n.c.read_at.is_(None))).scalar_one()


def list_notifications(runtime, actor, *, unread: bool = False, page: int = 1, page_size: int = 20,
                       conn: sa.Connection | None = None) -> dict[str, Any]:
    """The actor's own notifications, newest first, with links to the records they may read."""
    n = runtime.db.core["notification"]
    conds = [n.c.user_id == actor.user_id]
    if unread:
        conds.append(n.c.read_at.is_(None))
    with runtime.connect(conn) as c:
        total = c.execute(sa.select(sa.func.count()).select_from(n).where(*conds)).scalar_one()
        rows = c.execute(sa.select(*(n.c[k] for k in _OUT)).where(*conds).order_by(n.c.id.desc())
                         .limit(page_size).offset((page - 1) * page_size)).mappings()
        items = attach_links(runtime, c, actor, [dict(r) for r in rows])
        count = unread_count(runtime, actor.user_id, c)
    return {"items": items, "total": total, "unread": count}


def mark_read(runtime, conn: sa.Connection, user_id: int, notification_id: int) -> None:
    """Mark one of the user's notifications read (again is fine: the first time read is kept). Another
    user's notification is not found."""
    n = runtime.db.core["notification"]
    mine = sa.and_(n.c.id == notification_id, n.c.user_id == user_id)
    if conn.execute(sa.select(n.c.id).where(mine)).first() is None:
        raise NotFound("notification.E404", msg(f"通知 {notification_id} 不存在",
                                                f"notification {notification_id} not found"))
    conn.execute(n.update().where(mine, n.c.read_at.is_(None)).values(read_at=runtime.clock()))


def mark_all_read(runtime, conn: sa.Connection, user_id: int) -> int:
    n = runtime.db.core["notification"]
    return conn.execute(n.update().where(n.c.user_id == user_id, n.c.read_at.is_(None))
                        .values(read_at=runtime.clock())).rowcount
