"""The platform's own tables: installed apps and their definitions, the audit log, users.

Definitions are stored as documents with their content hash so that an upgrade can diff what the
database holds against a new bundle, and so `jimu serve` compiles apps from the database, not from
files.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def core_metadata() -> tuple[sa.MetaData, dict[str, sa.Table]]:
    md = sa.MetaData()
    t = {}
    t["app"] = sa.Table(
        "jimu_app", md,
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    t["definition"] = sa.Table(
        "jimu_definition", md,
        sa.Column("app", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),  # app, entity, roles (flows, rules... later)
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("physical", JSON),  # table and column names chosen at install, kept across upgrades
    )
    t["audit"] = sa.Table(
        "jimu_audit", md,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.BigInteger()),
        sa.Column("app", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(128), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),  # create, update, delete, restore
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changes", JSON, nullable=False),  # {field: [old, new]} in API (JSON) form
        sa.Index("ix_jimu_audit_record", "app", "entity", "record_id"),
    )
    t["user"] = sa.Table(
        "jimu_user", md,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(128), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, default=True),
    )
    return md, t


SYSTEM_USER_LOGIN = "system"
