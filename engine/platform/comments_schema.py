"""The table of record comments (added to the core metadata by engine.storage.core_tables)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def add_tables(md: sa.MetaData) -> dict[str, sa.Table]:
    return {"comment": sa.Table(
        "jimu_comment", md,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("app", sa.String(64), nullable=False),  # the record it is on
        sa.Column("entity", sa.String(128), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), sa.ForeignKey("jimu_user.id"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),  # plain text; "@name" marks a mention
        sa.Column("mentions", JSON, nullable=False),  # user ids, each of whom could read the record then
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Index("ix_jimu_comment_record", "app", "entity", "record_id", "id"),
    )}
