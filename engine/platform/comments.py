"""Comments on records, with @mentions that notify.

A comment is read and written through its record: whoever may not read the record gets 404 for its
comments too, so comments never tell that a record exists. A comment may mention users (their ids
in ``mentions``; the text shows ``@name``). Each mentioned user gets a notification linking to the
record, titled as *they* would read the record — and only users who may read the record can be
mentioned: a mention of anyone else is refused (422) naming them, so nobody learns of a record, or
its title, through a mention. The check is made when the comment is posted; a notification's link
is checked again whenever it is shown (record_links).
"""
from __future__ import annotations

from typing import Any, Mapping

import sqlalchemy as sa

from ..errors import NotFound, ValidationFailed, detail, msg
from ..identity.actor import load_actor
from ..records.read_path import RecordReader, readable_titles
from .notifications import notify

KIND = "comment.mention"
BODY_MAX = 5000
MAX_MENTIONS = 20
MAX_PAGE_SIZE = 100
SNIPPET = 200  # characters of the comment a notification carries


def _readable(runtime, actor, app: str, entity: str, record_id: int, conn) -> tuple[Any, Any]:
    """The compiled app and entity, once ``actor`` is known to read the record (else 404)."""
    a = runtime.app(app)
    ent = a.entity(entity)
    RecordReader(runtime, a, ent, actor).get(record_id, conn=conn)
    return a, ent


def _people(runtime, conn, ids) -> dict[int, Mapping[str, Any]]:
    u = runtime.db.core["user"]
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = conn.execute(sa.select(u.c.id, u.c.name, u.c.login, u.c.active).where(u.c.id.in_(ids))).mappings()
    return {r["id"]: r for r in rows}


def _dump(row: Mapping[str, Any], people: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    def person(uid: int) -> dict[str, Any]:
        p = people.get(uid)
        return {"id": uid, "name": p["name"] if p else f"#{uid}", "login": p["login"] if p else None}

    return {"id": row["id"], "body": row["body"], "author": person(row["author_id"]),
            "mentions": [person(m) for m in row["mentions"] or ()],
            "created_at": row["created_at"].isoformat() + "Z"}


def list_comments(runtime, actor, app: str, entity: str, record_id: int, *, page: int = 1,
                  page_size: int = 50) -> dict[str, Any]:
    """The record's comments, newest first."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed("query.E003", msg("分页参数有误", "invalid paging"),
                               [detail("page_size", f"每页 1 到 {MAX_PAGE_SIZE} 条",
                                       f"page_size must be 1 to {MAX_PAGE_SIZE}")])
    t = runtime.db.core["comment"]
    on_record = sa.and_(t.c.app == app, t.c.entity == entity, t.c.record_id == record_id)
    with runtime.connect() as c:
        _readable(runtime, actor, app, entity, record_id, c)
        total = c.execute(sa.select(sa.func.count()).select_from(t).where(on_record)).scalar_one()
        rows = c.execute(sa.select(t).where(on_record).order_by(t.c.id.desc())
                         .limit(page_size).offset((page - 1) * page_size)).mappings().all()
        people = _people(runtime, c, [r["author_id"] for r in rows] + [m for r in rows for m in r["mentions"] or ()])
    return {"items": [_dump(r, people) for r in rows], "total": total}


def _input(data: Mapping[str, Any]) -> tuple[str, list[int]]:
    problems = []
    for k in sorted(set(data) - {"body", "mentions"}):
        problems.append(detail(k, "未知字段", "unknown field"))
    body = data.get("body")
    body = body.strip() if isinstance(body, str) else ""
    if not body or len(body) > BODY_MAX:
        problems.append(detail("body", f"请填写评论（最多 {BODY_MAX} 个字符）",
                               f"write a comment (at most {BODY_MAX} characters)"))
    mentions = data.get("mentions") or []
    if not isinstance(mentions, list) or len(mentions) > MAX_MENTIONS or not all(
            isinstance(m, int) and not isinstance(m, bool) for m in mentions):
        problems.append(detail("mentions", f"应为用户 id 的列表（最多 {MAX_MENTIONS} 个）",
                               f"must be a list of user ids (at most {MAX_MENTIONS})"))
        mentions = []
    if problems:
        raise ValidationFailed("comment.E001", msg("评论有误", "invalid comment"), problems)
    return body, list(dict.fromkeys(mentions))  # each person once, in the order given


def post_comment(runtime, actor, app: str, entity: str, record_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Add a comment to a record the actor may read; notify each mentioned user, all of whom must be
    able to read the record (else nothing is saved and nobody is notified)."""
    body, mentions = _input(data)
    t = runtime.db.core["comment"]
    with runtime.transaction() as c:
        a, ent = _readable(runtime, actor, app, entity, record_id, c)
        people = _people(runtime, c, mentions)
        readers, problems = {}, []
        for i, uid in enumerate(mentions):
            p = people.get(uid)
            reader = load_actor(runtime, uid, via="mention", conn=c) if p is not None and p["active"] else None
            if reader is None:
                problems.append(detail(f"mentions[{i}]", f"用户 {uid} 不存在或已停用",
                                       f"user {uid} does not exist or is inactive", user_id=uid))
                continue
            try:
                RecordReader(runtime, a, ent, reader).get(record_id, conn=c)
            except NotFound:
                problems.append(detail(f"mentions[{i}]", f"{p['name']} 无权查看这条记录，不能提及",
                                       f"{p['name']} may not read this record and cannot be mentioned",
                                       user_id=uid))
                continue
            readers[uid] = reader
        if problems:
            names = "、".join(str(people[m]["name"]) if m in people else f"#{m}" for m in mentions
                             if m not in readers)
            names_en = ", ".join(str(people[m]["name"]) if m in people else f"#{m}" for m in mentions
                                 if m not in readers)
            raise ValidationFailed("comment.E002", msg(f"不能提及 {names}：他们无权查看这条记录",
                                                       f"cannot mention {names_en}: they may not read this record"),
                                   problems)
        now = runtime.clock()
        cid = c.execute(t.insert().values(app=app, entity=entity, record_id=record_id, author_id=actor.user_id,
                                          body=body, mentions=mentions, created_at=now)).inserted_primary_key[0]
        snippet = body if len(body) <= SNIPPET else body[:SNIPPET - 1] + "…"
        for uid, reader in readers.items():
            if uid == actor.user_id:
                continue
            # the title as the mentioned user reads it: a field hidden from them stays hidden
            title = readable_titles(runtime, a, ent, [record_id], reader, c).get(record_id) or f"#{record_id}"
            notify(runtime, c, uid, KIND,
                   {"zh": f"{actor.name} 在「{title}」的评论中提到了你",
                    "en": f"{actor.name} mentioned you in a comment on '{title}'"},
                   snippet, (app, entity, record_id), key=f"comment:{cid}:{uid}")
        row = c.execute(sa.select(t).where(t.c.id == cid)).mappings().one()
        return _dump(row, _people(runtime, c, [actor.user_id, *mentions]))
