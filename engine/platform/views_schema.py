"""The table of saved list views (added to the core metadata by engine.storage.core_tables)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def add_tables(md: sa.MetaData) -> dict[str, sa.Table]:
    return {"saved_view": sa.Table(
        "jimu_saved_view", md,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("jimu_user.id"), nullable=False),
        sa.Column("app", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(128), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        # the list endpoint's filter object as JSON text: its numbers stay exact decimals (a JSON column
        # would hand them back as strings)
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("sort", JSON, nullable=False),  # ["-credit_limit", "name"]
        sa.Column("columns", JSON, nullable=False),  # field names in the order shown; [] = the default
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "app", "entity", "name", name="uq_jimu_saved_view_name"),
        sa.Index("ix_jimu_saved_view_owner", "user_id", "app", "entity"),
    )}
