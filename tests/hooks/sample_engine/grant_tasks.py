"""Sample part: a grant source. A tiny table of open tasks, each granting one user one record of an
entity with the fields it names (comma-separated) and, of those, the fields they may write; a task
grants while it is open (a stand-in for a process engine's approval node)."""
from __future__ import annotations

import sqlalchemy as sa

from engine.identity.grant_sources import GrantSource, RecordGrant


def add_tables(md: sa.MetaData) -> dict:
    return {"sample_grant_task": sa.Table(
        "sample_grant_task", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("app", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("fields", sa.String(500), nullable=False),  # "name,level"
        sa.Column("write_fields", sa.String(500), nullable=False, default=""),
        sa.Column("open", sa.Boolean, nullable=False, default=True))}


def _grants(runtime, actor, app: str, entity: str) -> list[RecordGrant]:
    t = runtime.db.core["sample_grant_task"]
    mine = (t.c.user_id == actor.user_id, t.c.app == app, t.c.entity == entity, t.c.open.is_(True))
    with runtime.connect() as c:  # one small query: the field lists of the open tasks
        lists = c.execute(sa.select(t.c.fields, t.c.write_fields).where(*mine).distinct()).all()
    return [RecordGrant(sa.select(t.c.record_id).where(*mine, t.c.fields == f, t.c.write_fields == w),
                        frozenset(_names(f)), frozenset(_names(w))) for f, w in lists]


def _names(text: str) -> list[str]:
    return [n.strip() for n in (text or "").split(",") if n.strip()]


def grant_sources() -> list:
    return [GrantSource("sample_tasks", _grants)]
