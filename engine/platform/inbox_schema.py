"""Tables of the working calendars, notifications and to-dos (added to the core metadata by
engine.storage.core_tables)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def add_tables(md: sa.MetaData) -> dict[str, sa.Table]:
    t = {}
    t["calendar"] = sa.Table(
        "jimu_calendar", md,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("label", JSON, nullable=False),  # {zh, en}
        sa.Column("weekends", JSON, nullable=False),  # weekday numbers, Monday 0
        sa.Column("holidays", JSON, nullable=False),  # ISO dates off work
        sa.Column("workdays", JSON, nullable=False),  # ISO dates worked though they fall on a weekend (调休)
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    t["notification"] = sa.Table(
        "jimu_notification", md,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("jimu_user.id"), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("title", sa.String(512), nullable=False),  # already in the recipient's language
        sa.Column("body", sa.Text()),
        sa.Column("app", sa.String(64)),  # the record it is about, if any
        sa.Column("entity", sa.String(128)),
        sa.Column("record_id", sa.BigInteger()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime()),
        sa.Column("key", sa.String(255), unique=True),  # a sender's natural key: sent once
        sa.Index("ix_jimu_notification_user_read", "user_id", "read_at"),
    )
    t["todo"] = sa.Table(
        "jimu_todo", md,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("assignee_id", sa.BigInteger(), sa.ForeignKey("jimu_user.id"), nullable=False),
        sa.Column("app", sa.String(64)),  # the record it is about, if any
        sa.Column("entity", sa.String(128)),
        sa.Column("record_id", sa.BigInteger()),
        sa.Column("due_at", sa.DateTime()),
        sa.Column("remind_at", JSON, nullable=False),  # ISO UTC times, sorted
        sa.Column("done_at", sa.DateTime()),
        sa.Column("done_by", sa.BigInteger(), sa.ForeignKey("jimu_user.id")),
        sa.Column("created_by", sa.BigInteger(), sa.ForeignKey("jimu_user.id"), index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Index("ix_jimu_todo_assignee_done", "assignee_id", "done_at"),
        sa.Index("ix_jimu_todo_record", "app", "entity", "record_id"),
    )
    return t
