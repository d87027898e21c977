"""Links from notifications and to-dos to the record they are about, shown to a reader only when
that reader may read the record (checked when shown, so a later change of permissions counts)."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from ..errors import JimuError
from ..records.read_path import readable_titles


def attach_links(runtime, conn: sa.Connection, actor, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replace each item's ``app``/``entity``/``record_id`` by ``link``: ``{app, entity, record_id,
    title}`` when ``actor`` may read the record, else None (a deleted record, an app no longer
    installed, a record out of the actor's scope: the item says nothing about it)."""
    wanted: dict[tuple[str, str], set[int]] = defaultdict(set)
    for it in items:
        if it.get("app") and it.get("entity") and it.get("record_id") is not None:
            wanted[(it["app"], it["entity"])].add(it["record_id"])
    shown: dict[tuple[str, str], dict[int, str]] = {}
    for (app, entity), ids in wanted.items():
        try:
            compiled = runtime.app(app)
            ent = compiled.entity(entity)
        except JimuError:
            continue
        t = runtime.table(app, entity)
        live = list(conn.execute(sa.select(t.c.id).where(t.c.id.in_(ids), t.c.deleted_at.is_(None))).scalars())
        shown[(app, entity)] = readable_titles(runtime, compiled, ent, live, actor, conn)
    for it in items:
        app, entity, rid = it.pop("app", None), it.pop("entity", None), it.pop("record_id", None)
        title = shown.get((app, entity), {}).get(rid)
        it["link"] = None if title is None else {"app": app, "entity": entity, "record_id": rid, "title": title}
    return items


def check_link(link: Any) -> tuple[str, str, int] | None:
    """A link as given by a caller: None, or (app, entity, record_id) in a tuple, list or mapping."""
    if link is None:
        return None
    if isinstance(link, dict):
        link = (link.get("app"), link.get("entity"), link.get("record_id"))
    app, entity, rid = link
    return str(app), str(entity), int(rid)
