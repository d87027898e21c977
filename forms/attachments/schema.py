"""The table of uploaded files (added to the platform's core metadata through forms.engine).

A row is written when the bytes are stored, before any record holds the file; ``record_id`` is set
when a record write binds it and cleared when a write removes it. The bytes live on disk under the
row's id (see storage.py), never under the name the user gave.
"""
from __future__ import annotations

import sqlalchemy as sa


def add_tables(md: sa.MetaData) -> dict[str, sa.Table]:
    t = sa.Table(
        "jimu_file", md,
        sa.Column("id", sa.String(40), primary_key=True),  # an unguessable token, also the name on disk
        sa.Column("name", sa.String(255), nullable=False),  # the original name, shown and downloaded as
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),  # from the bytes where they tell it
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.BigInteger(), sa.ForeignKey("jimu_user.id"), nullable=False, index=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("app", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(128), nullable=False),
        sa.Column("field", sa.String(128), nullable=False),
        sa.Column("record_id", sa.BigInteger()),  # NULL until a record write binds the file
        sa.Index("ix_jimu_file_record", "app", "entity", "record_id"),
        sa.Index("ix_jimu_file_unbound", "record_id", "uploaded_at"),  # the cleanup's scan
    )
    return {"file": t}
