"""To-dos (待办): a task for one user, optionally about a record, with a due time and reminder times,
created by a user or by an automation (the system actor).

Who sees and changes a to-do: its assignee, its creator, and platform admins; to anyone else it does
not exist (404). A to-do about a record can only be created by someone who can read that record, and
the record's link is shown to a reader only when they may read it.

Reminders are jobs of the job table (``todo.remind``, key ``todo:{id}:{time}``): replaced when the
reminder times change, cancelled when the to-do is done, put back (the future ones) when it is
reopened. A reminder notifies whoever is the assignee when it fires, in their language.

Times are naive UTC like every stored time; an ISO text with an offset is converted to UTC.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from ..errors import NotFound, ValidationFailed, detail, msg
from .notifications import notify
from .record_links import attach_links

REMIND = "todo.remind"
DEFAULT_TIME_ZONE = "Asia/Shanghai"
TITLE_MAX = 256
DESCRIPTION_MAX = 10_000
MAX_REMINDERS = 20
SCOPES = ("assigned", "created", "all")
_OUT = ("id", "title", "description", "assignee_id", "app", "entity", "record_id", "due_at", "remind_at",
        "done_at", "done_by", "created_by", "created_at", "updated_at")


def _not_found(todo_id: Any) -> NotFound:
    return NotFound("todo.E404", msg(f"待办 {todo_id} 不存在", f"to-do {todo_id} not found"))


# --- input -------------------------------------------------------------------------------------------

def _time(v: Any, path: str, problems: list[dict]) -> dt.datetime | None:
    if v is None or isinstance(v, dt.datetime):
        t = v
    else:
        try:
            t = dt.datetime.fromisoformat(v)
        except (TypeError, ValueError):
            problems.append(detail(path, "应为 ISO 8601 时间，如 2026-03-02T09:00:00+08:00",
                                   "must be an ISO 8601 time such as 2026-03-02T09:00:00+08:00"))
            return None
    if t is not None and t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return None if t is None else t.replace(microsecond=0)


def _fields(runtime, conn, data: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    """The columns a create or change sets, every problem reported at once (422)."""
    problems: list[dict] = []
    known = {"title", "description", "assignee_id", "due_at", "remind_at"} | ({"link"} if creating else set())
    for k in sorted(set(data) - known):
        problems.append(detail(k, "未知或不可修改的字段", "unknown field, or one that cannot be changed"))
    out: dict[str, Any] = {}
    if creating or "title" in data:
        title = data.get("title")
        title = title.strip() if isinstance(title, str) else ""
        if not title or len(title) > TITLE_MAX:
            problems.append(detail("title", f"请填写标题（最多 {TITLE_MAX} 个字符）",
                                   f"give a title (at most {TITLE_MAX} characters)"))
        out["title"] = title
    if "description" in data:
        desc = data["description"]
        if desc is not None and (not isinstance(desc, str) or len(desc) > DESCRIPTION_MAX):
            problems.append(detail("description", f"应为文本（最多 {DESCRIPTION_MAX} 个字符）",
                                   f"must be text (at most {DESCRIPTION_MAX} characters)"))
        out["description"] = desc or None
    if creating or "assignee_id" in data:
        uid = data.get("assignee_id")
        users = runtime.db.core["user"]
        ok = isinstance(uid, int) and not isinstance(uid, bool) and conn.execute(
            sa.select(users.c.id).where(users.c.id == uid, users.c.active.is_(True))).first() is not None
        if not ok:
            problems.append(detail("assignee_id", "应为在职用户的 id", "must be the id of an active user"))
        out["assignee_id"] = uid
    if "due_at" in data:
        out["due_at"] = _time(data["due_at"], "due_at", problems)
    if creating or "remind_at" in data:
        times = data.get("remind_at") or []
        if not isinstance(times, list) or len(times) > MAX_REMINDERS:
            problems.append(detail("remind_at", f"应为时间列表（最多 {MAX_REMINDERS} 个）",
                                   f"must be a list of times (at most {MAX_REMINDERS})"))
            times = []
        parsed = {_time(v, f"remind_at[{i}]", problems) for i, v in enumerate(times)}
        out["remind_at"] = sorted(t.isoformat() for t in parsed if t is not None)
    if problems:
        raise ValidationFailed("todo.E001", msg("待办信息有误", "invalid to-do"), problems)
    return out


def _link(runtime, conn, actor, link: Any) -> dict[str, Any]:
    """The record a new to-do is about: its creator must be able to read it (else 404, as for any
    record they cannot see)."""
    if link is None:
        return {}
    if isinstance(link, (list, tuple)) and len(link) == 3:
        link = dict(zip(("app", "entity", "record_id"), link))
    app, entity, rid = (link.get(k) for k in ("app", "entity", "record_id")) if isinstance(link, Mapping) \
        else (None, None, None)
    if not (isinstance(app, str) and isinstance(entity, str) and isinstance(rid, int) and not isinstance(rid, bool)):
        raise ValidationFailed("todo.E002", msg("关联记录有误", "invalid record link"),
                               [detail("link", "应为 {app, entity, record_id}", "must be {app, entity, record_id}")])
    runtime.records(app, entity, actor).reader().get(rid, conn=conn)
    return {"app": app, "entity": entity, "record_id": rid}


# --- changes -----------------------------------------------------------------------------------------

def create_todo(runtime, conn: sa.Connection, actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data``: title, assignee_id, and optionally description, due_at, remind_at (a list) and link
    ({app, entity, record_id} or a 3-tuple)."""
    values = _fields(runtime, conn, data, creating=True)
    values.update(_link(runtime, conn, actor, data.get("link")))
    now = runtime.clock()
    t = runtime.db.core["todo"]
    tid = conn.execute(t.insert().values(created_by=actor.user_id, created_at=now, updated_at=now,
                                         **values)).inserted_primary_key[0]
    row = _load(runtime, conn, tid)
    _schedule_reminders(runtime, conn, row)
    return _dump(runtime, conn, actor, [row])[0]


def update_todo(runtime, conn: sa.Connection, actor, todo_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    old = _load_visible(runtime, conn, actor, todo_id)
    values = _fields(runtime, conn, data, creating=False)
    t = runtime.db.core["todo"]
    conn.execute(t.update().where(t.c.id == todo_id).values(updated_at=runtime.clock(), **values))
    row = _load(runtime, conn, todo_id)
    if row["remind_at"] != old["remind_at"]:
        _schedule_reminders(runtime, conn, row)
    return _dump(runtime, conn, actor, [row])[0]


def complete_todo(runtime, conn: sa.Connection, actor, todo_id: int) -> dict[str, Any]:
    """Done by ``actor``; its pending reminders are cancelled. Done twice keeps the first time."""
    row = _load_visible(runtime, conn, actor, todo_id)
    if row["done_at"] is None:
        now = runtime.clock()
        t = runtime.db.core["todo"]
        conn.execute(t.update().where(t.c.id == todo_id).values(done_at=now, done_by=actor.user_id, updated_at=now))
        row = _load(runtime, conn, todo_id)
        _schedule_reminders(runtime, conn, row)
    return _dump(runtime, conn, actor, [row])[0]


def reopen_todo(runtime, conn: sa.Connection, actor, todo_id: int) -> dict[str, Any]:
    """Not done after all; the reminder times still ahead are scheduled again."""
    row = _load_visible(runtime, conn, actor, todo_id)
    if row["done_at"] is not None:
        t = runtime.db.core["todo"]
        conn.execute(t.update().where(t.c.id == todo_id).values(done_at=None, done_by=None,
                                                                updated_at=runtime.clock()))
        row = _load(runtime, conn, todo_id)
        _schedule_reminders(runtime, conn, row)
    return _dump(runtime, conn, actor, [row])[0]


def _schedule_reminders(runtime, conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """Replace the to-do's reminder jobs by one per reminder time still ahead, none once it is done."""
    from .jobs import cancel_jobs, schedule_job

    prefix = f"todo:{row['id']}:"
    cancel_jobs(runtime, conn, key_prefix=prefix)
    if row["done_at"] is not None:
        return
    now = runtime.clock()
    for when in row["remind_at"]:
        at = dt.datetime.fromisoformat(when)
        if at > now:  # a reminder time already past when it is set is not sent late
            schedule_job(runtime, conn, REMIND, at, payload={"todo_id": row["id"], "at": when}, key=prefix + when)


def remind(runtime, job: dict) -> None:
    """The job handler of ``todo.remind``: notify the assignee, unless the to-do is done or that
    reminder time was taken away meanwhile."""
    p = job["payload"]
    t, users = runtime.db.core["todo"], runtime.db.core["user"]
    with runtime.transaction() as c:
        row = c.execute(sa.select(t).where(t.c.id == p["todo_id"])).mappings().first()
        if row is None or row["done_at"] is not None or p["at"] not in row["remind_at"]:
            return
        zone = c.execute(sa.select(users.c.time_zone).where(users.c.id == row["assignee_id"])).scalar()
        body = reminder_body(row, zone)
        link = (row["app"], row["entity"], row["record_id"]) if row["record_id"] is not None else None
        notify(runtime, c, row["assignee_id"], "todo.reminder",
               title={"zh": f"待办提醒：{row['title']}", "en": f"To-do reminder: {row['title']}"},
               body=body, link=link, key=f"todo:{row['id']}:{p['at']}")


def reminder_body(row: Mapping[str, Any], time_zone: str | None) -> dict[str, str] | None:
    """The due time in the assignee's zone, then the description."""
    zh, en = [], []
    if row["due_at"] is not None:
        try:
            tz = ZoneInfo(time_zone or DEFAULT_TIME_ZONE)
        except (ZoneInfoNotFoundError, ValueError):  # a bad zone on a user must not lose the reminder
            tz = ZoneInfo(DEFAULT_TIME_ZONE)
        local = row["due_at"].replace(tzinfo=dt.timezone.utc).astimezone(tz)
        zh.append(f"截止时间：{local:%Y-%m-%d %H:%M}")
        en.append(f"Due {local:%Y-%m-%d %H:%M}")
    if row["description"]:
        zh.append(row["description"])
        en.append(row["description"])
    return {"zh": "\n".join(zh), "en": "\n".join(en)} if zh else None


# --- reads -------------------------------------------------------------------------------------------

def _load(runtime, conn: sa.Connection, todo_id: int) -> dict[str, Any] | None:
    t = runtime.db.core["todo"]
    row = conn.execute(sa.select(*(t.c[k] for k in _OUT)).where(t.c.id == todo_id)).mappings().first()
    return None if row is None else dict(row)


def _may_see(actor, row: Mapping[str, Any]) -> bool:
    return actor.bypass or actor.user_id in (row["assignee_id"], row["created_by"])


def _load_visible(runtime, conn: sa.Connection, actor, todo_id: int) -> dict[str, Any]:
    row = _load(runtime, conn, todo_id)
    if row is None or not _may_see(actor, row):
        raise _not_found(todo_id)
    return row


def get_todo(runtime, actor, todo_id: int, conn: sa.Connection | None = None) -> dict[str, Any]:
    with runtime.connect(conn) as c:
        return _dump(runtime, c, actor, [_load_visible(runtime, c, actor, todo_id)])[0]


def list_todos(runtime, actor, *, scope: str = "assigned", done: bool | None = False,
               record: tuple[str, str, int] | None = None, page: int = 1, page_size: int = 20,
               conn: sa.Connection | None = None) -> dict[str, Any]:
    """``scope``: assigned (to the actor), created (by the actor), or all they may see (every to-do
    for an admin). ``done``: False open, True done, None both. Earliest due first, undated last."""
    if scope not in SCOPES:
        raise ValidationFailed("todo.E003", msg("scope 参数有误", "invalid scope"),
                               [detail("scope", "应为 " + "、".join(SCOPES), "must be one of " + ", ".join(SCOPES))])
    t = runtime.db.core["todo"]
    me = actor.user_id
    conds = {"assigned": [t.c.assignee_id == me], "created": [t.c.created_by == me],
             "all": [] if actor.bypass else [sa.or_(t.c.assignee_id == me, t.c.created_by == me)]}[scope]
    if done is not None:
        conds.append(t.c.done_at.is_not(None) if done else t.c.done_at.is_(None))
    if record is not None:
        conds += [t.c.app == record[0], t.c.entity == record[1], t.c.record_id == record[2]]
    order = (sa.case((t.c.due_at.is_(None), 1), else_=0), t.c.due_at, t.c.id)
    with runtime.connect(conn) as c:
        total = c.execute(sa.select(sa.func.count()).select_from(t).where(*conds)).scalar_one()
        rows = [dict(r) for r in c.execute(sa.select(*(t.c[k] for k in _OUT)).where(*conds).order_by(*order)
                                           .limit(page_size).offset((page - 1) * page_size)).mappings()]
        items = _dump(runtime, c, actor, rows)
    return {"items": items, "total": total}


def _dump(runtime, conn: sa.Connection, actor, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The API form: people as {id, name}, reminder times as datetimes, the record link if readable."""
    users = runtime.db.core["user"]
    ids = {r[k] for r in rows for k in ("assignee_id", "created_by", "done_by") if r[k] is not None}
    names = dict(conn.execute(sa.select(users.c.id, users.c.name).where(users.c.id.in_(ids))).all()) if ids else {}
    out = []
    for r in rows:
        item = {k: r[k] for k in ("id", "title", "description", "app", "entity", "record_id", "due_at",
                                  "done_at", "created_at", "updated_at")}
        item["remind_at"] = [dt.datetime.fromisoformat(x) for x in r["remind_at"]]
        item["done"] = r["done_at"] is not None
        for k, person in (("assignee_id", "assignee"), ("created_by", "created_by"), ("done_by", "done_by")):
            uid = r[k]
            item[person] = None if uid is None else {"id": uid, "name": names.get(uid)}
        out.append(item)
    return attach_links(runtime, conn, actor, out)
