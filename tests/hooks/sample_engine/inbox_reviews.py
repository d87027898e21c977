"""Sample part: an inbox kind ``reviews`` — the open rows of a tiny table of review requests, each
addressed to one user (a stand-in for a process engine's approval tasks)."""
from __future__ import annotations

import sqlalchemy as sa

from engine.platform.inbox import InboxSource


def add_tables(md: sa.MetaData) -> dict:
    return {"sample_review": sa.Table(
        "sample_review", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("done", sa.Boolean, nullable=False, default=False))}


def _open(runtime, actor):
    t = runtime.db.core["sample_review"]
    return t, (t.c.user_id == actor.user_id, t.c.done.is_(False))


def _count(runtime, actor, conn) -> int:
    t, where = _open(runtime, actor)
    return conn.execute(sa.select(sa.func.count()).select_from(t).where(*where)).scalar_one()


def _latest(runtime, actor, n, conn) -> list:
    t, where = _open(runtime, actor)
    rows = conn.execute(sa.select(t.c.id, t.c.title).where(*where).order_by(t.c.id.desc()).limit(n))
    return [{"id": r.id, "title": r.title} for r in rows]


def inbox_sources() -> list:
    return [InboxSource("reviews", {"zh": "评审", "en": "Reviews"}, _count, _latest)]
